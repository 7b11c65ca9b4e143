"""Run one UI scenario in this (fresh) process: Kivy's App and Window are per-process
singletons, so every offscreen UI test launches this script as a subprocess.

    python tests/ui/kivy_runner.py SCENARIO --home KIOSK_HOME --artifacts DIR --result FILE

The kiosk is the real one: KioskCore on the enrolled KIOSK_HOME (settings from the
environment the test sets: printer target, ID card simulator), the real app built by
`screens.app.build_app`, driven by `screens.automation.Script` with real touches.
The result file gets {"ok", "error", "results"}; the exit code is 0 only when the scenario
finished without error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
IDLE_PARAMS = ("idle_timeout", "elderly_idle_timeout", "prompt_seconds")
DEFAULT_NOW = "2026-11-23T10:00:00+08:00"  # a Monday, 10:00 hall time
sys.path.insert(0, str(HERE))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario")
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--artifacts", type=Path, required=True)
    parser.add_argument("--result", type=Path, required=True)
    parser.add_argument("--param", action="append", default=[], help="key=value for the scenario")
    parser.add_argument("--timeout", type=float, default=90.0)
    parser.add_argument(
        "--devices",
        action="store_true",
        help="serve a simulated ID card reader and scanner on ptys and start the kiosk as "
        "`kiosk run` does (KioskRuntime with the device I/O thread)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    started = time.monotonic()

    from common.errors import KioskError
    from common.settings import load_settings
    from kiosk.core import KioskCore
    from screens.app import build_app

    simulators = _start_simulators() if args.devices else {}
    settings = load_settings()
    if args.devices:  # the composition root of `kiosk run`: the device I/O thread polls
        from kiosk.runtime import KioskRuntime

        core = KioskRuntime.start(
            settings, args.home, background=False, devices=True, file_log=False
        ).core
    else:
        core = KioskCore(settings, args.home)
    # as `kiosk run`'s background syncer does first (catalog, connectivity); when the hall
    # server is unreachable that attempt is what tells the kiosk it is offline
    try:
        core.sync_once()
    except KioskError as exc:
        logging.warning("first sync failed: %s", exc.code)
    outcome: dict = {"ok": False, "error": None, "results": {}}
    try:
        params = dict(p.split("=", 1) for p in args.param)
        params.pop("offline", None)
        overrides: dict = {k: float(params.pop(k)) for k in IDLE_PARAMS if k in params}
        # the hall's wall clock is fixed, so the after-hours schedule never depends on when
        # the tests run (a Monday morning unless the scenario asks otherwise)
        fixed_now = datetime.fromisoformat(params.pop("now", DEFAULT_NOW))
        overrides["now"] = lambda: fixed_now
        app = build_app(core, kivy_home=args.home / "kivy", session_overrides=overrides)
        import scenarios

        from screens.automation import Script

        steps = getattr(scenarios, args.scenario)
        script = Script(app, steps, total_timeout=args.timeout)
        script.params = params | simulators
        script.params["artifacts"] = args.artifacts
        args.artifacts.mkdir(parents=True, exist_ok=True)
        script.attach()
        app.run()
        outcome["results"] = script.results
        outcome["error"] = script.error
        outcome["ok"] = script.finished and script.error is None
        if not script.finished and script.error is None:
            outcome["error"] = "the app stopped before the scenario finished"
    finally:
        core.close()
        for sim in simulators.values():
            sim.stop()
        outcome["seconds"] = round(time.monotonic() - started, 2)
        args.result.write_text(json.dumps(outcome, ensure_ascii=False, default=str, indent=1))
    return 0 if outcome["ok"] else 1


def _start_simulators() -> dict:
    """The ID card reader (no card on it yet) and the scanner, each on a pty the kiosk opens
    with its real serial drivers; the scenario places cards and shows codes through them."""
    import os

    from hardware.idcard.simulator import IdCardSimulator, PtySimulator
    from hardware.scanner import PtyScannerSimulator

    reader = IdCardSimulator()
    reader.remove_card()
    idcard = PtySimulator(reader)
    scanner = PtyScannerSimulator()
    os.environ["KIOSK_DEVICES_IDCARD"] = f"serial:{idcard.start()}"
    os.environ["KIOSK_DEVICES_SCANNER"] = f"serial:{scanner.start()}"
    return {"idcard_sim": idcard, "scanner_sim": scanner}


if __name__ == "__main__":
    raise SystemExit(main())
