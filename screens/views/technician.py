"""The technician's PIN pad and the technician screen."""

from __future__ import annotations

from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.label import Label

from screens.views.base import VMScreen, load_kv
from screens.widgets.items import Pager  # noqa: F401 - registers the kv class
from screens.widgets.keyboard import OnScreenKeyboard  # noqa: F401 - registers the kv class


class TechLine(Label):
    """One line of a result panel (a doctor check, an outbox record, a log line)."""

    owner = ObjectProperty(None, allownone=True)
    status = StringProperty("info")


class TechnicianPinScreen(VMScreen):
    pass


class TechnicianScreen(VMScreen):
    pass


load_kv(__file__)
