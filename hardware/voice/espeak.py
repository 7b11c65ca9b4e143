"""Offline Mandarin speech with espeak-ng (voice `cmn`), as a background subprocess.

espeak-ng is a program, not a library we can bind (python-espeak bindings are unmaintained),
so it runs as a child process: text goes on stdin (never on the command line, where a
leading "-" would be an option), `say()` returns at once, and the previous prompt is
stopped when a new one starts.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import time

from common.errors import VOICE_FAILED, VOICE_UNAVAILABLE, KioskError
from hardware.base import DeviceStatus, StatusReport
from hardware.voice.driver import Voice

log = logging.getLogger(__name__)

MAX_CHARS = 1000  # a prompt, not a book; also keeps the stdin write from ever blocking


class EspeakVoice(Voice):
    """Target `espeak[?voice=cmn&rate=150&file=/path.wav]`; with `file`, speech is written
    to a WAV file instead of the sound card."""

    driver = "espeak"

    def __init__(
        self,
        target: str = "espeak",
        *,
        voice: str = "cmn",
        rate: int = 150,
        file: str | None = None,
    ) -> None:
        super().__init__(target)
        self.voice = voice
        self.rate = rate
        self.file = file
        self._binary: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._failure: str | None = None

    def _open(self) -> None:
        self._binary = shutil.which("espeak-ng") or shutil.which("espeak")
        if self._binary is None:
            raise KioskError(VOICE_UNAVAILABLE, "espeak-ng not found: apt install espeak-ng")

    def _close(self) -> None:
        self._stop()

    def _stop(self) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(1.0)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._reap()

    def _reap(self) -> None:
        proc = self._proc
        if proc is None or proc.poll() is None:
            return
        err = ""
        if proc.stderr:
            err = proc.stderr.read().decode("utf-8", "replace").strip()
            proc.stderr.close()
        # espeak-ng exits 0 even when it has no sound card; it says "error:" on stderr
        failed = proc.returncode not in (0, -15) or any(
            line.startswith("error:") for line in err.splitlines()
        )
        if failed and proc.returncode != -15:  # -15: we stopped it for a newer prompt
            last = err.splitlines()[-1] if err else ""
            self._failure = f"espeak-ng (exit {proc.returncode}): {last[:200]}"
            log.warning("voice: %s", self._failure)
        self._proc = None

    def _say(self, text: str) -> None:
        self._stop()
        argv = [self._binary or "espeak-ng", "-v", self.voice, "-s", str(self.rate), "--stdin"]
        if self.file:
            argv += ["-w", self.file]
        try:
            proc = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
        except OSError as exc:
            self._failure = str(exc)
            raise KioskError(VOICE_FAILED, f"{self.target}: {exc}") from exc
        if proc.stdin is not None:
            try:
                proc.stdin.write(text[:MAX_CHARS].encode("utf-8"))
                proc.stdin.close()
            except BrokenPipeError:  # it died at once; status() reports the exit
                pass
        self._proc = proc
        self._failure = None

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self._proc is not None and self._proc.poll() is None:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        self._reap()
        return True

    def status(self) -> StatusReport:
        if not self._is_open:
            return StatusReport(DeviceStatus.UNKNOWN, "not open")
        self._reap()
        if self._failure:
            return StatusReport(DeviceStatus.FAULT, self._failure, VOICE_FAILED.code)
        if self._proc is not None:
            return StatusReport(DeviceStatus.BUSY, "speaking")
        return StatusReport(DeviceStatus.OK, f"{self._binary} voice {self.voice}")
