"""Hall servers for tests, over real HTTP on loopback (nothing of ours is mocked).

- `start_server_process(tmp_path, …)` runs `python -m kiosk serve …` as a subprocess, reads
  its "serving on http://HOST:PORT" line, waits for /api/v1/health; `.stop()`, `.kill()`,
  `.restart()` (same port, same data), `.enroll(role, name)` (a code from
  `kiosk admin enroll-code`, spent on the HTTP enroll route).
- `start_server_thread(tmp_path, …)` runs the same app in a thread of the test process (fast;
  the clock is injectable: pass a `SettableClock` to set "now").
- `Api` is a tiny `requests` wrapper adding the bearer token and Idempotency-Key.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0


def _wait_health(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"hall server exited with {proc.returncode}")
        try:
            if requests.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                return
        except requests.RequestException as exc:
            last = exc
        time.sleep(0.05)
    raise TimeoutError(f"hall server at {url} not healthy in {timeout}s: {last}")


def _enroll(url: str, code: str, role: str, name: str | None) -> dict:
    resp = requests.post(
        f"{url}/api/v1/devices/enroll",
        json={"code": code, "name": name or f"test-{role}"},
        timeout=30,  # a loaded CI machine: key derivation and a cold app
    )
    if resp.status_code != 201:
        raise RuntimeError(f"enrolment failed: {resp.status_code} {resp.text}")
    return resp.json()


@dataclass
class ServerProcess:
    """`kiosk serve` in a subprocess with its own KIOSK_HOME and data dir."""

    tmp_path: Path
    demo: bool = True
    db_url: str | None = None
    port: int = 0
    env: dict[str, str] = field(default_factory=dict)
    url: str = ""
    proc: subprocess.Popen | None = None

    @property
    def data_dir(self) -> Path:
        return self.tmp_path / "server-data"

    @property
    def log_path(self) -> Path:
        return self.tmp_path / "server.log"

    def _environ(self) -> dict[str, str]:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
        environ.update({"KIOSK_HOME": str(self.tmp_path / "home"), "PYTHONUNBUFFERED": "1"})
        environ.update(TEST_HOURS_ENV)
        environ.update(self.env)
        return environ

    def db_args(self) -> list[str]:
        return ["--db", self.db_url] if self.db_url else ["--data-dir", str(self.data_dir)]

    def start(self, timeout: float = START_TIMEOUT) -> ServerProcess:
        cmd = [
            sys.executable,
            "-m",
            "kiosk",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            *self.db_args(),
        ]
        if self.demo:
            cmd.append("--demo")
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=log, cwd=REPO, env=self._environ(), text=True
        )
        log.close()
        self.url = self._read_url(timeout)
        self.port = int(self.url.rsplit(":", 1)[1])
        _wait_health(self.url, timeout, self.proc)
        return self

    def _read_url(self, timeout: float) -> str:
        assert self.proc is not None and self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline:
                if not sel.select(timeout=0.2):
                    if self.proc.poll() is not None:
                        break
                    continue
                line = self.proc.stdout.readline()
                if line.startswith("serving on "):
                    return line.split()[-1].strip()
                if not line and self.proc.poll() is not None:
                    break
        self.kill()
        raise RuntimeError(f"no 'serving on' line from kiosk serve; log:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM (graceful), then SIGKILL if it does not exit in time."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stdout:
            self.proc.stdout.close()
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL: a crash, no shutdown code runs."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if self.proc is not None and self.proc.stdout:
            self.proc.stdout.close()

    def restart(self, timeout: float = START_TIMEOUT) -> ServerProcess:
        """Stop (if running) and start again on the same port with the same data."""
        self.stop()
        return self.start(timeout)

    def admin(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "kiosk", "admin", *args, *self.db_args()]
        result = subprocess.run(
            cmd, capture_output=True, text=True, cwd=REPO, env=self._environ(), timeout=120
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args)} failed ({result.returncode}): {result.stdout}{result.stderr}"
            )
        return result

    def enroll_code(self, role: str = "kiosk", expires: str = "24h") -> str:
        out = self.admin("enroll-code", "--role", role, "--expires", expires, "--json").stdout
        return json.loads(out)["code"]

    def enroll(self, role: str = "kiosk", name: str | None = None) -> dict:
        """EnrollResponse as a dict: device_id, token, role, hall, hall_key, tag."""
        return _enroll(self.url, self.enroll_code(role), role, name)

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_server_process(
    tmp_path: Path,
    *,
    demo: bool = True,
    db_url: str | None = None,
    port: int = 0,
    env: dict[str, str] | None = None,
) -> ServerProcess:
    """Start `python -m kiosk serve` and wait until it is healthy."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    return ServerProcess(tmp_path, demo=demo, db_url=db_url, port=port, env=dict(env or {})).start()


# Suites run at any hour: servers they start take tickets around the clock unless a test
# asks for the hall's opening hours (tests/server/test_hall_rules.py does).
# They build no catalog store for fresh kiosks either (a process per catalog version) unless a
# test asks for it (tests/offline_cache/test_catalog_store.py): the suites sync the JSON Lines way.
TEST_HOURS_ENV = {"KIOSK_QUEUE_ENFORCE_HOURS": "false",
                  "KIOSK_SERVER_CATALOG_STORE_BUILD": "false"}
TEST_HOURS = {"queue": {"enforce_hours": False}, "server": {"catalog_store_build": False}}


def isolated_settings(tmp_path: Path, overrides: dict[str, dict[str, Any]] | None = None):
    """Settings from default.toml plus overrides only (no site file, no KIOSK_* env); opening
    hours are not enforced unless `overrides` says so (TEST_HOURS)."""
    from common.settings import load_settings

    merged = {section: dict(values) for section, values in TEST_HOURS.items()}
    for section, values in (overrides or {}).items():
        merged.setdefault(section, {}).update(values)
    overrides = merged

    site = tmp_path / "site.toml"
    site.parent.mkdir(parents=True, exist_ok=True)
    if not site.exists():
        site.write_text("")
    return load_settings(site_file=site, overrides=overrides, environ={})


@dataclass
class ThreadServer:
    """The hall server in a thread of this process (see hall_server.runner.start_in_thread)."""

    running: Any  # hall_server.runner.RunningServer
    settings: Any
    data_dir: Path
    db_url: str | None

    @property
    def url(self) -> str:
        return self.running.url

    @property
    def clock(self) -> Any:
        return self.running.clock

    @property
    def ctx(self) -> Any:
        return self.running.ctx

    @property
    def database(self) -> Any:
        return self.running.database

    def enroll_code(self, role: str = "kiosk", expires: str = "24h") -> str:
        """A code made with the server's own clock (so a test clock governs expiry)."""
        from hall_server import devices

        with self.database.write() as conn:
            return devices.create_enroll_code(
                conn, role=role, expires=devices.parse_duration(expires), now=self.clock.now()
            )["code"]

    def enroll(self, role: str = "kiosk", name: str | None = None) -> dict:
        return _enroll(self.url, self.enroll_code(role), role, name)

    def api(self, role: str = "kiosk", name: str | None = None) -> Api:
        enrolled = self.enroll(role, name)
        return Api(self.url, enrolled["token"], enrolled)

    def stop(self) -> None:
        self.running.stop()

    def __enter__(self) -> ThreadServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_server_thread(
    tmp_path: Path,
    *,
    demo: bool = False,
    db_url: str | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    clock: Any = None,
    reasons_path: Path | None = None,
    demo_dir: Path | None = None,
    forms_dir: Path | None = None,
) -> ThreadServer:
    from hall_server.runner import start_in_thread

    settings = isolated_settings(tmp_path, overrides)
    data_dir = tmp_path / "server-data"
    running = start_in_thread(
        settings,
        data_dir=data_dir,
        db_url=db_url,
        demo=demo,
        clock=clock,
        reasons_path=reasons_path,
        demo_dir=demo_dir,
        forms_dir=forms_dir,
    )
    return ThreadServer(running, settings, data_dir, db_url)


class Api:
    """requests with the device token; `post(..., key=...)` sets the Idempotency-Key
    (a fresh UUID when key is omitted; key=None sends none)."""

    _FRESH = object()

    def __init__(self, url: str, token: str | None = None, enrolled: dict | None = None) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.enrolled = enrolled or {}
        self.session = requests.Session()

    def _headers(self, key: Any = None) -> dict[str, str]:
        headers = {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if key is Api._FRESH:
            key = str(uuid.uuid4())
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    def _url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.url}/api/v1{path}"

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.session.get(self._url(path), headers=self._headers(), timeout=30, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.session.delete(self._url(path), headers=self._headers(), timeout=30, **kw)

    def post(self, path: str, json: Any = None, key: Any = _FRESH, **kw: Any) -> requests.Response:
        return self.session.post(
            self._url(path), json=json, headers=self._headers(key), timeout=60, **kw
        )

    def patch(self, path: str, json: Any = None, **kw: Any) -> requests.Response:
        return self.session.patch(
            self._url(path), json=json, headers=self._headers(), timeout=30, **kw
        )

    def ticket(self, service: str, key: Any = _FRESH, **body: Any) -> requests.Response:
        return self.post("/queue/tickets", {"service": service, **body}, key=key)
