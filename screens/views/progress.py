"""进度查询: number keypad / ID card / scanned receipt → timeline and deadline."""

from __future__ import annotations

from screens.views.base import VMScreen, load_kv
from screens.widgets.keyboard import OnScreenKeyboard  # noqa: F401 - registers the kv class


class ProgressScreen(VMScreen):
    pass


load_kv(__file__)
