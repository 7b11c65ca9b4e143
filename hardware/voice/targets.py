"""`open_voice(target)`: `espeak[?voice=cmn&rate=150&file=/path.wav]`, `sim`, `none`."""

from __future__ import annotations

from hardware.target_string import parse_target
from hardware.voice.driver import NullVoice, SimVoice, Voice
from hardware.voice.espeak import EspeakVoice


def open_voice(target: str) -> Voice:
    """The voice for `target`, not yet opened. Bad strings raise KioskError(E-HW-01)."""
    t = parse_target(target, family="voice")
    if t.rest:
        raise t.fail(f"{t.scheme} takes no ':' part; options go after '?'")
    if t.scheme == "espeak":
        t.allow({"voice", "rate", "file"})
        voice = t.options.get("voice", "cmn")
        if not voice or not all(c.isalnum() or c in "-_+" for c in voice):
            raise t.fail(f"voice={voice!r} is not a voice name")
        if "file" in t.options and not t.options["file"]:
            raise t.fail("file= needs a path")
        return EspeakVoice(
            t.raw, voice=voice, rate=t.integer("rate", 150, 80, 450), file=t.options.get("file")
        )
    if t.scheme == "sim":
        t.allow(())
        return SimVoice(t.raw)
    if t.scheme == "none":
        t.allow(())
        return NullVoice(t.raw)
    raise t.fail(f"unknown scheme {t.scheme!r} (known: espeak, sim, none)")
