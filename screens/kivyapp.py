"""The Kivy App: builds the shell and the screens, wires the clock, and locks the kiosk down.

Deliberately thin (Electrum's 1,500-line App class is the warning): flows live in the
view-models, layout in the .kv files. Import only after `screens.boot.prepare()`.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.properties import ObjectProperty

from screens.memory import refreeze
from screens.render import tune_renderer
from screens.theme import Theme
from screens.viewmodels import build_session
from screens.viewmodels.session import Session
from screens.views.base import load_kv

log = logging.getLogger(__name__)

IDLE_BEFORE_REFREEZE = 3.0  # seconds without a touch on the home screen

# screen name → "module:Class" of its Kivy screen
SCREEN_CLASSES = {
    "home": "screens.views.home:HomeScreen",
    "services": "screens.views.services:ServicesScreen",
    "ticket": "screens.views.ticket:TicketScreen",
    "guide": "screens.views.guide:GuideScreen",
    "search": "screens.views.search:SearchScreen",
    "guide_item": "screens.views.guide_item:GuideItemScreen",
    "forms": "screens.views.forms:FormsScreen",
    "form": "screens.views.form:FormScreen",
    "progress": "screens.views.progress:ProgressScreen",
    "evaluation": "screens.views.evaluation:EvaluationScreen",
    "technician_pin": "screens.views.technician:TechnicianPinScreen",
    "technician": "screens.views.technician:TechnicianScreen",
}


def _post(fn: Callable[..., None], *args: Any) -> None:
    """Run fn(*args) on the UI thread at the next frame (callable from any thread)."""
    Clock.schedule_once(lambda _dt: fn(*args), 0)


class KioskApp(App):
    title = "政务服务自助终端"
    use_kivy_settings = False
    theme = ObjectProperty(None, rebind=True)

    def __init__(self, core: Any, *, session_overrides: dict[str, Any]) -> None:
        super().__init__()
        self.core = core
        self.theme = Theme()
        self.session: Session = build_session(core, _post, **session_overrides)
        self.shell: Any = None
        self._on_started: list[Callable[[], None]] = []
        self._ticker: Any = None
        self._refreeze_due = True  # the startup objects, then after each citizen's visit
        self._frozen_once = False

    # --- building ------------------------------------------------------------------------------
    def build(self) -> Any:
        from screens.views.shell import Shell
        from screens.widgets import calendar, common, items, keyboard, rows, sms  # noqa: F401 - kv

        for name in ("common.kv", "items.kv", "keyboard.kv", "calendar.kv", "sms.kv"):
            load_kv(str(Path(__file__).parent / "widgets" / name))

        self.shell = Shell(self.session, self.make_screen)
        self.session.subscribe(self._session_changed)
        self._session_changed(self.session.view)
        return self.shell

    def make_screen(self, name: str) -> Any:
        """Build one screen for its view-model (the shell asks when it is first shown)."""
        module_name, _, class_name = SCREEN_CLASSES[name].partition(":")
        screen_cls = getattr(importlib.import_module(module_name), class_name)
        return screen_cls(self.session.vm(name))

    def _session_changed(self, view: dict[str, Any]) -> None:
        if view["screen"] != "home":
            self._refreeze_due = True
        if self.theme.elderly != view["elderly"]:
            self.theme = Theme(elderly=view["elderly"])
        Window.clearcolor = self.theme.bg

    # --- lifecycle -----------------------------------------------------------------------------
    def on_start(self) -> None:
        Window.bind(on_request_close=self._refuse_close)
        Window.bind(on_keyboard=self._swallow_key)
        Window.bind(on_touch_down=self._activity)
        tune_renderer(Window)
        Clock.schedule_interval(self._tidy_when_idle_at_home, 1.0)
        self._ticker = Clock.schedule_interval(lambda _dt: self.session.tick(), 1.0)
        for callback in self._on_started:
            callback()

    def _tidy_when_idle_at_home(self, _dt: float) -> None:
        """Refreeze the long-lived objects (screens.memory) when the kiosk rests on its
        home screen after a citizen used other screens: only home exists then, so no
        citizen's screen is frozen, and nobody is waiting for the ~0.1 s it takes."""
        if not self._refreeze_due or self.shell is None:
            return
        idle = self.session.clock() - self.session.last_activity
        rested = idle >= IDLE_BEFORE_REFREEZE or not self._frozen_once  # at start: at once
        if rested and self.shell.manager.screen_names == ["home"]:
            refreeze()
            self._refreeze_due = False
            self._frozen_once = True

    def on_stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()

    def when_started(self, callback: Callable[[], None]) -> None:
        self._on_started.append(callback)

    # --- lockdown ------------------------------------------------------------------------------
    def open_settings(self, *_args: Any) -> bool:
        return False  # no Kivy settings panel (F1) on a public terminal

    def _refuse_close(self, *_args: Any, **_kwargs: Any) -> bool:
        return True  # window close / Alt+F4 are ignored; a technician stops the service

    def _swallow_key(self, *_args: Any) -> bool:
        # No keyboard shortcut does anything (Esc, F1, …); the screens are driven by touch and
        # keyboard-wedge scanners are read by the hardware layer, never through key events.
        return True

    def _activity(self, *_args: Any) -> None:
        self.session.user_activity()

    # --- frames and screenshots ----------------------------------------------------------------
    def after_frames(self, frames: int, callback: Callable[[], None]) -> None:
        """Call back once `frames` more frames were drawn (the screen shows current state)."""
        remaining = [frames]

        def flipped(*_args: Any) -> None:
            remaining[0] -= 1
            if remaining[0] <= 0:
                Window.unbind(on_flip=flipped)
                Clock.schedule_once(lambda _dt: callback(), 0)
            else:
                Window.canvas.ask_update()

        Window.bind(on_flip=flipped)
        Window.canvas.ask_update()

    def save_screenshot(self, path: Path) -> Path:
        """The window's pixels as a PNG at exactly `path` (Window.screenshot adds a counter)."""
        from kivy.graphics.opengl import GL_RGB, GL_UNSIGNED_BYTE, glReadPixels
        from PIL import Image

        width, height = Window.size
        pixels = glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        image = Image.frombytes("RGB", (width, height), pixels).transpose(
            Image.Transpose.FLIP_TOP_BOTTOM
        )
        image.save(path)
        return path
