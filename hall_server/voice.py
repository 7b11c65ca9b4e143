"""Voice calling (语音叫号): the Mandarin call phrase and its audio, made on the hall server.

"请 A012 号 到 13 号窗口办理" is spoken by espeak-ng's `cmn` voice, the kiosk's voice too: it
needs no internet and no licensed recordings, makes a phrase in ~60 ms (FIELD_NOTES §7), and
reads any number or counter name. Clips joined per syllable would sound more natural only with
a professional recording per syllable, which a hall does not have; badly joined clips sound
worse than a steady synthetic voice (docs/counter.md, "Voice").

A call's audio has a deterministic URL computed from the ticket number and the counter
(`audio_url`), so the event writer needs no change: the stream adds the URL to every call it
delivers (`enrich_event`), and the WAV is made lazily on its first GET and cached on disk in
the server's data dir (bounded: the least recently used files go first).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
import shutil
import subprocess
import threading
import uuid
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.errors import NOT_FOUND, VOICE_FAILED, VOICE_UNAVAILABLE, KioskError

log = logging.getLogger(__name__)

DIGITS = "零一二三四五六七八九"
_UNITS = ((1000, "千"), (100, "百"), (10, "十"))
_PART = re.compile(r"[A-Za-z]+|[0-9]+|[^A-Za-z0-9]+")
# <number>_<counter>: A012_13, A-K3-017_C2.1 (numbers never hold "_"; counter codes are
# those of the queue services file). The key only selects a phrase: no file is named by it.
KEY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]{0,31})_([A-Za-z0-9._-]{1,32})$")
AUDIO_PATH = "/api/v1/audio"
SYNTH_TIMEOUT = 10.0  # seconds; a phrase takes ~0.1 s
READINGS = ("digits", "value")


def chinese_value(n: int) -> str:
    """An integer 0…99,999,999 read as a value: 12 → 十二, 105 → 一百零五, 1010 → 一千零一十."""
    if n < 0 or n >= 10**8:
        raise ValueError(f"{n} out of range")
    if n >= 10**4:
        high, low = divmod(n, 10**4)
        rest = _below_10k(low, leading=False) if low else ""
        joint = "零" if 0 < low < 1000 else ""
        return f"{_below_10k(high, leading=True)}万{joint}{rest}"
    return _below_10k(n, leading=True)


def _below_10k(n: int, *, leading: bool) -> str:
    if n == 0:
        return "零"
    out, zero = [], False
    for unit, name in _UNITS:
        digit, n = divmod(n, unit)
        if digit:
            if zero:
                out.append("零")
            # 十二, not 一十二, at the start of a number; 一百一十二 inside one
            out.append(name if (unit == 10 and digit == 1 and not out and leading) else
                       DIGITS[digit] + name)
            zero = False
        elif out:
            zero = True
    if n:
        if zero:
            out.append("零")
        out.append(DIGITS[n])
    return "".join(out)


def spoken_number(number: str, reading: str = "digits") -> str:
    """A ticket number as spoken: letters one by one, digit runs per `reading` (digits:
    A012 → "A 零一二"; value: A012 → "A 十二"), separators as a pause."""
    if reading not in READINGS:
        raise ValueError(f"reading must be one of {READINGS}")
    words = []
    for part in _PART.findall(number):
        if part.isascii() and part.isalpha():
            words.extend(part.upper())
        elif part.isdigit():
            words.append(chinese_value(int(part)) if reading == "value" else
                         "".join(DIGITS[int(c)] for c in part))
    return " ".join(words)


def spoken_counter(counter: str, name: str | None = None) -> str:
    """Where to go: counter 13 → "十三 号窗口"; a display name ("综合受理 3号窗口") is read as
    written, its digit runs as values (a counter is "thirteen", not "one three")."""
    text = name.strip() if name and name.strip() and name.strip() != counter else ""
    if not text:
        if counter.isdigit():
            return f"{chinese_value(int(counter))} 号窗口"
        text = f"{counter} 号窗口"
    spoken = re.sub(r"[0-9]+", lambda m: f" {chinese_value(int(m.group()))} ", text)
    return re.sub(r"\s+", " ", spoken).strip()


def phrase(number: str, counter: str, *, counter_name: str | None = None,
           reading: str = "digits") -> str:
    """The call as spoken: "请 A 零一二 号 到 十三 号窗口 办理"."""
    return f"请 {spoken_number(number, reading)} 号 到 {spoken_counter(counter, counter_name)} 办理"


def english_phrase(number: str, counter: str, *, counter_name_en: str | None = None) -> str:
    """The optional English call: "Number A 0 1 2, please go to counter 13." (digits one by
    one, as printed on the slip; espeak-ng's `en` voice reads them)."""
    spoken = " ".join(c for c in number.upper() if c.isalnum())
    where = counter_name_en.strip() if counter_name_en and counter_name_en.strip() else (
        f"counter {counter}")
    return f"Number {spoken}, please go to {where}."


def display_text(number: str, counter: str, counter_name: str | None = None) -> str:
    """The call as shown: "A012 → 13号窗口"."""
    where = counter_name if counter_name else (f"{counter}号窗口" if counter.isdigit() else counter)
    return f"{number} → {where}"


def audio_key(number: str, counter: str) -> str | None:
    """`<number>_<counter>`, or None when either has characters a key cannot carry."""
    key = f"{number}_{counter}"
    return key if KEY.match(key) else None


def audio_url(number: str, counter: str) -> str | None:
    key = audio_key(number, counter)
    return f"{AUDIO_PATH}/{key}.wav" if key else None


@functools.cache
def espeak_binary() -> str | None:
    """espeak-ng's path, looked up once; its absence is logged once (calls stay visible)."""
    found = shutil.which("espeak-ng") or shutil.which("espeak")
    if found is None:
        log.warning("espeak-ng not found (apt install espeak-ng): calls are shown, not spoken")
    return found


def with_audio_url(event: dict[str, Any]) -> dict[str, Any]:
    """A ticket event as delivered to pages: a call (`to` "called", a recall too) gains its
    `audio_url`, computed from number and counter (the WAV is made on its first GET)."""
    if event.get("to") != "called" or "audio_url" in event or espeak_binary() is None:
        return event
    number, counter = event.get("number"), event.get("counter")
    url = audio_url(str(number), str(counter)) if number and counter else None
    return {**event, "audio_url": url} if url else event


def parse_key(key: str) -> tuple[str, str]:
    """(number, counter) of a key; a malformed key is NOT_FOUND (it can name no file)."""
    match = KEY.match(key)
    if match is None:
        raise KioskError(NOT_FOUND, "no such audio (key is <number>_<counter>)")
    return match.group(1), match.group(2)


@dataclass
class Announcer:
    """Makes and caches call WAVs in `cache_dir`. Thread-safe; one synthesis at a time (each is
    short, and the hall server shares two cores with everything else)."""

    cache_dir: Path
    reading: str = "digits"
    rate: int = 150
    max_files: int = 2000
    voice: str = "cmn"
    english: bool = False  # the English call after the Mandarin one, in the same WAV

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._binary: str | None = espeak_binary()
        self._count: int | None = None

    @property
    def available(self) -> bool:
        return self._binary is not None

    def event_audio_url(self, number: str | None, counter: str | None) -> str | None:
        if not number or not counter or not self.available:
            return None
        url = audio_url(number, counter)
        if url is None:
            log.info("no audio for call %s at counter %s: not a plain number", number, counter)
        return url

    def path_for(self, *texts: str) -> Path:
        key = "|".join((self.voice, str(self.rate), *texts))
        return self.cache_dir / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.wav"

    def wav(self, number: str, counter: str, *, counter_name: str | None = None,
            counter_name_en: str | None = None) -> Path:
        """The WAV of this call, made on first use. Raises VOICE_UNAVAILABLE / VOICE_FAILED."""
        parts = [(self.voice, phrase(number, counter, counter_name=counter_name,
                                     reading=self.reading))]
        if self.english:
            parts.append(("en", english_phrase(number, counter, counter_name_en=counter_name_en)))
        path = self.path_for(*(text for _, text in parts))
        if path.exists():
            os.utime(path)  # least recently *used* goes first when the cache is full
            return path
        if not self.available:
            raise KioskError(VOICE_UNAVAILABLE, "espeak-ng not found on the hall server")
        with self._lock:
            if not path.exists():
                self._make(parts, path)
                self._prune()
        return path

    def _make(self, parts: list[tuple[str, str]], path: Path) -> None:
        self.cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmps = [path.with_name(f".{uuid.uuid4().hex}.tmp") for _ in parts]
        try:
            for (voice, text), tmp in zip(parts, tmps, strict=True):
                self._synthesise(voice, text, tmp)
            if len(tmps) > 1:
                _join_wavs(tmps, tmps[0])
            os.replace(tmps[0], path)
        finally:
            for tmp in tmps:
                tmp.unlink(missing_ok=True)
        log.info("call audio made: %s", path.name)
        if self._count is not None:
            self._count += 1

    def _synthesise(self, voice: str, text: str, out: Path) -> None:
        cmd = [self._binary or "espeak-ng", "-v", voice, "-s", str(self.rate),
               "-w", str(out), "--stdin"]
        try:
            done = subprocess.run(cmd, input=text.encode(), capture_output=True,
                                  timeout=SYNTH_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise KioskError(VOICE_FAILED, f"espeak-ng took over {SYNTH_TIMEOUT:.0f} s") from None
        if done.returncode != 0 or not out.exists() or out.stat().st_size < 1000:
            err = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise KioskError(VOICE_FAILED, f"espeak-ng exit {done.returncode}: "
                             f"{err[-1][:200] if err else 'no audio written'}")

    def _prune(self) -> None:
        """Keep at most max_files WAVs; counting the folder only when it may be over."""
        if self._count is not None and self._count <= self.max_files:
            return
        files = sorted(self.cache_dir.glob("*.wav"), key=_mtime)
        excess = len(files) - self.max_files
        for old in files[:max(excess, 0)]:
            old.unlink(missing_ok=True)
        self._count = min(len(files), self.max_files)


PAUSE_SECONDS = 0.6  # between the Mandarin and the English call


def _join_wavs(parts: list[Path], out: Path) -> None:
    """Concatenate WAVs of one format (espeak-ng writes 22,050 Hz mono 16-bit for every
    voice) with a short silence between them, into `out` (may be the first part)."""
    frames, params = [], None
    for part in parts:
        with wave.open(str(part), "rb") as w:
            if params is not None and w.getparams()[:3] != params[:3]:
                raise KioskError(VOICE_FAILED, "espeak-ng voices wrote different WAV formats")
            params = params or w.getparams()
            frames.append(w.readframes(w.getnframes()))
    silence = b"\0" * int(params.framerate * PAUSE_SECONDS) * params.sampwidth * params.nchannels
    with wave.open(str(out), "wb") as w:
        w.setparams(params)
        w.writeframes(silence.join(frames))


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # pruned meanwhile by another server process
        return 0.0
