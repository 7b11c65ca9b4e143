"""Home / attract screen."""

from __future__ import annotations

from kivy.core.text import Label as CoreLabel
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
    def title_size(text: str, width: float, full: float, font_name: str = "") -> float:
        """The title's font size: full, or smaller so a Chinese title (no spaces to wrap at)
        stays on one line rather than break inside a word (办事指 / 南), and the longest word
        of an English one fits a line (elderly mode's "Track / progres / s")."""
        if not text or width <= 0:
            return full
        if " " not in text:
            return min(full, 0.95 * width / len(text))
        longest = max(text.split(), key=len)
        options = {"font_name": font_name} if font_name else {}
        drawn = CoreLabel(text=longest, font_size=full, bold=True, **options).get_extents(longest)[0]
        return full if drawn <= 0.95 * width else full * 0.95 * width / drawn


class HomeScreen(VMScreen):
    pass


load_kv(__file__)
