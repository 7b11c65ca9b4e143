"""好差评: five levels, reasons, optional comment, thanks."""

from __future__ import annotations

from screens.views.base import VMScreen, load_kv
from screens.widgets.keyboard import OnScreenKeyboard  # noqa: F401 - registers the kv class


class EvaluationScreen(VMScreen):
    pass


load_kv(__file__)
