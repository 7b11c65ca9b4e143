"""Entry points of the touch UI: `run_kiosk` (called by `kiosk run` / `kiosk demo`) and
`build_app` (tests, bench and automation drive the same app without running it blocking).

This module imports no Kivy at import time: `boot.prepare` must set Kivy's environment and
window size first, so the Kivy modules are imported inside the functions.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common.errors import UI_START_FAILED, KioskError
from screens.boot import UiOptions, prepare

if TYPE_CHECKING:
    from screens.kivyapp import KioskApp

log = logging.getLogger(__name__)


def ui_options(settings: Any) -> UiOptions:
    ui = settings.ui
    return UiOptions(width=ui.width, height=ui.height, fullscreen=ui.fullscreen, font=ui.font,
                     multisamples=ui.multisamples)


def build_app(
    core: Any, *, kivy_home: Path | None = None, session_overrides: dict[str, Any] | None = None
) -> KioskApp:
    """Prepare Kivy (environment, window size, fonts) and return the app, not yet running."""
    home = kivy_home or Path(getattr(core, "home", Path.cwd())) / "kivy"
    prepare(home, ui_options(core.settings))
    from screens.kivyapp import KioskApp

    return KioskApp(core, session_overrides=session_overrides or {})


def run_kiosk(
    core: Any,
    *,
    screenshot_path: Path | None = None,
    exit_after_screenshot: bool = False,
    on_ready: Callable[[], None] | None = None,
    on_tick: Callable[[], None] | None = None,
) -> None:
    """Run the touch UI until the process is stopped (the kiosk never offers a way out).

    With `screenshot_path`, the home screen is saved there (PNG) once drawn; with
    `exit_after_screenshot` too, the app then stops and this returns.
    The caller owns `core` (opens it, starts its background sync, closes it after).
    `on_ready` runs once the home screen is drawn (the supervisor's READY=1) and `on_tick`
    about once a second from the main loop (watchdog pings, nightly maintenance).
    SIGTERM (systemd's stop) and SIGINT stop the app within a fraction of a second and this
    returns normally, so the caller closes the core (the store write in flight finishes).
    """
    with _stop_on_signals() as stop_requested:
        _run_app(core, stop_requested, screenshot_path=screenshot_path,
                 exit_after_screenshot=exit_after_screenshot, on_ready=on_ready, on_tick=on_tick)


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
STOP_POLL_S = 0.2


@contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """Our handlers for SIGTERM/SIGINT, installed before SDL starts: SDL takes over a signal
    whose handler is still the default and turns it into a window close request, which the
    kiosk refuses (no way out for a citizen) — so `kiosk run` would ignore systemd's stop.
    Only the main thread may install handlers; elsewhere (tests) nothing is installed."""
    stop_requested = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop_requested
        return
    previous = {sig: signal.signal(sig, lambda *_: stop_requested.set()) for sig in STOP_SIGNALS}
    try:
        yield stop_requested
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run_app(
    core: Any,
    stop_requested: threading.Event,
    *,
    screenshot_path: Path | None,
    exit_after_screenshot: bool,
    on_ready: Callable[[], None] | None,
    on_tick: Callable[[], None] | None,
) -> None:
    app = build_app(core)
    from kivy.clock import Clock  # only after build_app has prepared Kivy's environment

    def stop_if_asked(_dt: float) -> None:
        if stop_requested.is_set():
            log.info("stop requested by a signal: closing the UI")
            app.stop()

    Clock.schedule_interval(stop_if_asked, STOP_POLL_S)
    if on_ready is not None:
        app.when_started(lambda: app.after_frames(2, on_ready))
    if on_tick is not None:
        Clock.schedule_interval(lambda _dt: on_tick(), 1.0)
    if screenshot_path is not None:
        target = Path(screenshot_path)

        def shoot() -> None:
            app.save_screenshot(target)
            log.info("home screen saved to %s", target)
            if exit_after_screenshot:
                app.stop()

        app.when_started(lambda: app.after_frames(3, shoot))
    try:
        app.run()
    except KioskError:
        raise
    except Exception as exc:  # SDL/OpenGL failures surface here as plain exceptions
        raise KioskError(UI_START_FAILED, f"{type(exc).__name__}: {exc}") from exc
