"""Entry points of the touch UI: `run_kiosk` (called by `kiosk run` / `kiosk demo`) and
`build_app` (tests, bench and automation drive the same app without running it blocking).

This module imports no Kivy at import time: `boot.prepare` must set Kivy's environment and
window size first, so the Kivy modules are imported inside the functions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
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
    """
    app = build_app(core)
    if on_ready is not None:
        app.when_started(lambda: app.after_frames(2, on_ready))
    if on_tick is not None:
        from kivy.clock import Clock  # only after build_app has prepared Kivy's environment

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
