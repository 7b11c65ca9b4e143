"""Text that fits its box: a label or button whose text would overflow its height, or wrap a
Chinese word so one character is left alone on the last line (办事指 / 南), shrinks a step
at a time, never below the mode's minimum size (screens/theme.py). The kv rules set the full
size; a new width or text starts again from it."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.uix.label import Label

from screens.theme import min_font_size

SHRINK = 0.92  # one step


def _cjk(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fff"


class FitText:
    """Mixin for a Label (first in the bases). `refit_on_height`: False for a label whose
    height follows its text (it would otherwise grow back and shrink forever)."""

    refit_on_height = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._full_font = self.font_size  # what the kv rules ask for
        self._fitting = False
        self.fbind("font_size", self._font_set)
        self.fbind("texture_size", self._fit)
        self.fbind("width", self._refit)
        self.fbind("text", self._refit)
        if self.refit_on_height:
            self.fbind("height", self._refit)

    def _font_set(self, *_args: Any) -> None:
        if not self._fitting:  # set by a kv rule (theme, base_font): the size to fit from
            self._full_font = self.font_size

    def _set_font(self, size: float) -> None:
        self._fitting = True
        self.font_size = size
        self._fitting = False

    def _refit(self, *_args: Any) -> None:
        if self.font_size != self._full_font:
            self._set_font(self._full_font)
        # a new text may draw a texture of the same size (no texture_size event): look again
        # once the label's own texture update (scheduled first) has run
        Clock.schedule_once(self._fit, 0)

    def _fit(self, *_args: Any) -> None:
        if not self.text or not (self._too_tall() or self._orphan()):
            return
        app = App.get_running_app()
        floor = min_font_size(bool(app and getattr(app, "theme", None) and app.theme.elderly))
        if self.font_size > floor:
            self._set_font(max(floor, self.font_size * SHRINK))

    def _too_tall(self) -> bool:
        return self.refit_on_height and self.texture_size[1] > self.height

    def _orphan(self) -> bool:
        lines = getattr(self._label, "_cached_lines", None) or []
        if len(lines) <= self.text.count("\n") + 1:
            return False  # not wrapped
        for line in lines[1:]:
            text = "".join(w.text for w in line.words).strip()
            if len(text) == 1 and _cjk(text):
                return True
        return False


class FitLabel(FitText, Label):
    """A plain label (no shared look) whose box may follow its text: a field row's title."""

    refit_on_height = False


class KLabel(FitText, Label):
    """The shared text label (common.kv): its height follows its text."""

    refit_on_height = False
