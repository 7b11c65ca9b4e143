"""Drive a running kiosk app by script: real touches at widgets' window coordinates, waits on
conditions, screenshots. Used by the offscreen UI tests, the UI bench and demo screenshots.

A script is a generator function taking the `Script`; it yields waits (`frames`, `until`,
`shot`) and calls `tap` between them. The script runs inside `App.run()` from Clock callbacks,
so every widget access happens on the UI thread, exactly as a citizen's touches do.
Any failure (an exception in the script, a wait timing out) stops the app and is kept in
`Script.error`, so the process running it can report and exit non-zero.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.base import EventLoop
from kivy.clock import Clock
from kivy.input.motionevent import MotionEvent
from kivy.uix.widget import Widget

log = logging.getLogger(__name__)


class Touch(MotionEvent):
    """One finger at window coordinates (x, y), dispatched through the window like a real
    touch. (kivy.tests.common.UnitTestTouch does the same but imports pytest into the kiosk
    process, 15 MiB and 0.13 s that a bench of the kiosk must not count.)"""

    def __init__(self, x: float, y: float) -> None:
        win = EventLoop.window
        super().__init__(
            "ScriptTouch",
            99,
            {"x": x / (win.width - 1.0), "y": y / (win.height - 1.0)},
            is_touch=True,
            type_id="touch",
        )
        self.profile = ["pos"]

    def depack(self, args: dict[str, float]) -> None:
        self.sx = args["x"]
        self.sy = args["y"]
        super().depack(args)

    def touch_down(self) -> None:
        EventLoop.post_dispatch_input("begin", self)

    def touch_up(self) -> None:
        EventLoop.post_dispatch_input("end", self)


@dataclass
class Wait:
    ready: Callable[[], bool]
    timeout: float
    what: str
    started: float = field(default_factory=time.monotonic)


StepGen = Generator[Wait, None, None]


class Script:
    def __init__(
        self, app: Any, steps: Callable[[Script], Iterator[Wait]], *, total_timeout: float = 120.0
    ) -> None:
        self.app = app
        self._steps = steps
        self._gen: Iterator[Wait] | None = None
        self._wait: Wait | None = None
        self._event: Any = None
        self.total_timeout = total_timeout
        self.started = 0.0
        self.error: str | None = None
        self.finished = False
        self.results: dict[str, Any] = {}  # what the script observed, for the caller to check
        self.params: dict[str, Any] = {}  # what the caller passed in

    # --- lifecycle -----------------------------------------------------------------------------
    def attach(self) -> None:
        """Start once the app has started (call before app.run())."""
        self.app.when_started(self.start)

    def start(self) -> None:
        """Begin stepping now (from a Clock callback of the running app)."""
        self.started = time.monotonic()
        self._gen = iter(self._steps(self))
        self._event = Clock.schedule_interval(self._pump, 0)

    def _pump(self, _dt: float) -> None:
        try:
            if time.monotonic() - self.started > self.total_timeout:
                raise TimeoutError(f"script exceeded {self.total_timeout:.0f} s")
            if self._wait is not None:
                if not self._wait.ready():
                    if time.monotonic() - self._wait.started > self._wait.timeout:
                        raise TimeoutError(f"timed out waiting for {self._wait.what}")
                    return
                self._wait = None
            if self._gen is None:
                raise RuntimeError("script pumped before it began")
            self._wait = next(self._gen)
        except StopIteration:
            self.finished = True
            self._stop()
        except Exception:
            self.error = traceback.format_exc()
            log.error("UI script failed:\n%s", self.error)
            self._stop()

    def _stop(self) -> None:
        if self._event is not None:
            self._event.cancel()
        self.app.stop()

    # --- waits ---------------------------------------------------------------------------------
    def frames(self, n: int = 2) -> Wait:
        """Let n frames be drawn (layout and bindings settle)."""
        counter = {"left": n}

        def ready() -> bool:
            counter["left"] -= 1
            return counter["left"] < 0

        return Wait(ready, timeout=30, what=f"{n} frames")

    def until(self, predicate: Callable[[], Any], what: str, timeout: float = 15.0) -> Wait:
        return Wait(lambda: bool(predicate()), timeout=timeout, what=what)

    def screen_is(self, name: str, timeout: float = 15.0) -> Wait:
        """The screen is current and has been laid out and drawn (two frames after)."""
        seen = {"frames": 0}

        def ready() -> bool:
            if self.app.shell.manager.current != name:
                seen["frames"] = 0
                return False
            seen["frames"] += 1
            return seen["frames"] > 2

        return Wait(ready, timeout=timeout, what=f"screen {name!r}")

    def shot(self, path: Path) -> Wait:
        """Save a screenshot once the current state is drawn (skipped when the caller set
        params["no_shots"], e.g. a benchmark that must not count the PNG buffers)."""
        if self.params.get("no_shots"):
            return self.frames(1)
        done = {"ok": False}

        def save() -> None:
            self.app.save_screenshot(Path(path))
            done["ok"] = True

        self.app.after_frames(2, save)
        return Wait(lambda: done["ok"], timeout=30, what=f"screenshot {path}")

    # --- touching ------------------------------------------------------------------------------
    def tap(self, widget: Widget) -> None:
        """A real touch (down, up) at the widget's centre, through the window like a finger."""
        if widget is None:
            raise LookupError("tap: no such widget")
        x, y = widget.to_window(*widget.center)
        touch = Touch(x, y)
        touch.touch_down()
        touch.touch_up()

    def screen(self, name: str | None = None) -> Any:
        manager = self.app.shell.manager
        return manager.get_screen(name or manager.current)

    def widget(self, id_: str, screen: str | None = None) -> Any:
        """A widget by its kv id on a screen (or on the shell when screen == "shell")."""
        root = self.app.shell if screen == "shell" else self.screen(screen)
        found = root.ids.get(id_)
        if found is None:
            raise LookupError(f"no widget with id {id_!r} on {screen or 'current screen'}")
        return found

    def find(self, predicate: Callable[[Widget], bool], root: Widget | None = None) -> Any:
        for w in (root or self.app.root).walk():
            if predicate(w):
                return w
        return None


def all_texts(app: Any) -> list[str]:
    """Every text of every widget of the shell and of every screen, shown or not (a
    ScreenManager holds only the current screen as a child, so each is walked)."""
    roots = [app.shell, *app.shell.manager.screens]
    for root in list(roots):  # steps of multi-step screens that are not shown right now
        for w in root.walk(restrict=True):
            roots.extend(getattr(w, "all_steps", list)())
    texts: list[str] = []
    for root in roots:
        for w in root.walk(restrict=True):
            for attr in ("text", "data", "hint_text"):
                value = getattr(w, attr, None)
                if isinstance(value, str) and value:
                    texts.append(value)
    return texts


def running_app() -> Any:
    return App.get_running_app()
