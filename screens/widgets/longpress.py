"""An invisible touch area that fires `on_long_press` after a finger rests on it for
`hold_seconds` (the technician's hidden entry on the home screen). A shorter touch, or one
that slides out, does nothing; the area draws nothing."""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.properties import NumericProperty
from kivy.uix.widget import Widget


class LongPressArea(Widget):
    hold_seconds = NumericProperty(3.0)

    __events__ = ("on_long_press",)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._pending: Any = None
        self._touch: Any = None

    def on_touch_down(self, touch: Any) -> bool:
        if not self.collide_point(*touch.pos):
            return super().on_touch_down(touch)
        self._cancel()
        self._touch = touch
        self._pending = Clock.schedule_once(self._fire, self.hold_seconds)
        return True

    def on_touch_move(self, touch: Any) -> bool:
        if touch is self._touch and not self.collide_point(*touch.pos):
            self._cancel()
        return super().on_touch_move(touch)

    def on_touch_up(self, touch: Any) -> bool:
        if touch is self._touch:
            self._cancel()
            return True
        return super().on_touch_up(touch)

    def _cancel(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
        self._pending = None
        self._touch = None

    def _fire(self, _dt: float) -> None:
        self._pending = None
        self._touch = None
        self.dispatch("on_long_press")

    def on_long_press(self) -> None:
        pass
