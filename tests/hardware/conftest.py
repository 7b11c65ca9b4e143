"""Fixtures for device tests: a real pcscd with vsmartcard's vpcd reader (session-scoped,
started here and stopped at the end), virtual cards that plug into it, and helpers to run
the `kiosk` CLI as a subprocess.

PC/SC tests are marked `pcsc`. Without pcscd / vpcd / pyscard they skip with the reason,
except under CI (env CI set) where that is a failure: CI must have them (./dev installs
pcscd vsmartcard-vpcd libpcsclite-dev).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PCSCD = shutil.which("pcscd") or "/usr/sbin/pcscd"
VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
PCSCD_PIDFILE = Path("/run/pcscd/pcscd.pid")
PCSCD_SOCKET = Path("/run/pcscd/pcscd.comm")
READER_NAME = "Kiosk Test VPCD"


def _missing_or_skip(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI must provide PC/SC test tools: {reason}")
    print(f"\nskipping PC/SC tests: {reason}", file=sys.stderr)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _running_pcscd() -> str | None:
    """Who already serves /run/pcscd, if anyone: a pcscd process or a systemd socket."""
    try:
        pid = int(PCSCD_PIDFILE.read_text().strip())
        os.kill(pid, 0)
        return f"pcscd pid {pid}"
    except (OSError, ValueError):
        pass
    with socket.socket(socket.AF_UNIX) as sock:
        try:
            sock.connect(str(PCSCD_SOCKET))
        except OSError:
            return None
    return f"a listener on {PCSCD_SOCKET} (systemd pcscd.socket?)"


@dataclass
class PcscEnv:
    port: int  # vpcd's TCP port for the first slot
    reader: str  # the reader name pcscd gives that slot
    log: Path


@pytest.fixture(scope="session")
def pcscd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PcscEnv]:
    """A private pcscd serving one vpcd reader on a free port; stopped at session end."""
    if not Path(PCSCD).exists():
        _missing_or_skip("pcscd not installed (apt install pcscd)")
    if not VPCD_DRIVER.exists():
        _missing_or_skip(f"{VPCD_DRIVER} missing (apt install vsmartcard-vpcd)")
    try:
        import smartcard.scard  # noqa: F401
    except (ImportError, OSError) as exc:
        _missing_or_skip(f"pyscard unavailable: {exc}")
    other = _running_pcscd()
    if other is not None:  # pcscd is one per machine (/run/pcscd); never kill someone else's
        _missing_or_skip(f"{other} already serves PC/SC; stop it to run the PC/SC tests")
    directory = tmp_path_factory.mktemp("pcscd")
    conf = directory / "reader.conf.d"
    conf.mkdir()
    port = _free_port()
    (conf / "vpcd").write_text(
        f'FRIENDLYNAME "{READER_NAME}"\nDEVICENAME /dev/null:0x{port:X}\n'
        f"LIBPATH {VPCD_DRIVER}\nCHANNELID 0x{port:X}\n"
    )
    log = directory / "pcscd.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [PCSCD, "--foreground", "-c", str(conf)], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        reader = _wait_ready(proc, log)
        yield PcscEnv(port=port, reader=reader, log=log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _wait_ready(proc: subprocess.Popen, log: Path) -> str:
    import smartcard.scard as s

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"pcscd exited ({proc.returncode}): {log.read_text(errors='replace')}")
        hresult, ctx = s.SCardEstablishContext(s.SCARD_SCOPE_USER)
        if hresult == s.SCARD_S_SUCCESS:
            hresult, readers = s.SCardListReaders(ctx, [])
            s.SCardReleaseContext(ctx)
            ours = sorted(r for r in (readers or []) if r.startswith(READER_NAME))
            if ours:
                return ours[0]
        time.sleep(0.05)
    pytest.fail(f"pcscd not ready within 10 s: {log.read_text(errors='replace')}")


@pytest.fixture
def virtual_card(pcscd: PcscEnv) -> Iterator:
    """Factory: virtual_card(kind, **kw) → an inserted VirtualCard, removed after the test."""
    from hardware.smartcard import virtual_card as vc

    cards = []

    def make(kind: str = "uid", insert: bool = True, **kwargs):
        factory = {"uid": vc.uid_card, "social": vc.social_security_card}[kind]
        card = factory(port=pcscd.port, reader=pcscd.reader, **kwargs)
        cards.append(card)
        if insert:
            card.insert()
        return card

    yield make
    for card in cards:
        card.remove()


# --- the CLI as a subprocess ------------------------------------------------------------------
@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        return json.loads(self.stdout)


def run_kiosk(*args: str, timeout: float = 30, env: dict[str, str] | None = None) -> CliResult:
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def kiosk_cli():
    return run_kiosk
