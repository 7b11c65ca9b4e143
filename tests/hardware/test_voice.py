"""Voice prompts: the simulator records, `none` is disabled, espeak-ng writes real speech."""

import os
import shutil
import wave

import pytest

from common.errors import KioskError
from hardware.base import DeviceStatus
from hardware.voice import EspeakVoice, NullVoice, SimVoice, open_voice

PROMPT = "请到三号窗口办理"


def needs_espeak():
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed: apt install espeak-ng (./dev setup does)")


def test_sim_records_prompts_in_order_and_normalises_whitespace():
    with open_voice("sim") as voice:
        assert isinstance(voice, SimVoice)
        voice.say(PROMPT)
        voice.say("  请取走\n您的号票 ")
        voice.say("   ")  # nothing to say
        assert voice.status().status == DeviceStatus.OK
    assert voice.said == [PROMPT, "请取走 您的号票"]


def test_saying_while_closed_is_silently_skipped():
    voice = open_voice("sim")
    voice.say(PROMPT)
    assert voice.said == []
    assert voice.status().status == DeviceStatus.UNKNOWN


def test_none_is_disabled_so_screens_hide_voice():
    with open_voice("none") as voice:
        assert isinstance(voice, NullVoice)
        voice.say(PROMPT)
        assert voice.status().status == DeviceStatus.DISABLED


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("espeak:x", "no ':' part"),
        ("espeak?voice=cmn;rm", "not a voice name"),
        ("espeak?rate=5", "rate=5 outside"),
        ("espeak?file=", "needs a path"),
        ("sim?fault=x", "unknown option(s) fault"),
        ("festival", "unknown scheme 'festival'"),
    ],
)
def test_bad_voice_targets(target, says):
    with pytest.raises(KioskError) as caught:
        open_voice(target)
    assert caught.value.code == "E-HW-01" and says in caught.value.message


def test_espeak_writes_a_non_empty_mandarin_wav(tmp_path):
    needs_espeak()
    out = tmp_path / "prompt.wav"
    with open_voice(f"espeak?file={out}") as voice:
        assert isinstance(voice, EspeakVoice)
        voice.say(PROMPT)
        assert voice.wait(20.0)
        assert voice.status().status == DeviceStatus.OK
    with wave.open(str(out)) as wav:
        seconds = wav.getnframes() / wav.getframerate()
    assert 0.5 < seconds < 10  # eight syllables of speech, not silence and not garbage


def test_espeak_say_returns_at_once_and_a_new_prompt_replaces_the_old(tmp_path):
    needs_espeak()
    out = tmp_path / "prompt.wav"
    long_text = "请到三号窗口办理业务，谢谢配合。" * 60  # ~0.4 s of synthesis on this machine
    with open_voice(f"espeak?file={out}") as voice:
        voice.say(long_text)
        assert voice.status().status == DeviceStatus.BUSY  # say() did not wait for it
        voice.say(PROMPT)  # the screen changed: the old prompt is cut off
        assert voice.wait(20.0)
        assert voice.status().status == DeviceStatus.OK
    with wave.open(str(out)) as wav:
        assert wav.getnframes() / wav.getframerate() < 10  # the short prompt, not the long one


def test_espeak_without_a_sound_device_reports_a_fault_not_ok():
    needs_espeak()
    if os.path.exists("/dev/snd"):
        pytest.skip("this machine has a sound device; the no-device fault cannot be shown here")
    with open_voice("espeak") as voice:
        voice.say(PROMPT)
        voice.wait(20.0)
        report = voice.status()
    assert (report.status, report.code) == (DeviceStatus.FAULT, "E-VOI-02")


def test_espeak_missing_binary_is_e_voi_01(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(KioskError) as caught:
        open_voice("espeak").open()
    assert caught.value.code == "E-VOI-01" and "apt install espeak-ng" in caught.value.message
