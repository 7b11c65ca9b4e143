"""The systemd watchdog protocol (sd_notify), spoken from the kiosk's main loop.

Written by hand on purpose: it is one datagram on the unix socket named by NOTIFY_SOCKET
("READY=1", "WATCHDOG=1", "STATUS=…"), and a dependency (python-systemd needs libsystemd and
a compiler; sdnotify is unmaintained) would cost more than these lines. Outside systemd
(NOTIFY_SOCKET unset) every call is a cheap no-op, so the same code runs on a developer's
machine and in tests, where a stand-in supervisor binds the socket.

The running kiosk also leaves `$KIOSK_HOME/run/watchdog.json` (pid, supervised, last ping) so
`kiosk doctor`, run by a technician in another process, can tell a hung main loop from a
healthy one.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

STATE_FILE = Path("run") / "watchdog.json"
UNSUPERVISED_PING_S = 10.0  # how often an unsupervised kiosk still records that it is alive


def notify(*states: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send `states` (e.g. "READY=1", "STATUS=…") to the supervisor; False when there is none
    or it cannot be reached (a kiosk must never die because its supervisor went away)."""
    path = (environ if environ is not None else os.environ).get("NOTIFY_SOCKET", "")
    if not path or not states:
        return False
    if path.startswith("@"):  # Linux abstract socket namespace
        path = "\0" + path[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(path)
            sock.sendall("\n".join(states).encode())
        return True
    except OSError as exc:
        log.warning("sd_notify to %s failed: %s", path.lstrip("\0"), exc)
        return False


def watchdog_interval(environ: Mapping[str, str] | None = None) -> float | None:
    """Seconds between pings: half of WATCHDOG_USEC (systemd's advice), None when unset or
    meant for another process (WATCHDOG_PID)."""
    env = environ if environ is not None else os.environ
    usec, pid = env.get("WATCHDOG_USEC"), env.get("WATCHDOG_PID")
    if not usec or (pid and pid.isdigit() and int(pid) != os.getpid()):
        return None
    try:
        return max(0.05, int(usec) / 1e6 / 2)
    except ValueError:
        return None


class Watchdog:
    """Call `ready()` once the home screen is up and `tick()` from the main loop (often; it
    sends at most one ping per interval)."""

    def __init__(
        self,
        home: Path,
        *,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.environ = dict(os.environ if environ is None else environ)
        self.supervised = bool(self.environ.get("NOTIFY_SOCKET"))
        self.interval = watchdog_interval(self.environ)
        self.state_path = home / STATE_FILE
        self._clock = clock
        self._last_ping = float("-inf")
        self._ready_at: str | None = None
        self._status = "starting"

    def ready(self, status: str = "home screen ready") -> None:
        self._ready_at = _now_iso()
        self._status = status
        notify("READY=1", f"STATUS={status}", f"MAINPID={os.getpid()}", environ=self.environ)
        self._ping(force=True)

    def status(self, text: str) -> None:
        self._status = text
        notify(f"STATUS={text}", environ=self.environ)

    def tick(self) -> bool:
        """Ping if due; True when a ping went out (or was recorded, unsupervised)."""
        return self._ping(force=False)

    def stopping(self) -> None:
        notify("STOPPING=1", environ=self.environ)
        self._status = "stopped"
        self._write_state()

    def _ping(self, *, force: bool) -> bool:
        every = self.interval if self.interval else UNSUPERVISED_PING_S
        now = self._clock()
        if not force and now - self._last_ping < every:
            return False
        self._last_ping = now
        if self.interval:
            notify("WATCHDOG=1", environ=self.environ)
        self._write_state()
        return True

    def _write_state(self) -> None:
        state = {
            "pid": os.getpid(),
            "supervised": self.supervised,
            "interval_s": self.interval,
            "last_ping": _now_iso(),
            "ready_at": self._ready_at,
            "status": self._status,
        }
        try:
            self.state_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = self.state_path.with_name(self.state_path.name + ".tmp")
            tmp.write_text(json.dumps(state))
            os.replace(tmp, self.state_path)
        except OSError as exc:  # a full disk must not stop the pings themselves
            log.warning("watchdog state not written: %s", exc)


def read_state(home: Path) -> dict[str, Any] | None:
    try:
        return json.loads((home / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
