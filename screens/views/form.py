"""自助填单: one form — ID card, fields with the keyboard (dates on a calendar), review,
submitted."""

from __future__ import annotations

from screens.views.base import VMScreen, load_kv
from screens.widgets.calendar import DatePickerView  # noqa: F401 - registers the kv class
from screens.widgets.keyboard import OnScreenKeyboard  # noqa: F401 - registers the kv class
from screens.widgets.qrimage import QrImage  # noqa: F401
from screens.widgets.sms import SmsPanel  # noqa: F401 - registers the kv class


class FormScreen(VMScreen):
    pass


load_kv(__file__)
