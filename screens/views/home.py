"""Home / attract screen."""

from __future__ import annotations

from kivy.properties import BooleanProperty, ColorProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout

from screens.views.base import VMScreen, load_kv
from screens.widgets.longpress import LongPressArea  # noqa: F401 - registers the kv class


class Tile(ButtonBehavior, BoxLayout):
    """One of the four big function tiles."""

    title = StringProperty("")
    hint = StringProperty("")
    function = StringProperty("")
    color = ColorProperty((0.5, 0.5, 0.5, 1))
    closed = BooleanProperty(False)  # shown grey, with when it reopens (still readable)

    @staticmethod
    def title_size(text: str, width: float, full: float) -> float:
        """The title's font size: full, or smaller so a Chinese title (no spaces to wrap at)
        stays on one line rather than break inside a word (办事指 / 南)."""
        if not text or " " in text:
            return full  # words: they wrap between them
        return min(full, 0.95 * width / len(text))


class HomeScreen(VMScreen):
    pass


load_kv(__file__)
