"""`kiosk run` (the touch UI) and `kiosk demo` (hall server + kiosk UI on simulators)."""

from __future__ import annotations

import argparse
import os
import signal
import threading
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the touch UI of an enrolled kiosk")
    p.add_argument("--screenshot", type=Path, help="save the home screen to this PNG")
    p.add_argument("--exit-after-screenshot", action="store_true")
    p.set_defaults(handler=_run)

    p = sub.add_parser("demo", help="hall server with the demo catalog + kiosk UI on simulators")
    p.add_argument("--port", type=int, default=None, help="hall server port (default from config)")
    p.add_argument("--home", type=Path, default=None, help="demo state folder")
    p.add_argument("--screenshot", type=Path, default=None,
                   help="where the headless run saves the home screen")
    p.add_argument("--exit-after-screenshot", action="store_true",
                   help="stop after the screenshot instead of serving until interrupted")
    p.set_defaults(handler=_demo)


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _run(args: argparse.Namespace) -> None:
    from kiosk.runtime import KioskRuntime
    from screens.app import run_kiosk

    # applies a dropped-in provision.json, opens the log file and the core, applies pending
    # remote config, starts background sync; READY=1/WATCHDOG=1 go to the supervisor
    runtime = KioskRuntime.start(devices=True)
    try:
        run_kiosk(runtime.core, screenshot_path=args.screenshot,
                  exit_after_screenshot=args.exit_after_screenshot,
                  on_ready=runtime.ready, on_tick=runtime.tick)
    finally:
        runtime.stop()


def _demo(args: argparse.Namespace) -> None:
    from common.paths import kiosk_home
    from common.settings import load_settings
    from hall_server.admin import create_enroll_code
    from hall_server.runner import start_in_thread
    from kiosk.ops.provisioning import ProvisionRequest, provision
    from kiosk.runtime import KioskRuntime

    home = (args.home or kiosk_home() / "demo").resolve()
    server_dir, kiosk_dir = home / "server", home / "kiosk"
    kiosk_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    port = args.port if args.port is not None else load_settings().server.port
    settings = load_settings(overrides={"printer": {"target": f"sim?file={kiosk_dir / 'printer.bin'}"}})
    server = start_in_thread(settings, data_dir=server_dir, demo=True, port=port)
    print(f"hall server: {server.url}", flush=True)
    clerk = (server.demo or {}).get("clerk")
    if clerk:
        print(f"counter page: {server.url}/counter  (demo clerk: {clerk['login']} / "
              f"{clerk['password']}, counters {','.join(clerk['counters'])})", flush=True)
    print(f"call display: {server.url}/display  (a TV: docs/display.md)", flush=True)
    try:
        code = create_enroll_code(settings, role="kiosk", data_dir=server_dir)
        provision(settings, kiosk_dir, ProvisionRequest(server=server.url, code=code,
                                                        name="DEMO-K1", location="demo",
                                                        replace=True))
        runtime = KioskRuntime.start(settings, kiosk_dir, file_log=False, devices=True)
        try:
            _run_demo_ui(runtime, args, home)
        finally:
            runtime.stop()
    finally:
        server.stop()


def _run_demo_ui(runtime, args: argparse.Namespace, home: Path) -> None:
    from screens.app import run_kiosk

    if has_display() and not args.screenshot:
        run_kiosk(runtime.core, on_ready=runtime.ready, on_tick=runtime.tick)
        return
    shot = (args.screenshot or home / "home.png").resolve()
    run_kiosk(runtime.core, screenshot_path=shot, exit_after_screenshot=True,
              on_ready=runtime.ready)
    print(f"home screen: {shot}", flush=True)
    if args.exit_after_screenshot:
        return
    stop = threading.Event()
    # SIGINT too: started from a script's background it is inherited ignored; and before the
    # announcement, since whoever reads it may signal at once
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print("serving until interrupted (Ctrl-C)", flush=True)
    # in steps: a signal the kernel hands to another thread is acted on when the main thread
    # wakes, and an unbounded wait might never wake
    while not stop.wait(0.5):
        pass
