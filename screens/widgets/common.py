"""Python halves of the shared widgets in common.kv (those declaring their own properties)."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.properties import ColorProperty, NumericProperty, OptionProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.label import Label

from screens.theme import min_font_size

SHRINK = 0.9  # one step of shrinking a button's text that does not fit its height


class KButtonBase(ButtonBehavior, Label):
    """A rounded touch target: colours and the pressed look, no size rules.

    Colours come from `tone` through ONE kv rule (common.kv). Kivy re-runs every rule bound to
    the theme when elderly mode switches it, and when a subclass rule and a base rule both
    bind the same property the base one can win; so subclasses set `tone` (a constant or
    bound to their own state), never `bg`/`fg`, and themed sizes use `base_font`.
    """

    tone = OptionProperty("accent", options=["accent", "ghost", "warn", "hint"])
    base_font = NumericProperty(40)  # font size at scale 1
    bg = ColorProperty((0.11, 0.42, 0.80, 1))
    fg = ColorProperty((1, 1, 1, 1))

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._full_font = self.font_size  # what the kv rules ask for
        self._fitting = False
        self.fbind("font_size", self._font_set)
        self.fbind("texture_size", self._fit)
        self.fbind("size", self._refit)
        self.fbind("text", self._refit)

    def _font_set(self, *_args: Any) -> None:
        if not self._fitting:  # set by a kv rule (theme, base_font): the size to fit from
            self._full_font = self.font_size

    def _set_font(self, size: float) -> None:
        self._fitting = True
        self.font_size = size
        self._fitting = False

    def _refit(self, *_args: Any) -> None:
        """A new box or text: start again from the full size (the texture update that
        follows shrinks it again if needed)."""
        if self.font_size != self._full_font:
            self._set_font(self._full_font)

    def _fit(self, *_args: Any) -> None:
        """Text that wraps to more lines than the button holds ("Renewal: details changed"
        in elderly English) shrinks a step at a time, never below the mode's minimum size."""
        if not self.text or self.texture_size[1] <= self.height:
            return
        app = App.get_running_app()
        floor = min_font_size(bool(app and getattr(app, "theme", None) and app.theme.elderly))
        if self.font_size > floor:
            self._set_font(max(floor, self.font_size * SHRINK))


class KButton(KButtonBase):
    """A large button whose text and height grow in elderly mode (theme.scale)."""


class BarButton(KButtonBase):
    """A button of the top and bottom bars (the bars grow with elderly mode's scale)."""
