"""The frame around every screen: top bar, offline banner, the screens, bottom bar, and the
"still there?" prompt. Renders the session view-model; switches screens when it says so."""

from __future__ import annotations

from typing import Any

from kivy.properties import DictProperty, ObjectProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView
from kivy.uix.screenmanager import NoTransition, ScreenManager

from screens.viewmodels.session import Session
from screens.views.base import VMScreen, load_kv


class StillTherePrompt(ModalView):
    """The idle prompt; tapping anywhere counts as "still here" (the session sees the touch)."""

    shell = ObjectProperty(None)


class Shell(BoxLayout):
    vm = ObjectProperty(None)
    v = DictProperty({})
    manager = ObjectProperty(None)

    def __init__(self, session: Session, **kwargs: Any) -> None:
        # No transition: the kiosk answers a tap at once, and a ScreenManager ignores touches
        # while a transition runs.
        self.manager = ScreenManager(transition=NoTransition())
        super().__init__(vm=session, v=session.view, **kwargs)
        self.ids.screens_slot.add_widget(self.manager)
        self._prompt = StillTherePrompt(shell=self)
        session.subscribe(self._show)

    def add_screen(self, screen: VMScreen) -> None:
        self.manager.add_widget(screen)

    def _show(self, view: dict[str, Any]) -> None:
        self.v = view
        if self.manager.current != view["screen"] and self.manager.has_screen(view["screen"]):
            self.manager.current = view["screen"]
        if view["prompt"] and self._prompt.parent is None:
            self._prompt.open(animation=False)
        elif not view["prompt"] and self._prompt.parent is not None:
            self._prompt.dismiss(animation=False)


load_kv(__file__)
