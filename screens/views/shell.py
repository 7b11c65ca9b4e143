"""The frame around every screen: top bar, offline banner, the screens, bottom bar, and the
"still there?" prompt. Renders the session view-model; switches screens when it says so.

Screens are built when first shown and dropped when left (home excepted). All state lives in
the view-models, so a rebuilt screen shows exactly what the citizen left; meanwhile only one
or two screens' widgets and label textures exist — with the software renderer every texture
is process memory, and ten screens of them cost tens of MiB.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import DictProperty, ObjectProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView
from kivy.uix.screenmanager import NoTransition, ScreenManager

from screens.memory import release_memory
from screens.viewmodels.session import Session
from screens.views.base import VMScreen, load_kv


class ScreenSlot(ScreenManager):
    """Kivy's ScreenManager without its stencil clip (shell.kv drops its style rule).

    The clip only matters while a transition slides screens past the edges, and the kiosk
    has none. Its two stencil rectangles cover the whole screen area every frame and every
    screen was drawn through the stencil test: with the software renderer that was about a
    third of each frame's paint time."""


class StillTherePrompt(ModalView):
    """The idle prompt; tapping anywhere counts as "still here" (the session sees the touch)."""

    shell = ObjectProperty(None)


class Shell(BoxLayout):
    vm = ObjectProperty(None)
    v = DictProperty({})
    manager = ObjectProperty(None)

    KEEP = ("home",)  # screens never dropped (the attract screen comes back all day)

    def __init__(
        self, session: Session, make_screen: Callable[[str], VMScreen], **kwargs: Any
    ) -> None:
        # No transition: the kiosk answers a tap at once, and a ScreenManager ignores touches
        # while a transition runs.
        self.manager = ScreenSlot(transition=NoTransition())
        super().__init__(vm=session, v=session.view, **kwargs)
        self._make_screen = make_screen
        self._drop_trigger = Clock.create_trigger(self._drop_hidden, 0)
        self.ids.screens_slot.add_widget(self.manager)
        self._prompt = StillTherePrompt(shell=self)
        session.subscribe(self._show)
        self._show(session.view)

    def _show(self, view: dict[str, Any]) -> None:
        self.v = view
        name = view["screen"]
        if not self.manager.has_screen(name):
            self.manager.add_widget(self._make_screen(name))
        if self.manager.current != name:
            self.manager.current = name
            # after this touch's handlers have returned, not in the middle of them
            self._drop_trigger()
        if view["prompt"] and self._prompt.parent is None:
            self._prompt.open(animation=False)
        elif not view["prompt"] and self._prompt.parent is not None:
            self._prompt.dismiss(animation=False)

    def _drop_hidden(self, *_args: Any) -> None:
        dropped = False
        for screen in list(self.manager.screens):
            if screen.name != self.manager.current and screen.name not in self.KEEP:
                self.manager.remove_widget(screen)
                release_widget_tree(screen)
                dropped = True
        transition = self.manager.transition
        if dropped and not transition.is_active and transition.screen_out is not None:
            # the transition holds the screen it switched away from until the next switch
            # (its screen_out cannot be None): point it at the current one instead
            transition.screen_out = self.manager.current_screen
        if dropped:
            release_memory()


def release_widget_tree(screen: VMScreen) -> None:
    """Let a dropped screen be freed: kv rules bound to app-wide objects (theme, translator)
    hold strong references to their widgets until unbound, and the view-model holds the
    screen's listener."""
    screen.release()
    widgets = list(screen.walk(restrict=True))
    for w in list(widgets):
        widgets.extend(x for step in getattr(w, "all_steps", list)() for x in step.walk())
    for w in widgets:
        Builder.unbind_widget(w.uid)


load_kv(__file__)
