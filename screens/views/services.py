"""取号: the list of queue services."""

from __future__ import annotations

from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout

from screens.views.base import VMScreen, load_kv
from screens.widgets.keyboard import OnScreenKeyboard  # noqa: F401 - registers the kv class


class ServiceRow(ButtonBehavior, BoxLayout):
    owner = ObjectProperty(None, allownone=True)
    code = StringProperty("")
    title = StringProperty("")
    detail = StringProperty("")
    open = BooleanProperty(True)
    busy = BooleanProperty(False)


class ServicesScreen(VMScreen):
    pass


load_kv(__file__)
