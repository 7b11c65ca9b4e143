"""The call phrase (pure text) and the call audio made by espeak-ng, cached on disk."""

from __future__ import annotations

import shutil
import wave

import pytest

from common.errors import KioskError
from hall_server.voice import (
    Announcer,
    audio_key,
    audio_url,
    chinese_value,
    display_text,
    english_phrase,
    parse_key,
    phrase,
    spoken_counter,
    spoken_number,
    with_audio_url,
)


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "零"), (7, "七"), (10, "十"), (12, "十二"), (20, "二十"), (100, "一百"),
        (105, "一百零五"), (110, "一百一十"), (112, "一百一十二"), (999, "九百九十九"),
        (1000, "一千"), (1001, "一千零一"), (1010, "一千零一十"), (2300, "二千三百"),
        (10000, "一万"), (10086, "一万零八十六"), (120000, "十二万"),
    ],
)
def test_chinese_value(n: int, text: str) -> None:
    assert chinese_value(n) == text


def test_numbers_read_as_digits_or_value() -> None:
    assert spoken_number("A012", "digits") == "A 零一二"
    assert spoken_number("A012", "value") == "A 十二"
    assert spoken_number("B100", "digits") == "B 一零零"
    assert spoken_number("B100", "value") == "B 一百"
    assert spoken_number("a007", "value") == "A 七"
    # an offline number: letters one by one, the dash a pause
    assert spoken_number("A-K3-017", "digits") == "A K 三 零一七"
    with pytest.raises(ValueError):
        spoken_number("A012", "letters")


def test_counters_are_read_as_values_or_by_name() -> None:
    assert spoken_counter("13") == "十三 号窗口"
    assert spoken_counter("3") == "三 号窗口"
    assert spoken_counter("C2") == "C 二 号窗口"
    assert spoken_counter("13", "13") == "十三 号窗口"  # a name equal to the id adds nothing
    assert spoken_counter("7", "综合受理 7号窗口") == "综合受理 七 号窗口"
    assert spoken_counter("vip", "贵宾窗口") == "贵宾窗口"


def test_the_whole_phrase() -> None:
    assert phrase("A012", "13") == "请 A 零一二 号 到 十三 号窗口 办理"
    assert phrase("A012", "13", reading="value") == "请 A 十二 号 到 十三 号窗口 办理"
    assert phrase("B105", "2", counter_name="二楼 2号窗口", reading="value") == (
        "请 B 一百零五 号 到 二楼 二 号窗口 办理"
    )


def test_display_text() -> None:
    assert display_text("A012", "13") == "A012 → 13号窗口"
    assert display_text("A012", "13", "综合窗口") == "A012 → 综合窗口"
    assert display_text("A012", "vip") == "A012 → vip"


def test_audio_keys_are_validated() -> None:
    assert audio_key("A012", "13") == "A012_13"
    assert audio_url("A-K3-017", "C2") == "/api/v1/audio/A-K3-017_C2.wav"
    assert audio_key("A012", "../etc") is None
    assert audio_key("A012", "c_2.1") == "A012_c_2.1"
    assert parse_key("A012_c_2.1") == ("A012", "c_2.1")
    assert audio_key("A012", "窗口") is None
    assert parse_key("A012_13") == ("A012", "13")
    for bad in ("A012", "../x_13", "A012_1/3", "-A_13", "_13", "A 012_13", "A012_窗口"):
        with pytest.raises(KioskError) as err:
            parse_key(bad)
        assert err.value.code == "E-API-01"


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed (./dev)")
def test_announcer_makes_caches_and_bounds_wavs(tmp_path) -> None:
    announcer = Announcer(tmp_path / "audio", max_files=3)
    path = announcer.wav("A012", "13")
    with wave.open(str(path)) as w:
        seconds = w.getnframes() / w.getframerate()
    assert seconds > 1.0
    assert announcer.wav("A012", "13") == path  # cached: the same file
    for n in range(1, 6):
        announcer.wav(f"A00{n}", "2")
    assert len(list((tmp_path / "audio").glob("*.wav"))) == 3
    assert not list((tmp_path / "audio").glob("*.tmp"))


def test_without_espeak_calls_get_no_audio_url(tmp_path) -> None:
    announcer = Announcer(tmp_path / "audio")
    announcer._binary = None  # as on a server where espeak-ng is not installed
    assert announcer.event_audio_url("A012", "13") is None
    with pytest.raises(KioskError) as err:
        announcer.wav("A012", "13")
    assert err.value.code == "E-VOI-01"


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed (./dev)")
def test_call_events_gain_an_audio_url_other_events_do_not() -> None:
    call = {"id": 7, "number": "A012", "counter": "13", "from": "waiting", "to": "called"}
    assert with_audio_url(call)["audio_url"] == "/api/v1/audio/A012_13.wav"
    recall = {**call, "from": "called"}
    assert with_audio_url(recall)["audio_url"] == "/api/v1/audio/A012_13.wav"
    served = {**call, "from": "serving", "to": "served"}
    assert "audio_url" not in with_audio_url(served)
    odd = {**call, "counter": "窗口"}
    assert "audio_url" not in with_audio_url(odd)


def test_english_phrase() -> None:
    assert english_phrase("A012", "13") == "Number A 0 1 2, please go to counter 13."
    assert english_phrase("A-K3-017", "2", counter_name_en="Counter 2 (2F)") == (
        "Number A K 3 0 1 7, please go to Counter 2 (2F)."
    )


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed (./dev)")
def test_english_follows_mandarin_in_one_wav(tmp_path) -> None:
    mandarin = Announcer(tmp_path / "zh").wav("A012", "13")
    both = Announcer(tmp_path / "both", english=True).wav("A012", "13")
    with wave.open(str(mandarin)) as a, wave.open(str(both)) as b:
        zh_s = a.getnframes() / a.getframerate()
        both_s = b.getnframes() / b.getframerate()
        assert b.getparams()[:3] == a.getparams()[:3]
    assert both_s > zh_s + 1.5  # the English call and the pause were appended
