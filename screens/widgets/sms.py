"""The SMS-number panel (到号提醒 / 办件进度短信): draws the `sms_*` keys of a view-model that
takes `screens.viewmodels.phone_entry.SmsOffer`. Its keypad and buttons call that view-model
(`press`, `sms_confirm`, `sms_cancel`). Closed, it takes no room and no touches."""

from __future__ import annotations

from kivy.properties import DictProperty, ObjectProperty
from kivy.uix.boxlayout import BoxLayout

from screens.viewmodels.phone_entry import PhoneEntry
from screens.widgets.keyboard import OnScreenKeyboard  # noqa: F401 - registers the kv class


class SmsPanel(BoxLayout):
    vm = ObjectProperty(None, allownone=True)
    # every key present before the host binds its view (kv binds subscripts, not .get())
    v = DictProperty(PhoneEntry().render(""))
