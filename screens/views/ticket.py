"""The ticket screen."""

from __future__ import annotations

from screens.views.base import VMScreen, load_kv
from screens.widgets.qrimage import QrImage  # noqa: F401 - registers the kv class
from screens.widgets.sms import SmsPanel  # noqa: F401 - registers the kv class


class TicketScreen(VMScreen):
    pass


load_kv(__file__)
