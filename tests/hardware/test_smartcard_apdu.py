"""APDU helpers and card profiles as data (no reader needed)."""

from pathlib import Path

import pytest

from common.errors import KioskError
from hardware.smartcard import apdu
from hardware.smartcard.profiles import load_profiles

MIFARE_ATR = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")
ISO14443_4_ATR = bytes.fromhex("3B8180018080")


def test_hex_parsing():
    assert apdu.parse_hex("FF CA 00 00 00") == b"\xff\xca\x00\x00\x00"
    assert apdu.parse_hex("ffca:0000") == b"\xff\xca\x00\x00"
    for bad in ("FFC", "GG", "FF CA 0"):
        with pytest.raises(ValueError):
            apdu.parse_hex(bad)
    assert apdu.to_hex(b"\x04\xa1") == "04A1"


@pytest.mark.parametrize(
    "sw,meaning",
    [
        ((0x90, 0x00), "success"),
        ((0x6A, 0x82), "file or application not found"),
        ((0x69, 0x82), "security status not satisfied (PIN or authentication needed)"),
        ((0x61, 0x1E), "more response bytes available"),
        ((0x6C, 0x0B), "wrong Le field"),
        ((0x63, 0xC2), "verification failed, retries left in the last nibble"),
        ((0x12, 0x34), "unknown status word"),
    ],
)
def test_status_word_meanings(sw, meaning):
    assert apdu.sw_meaning(*sw) == meaning


def test_status_word_error_is_e_sc_06_with_the_word():
    err = apdu.sw_error(0x6A, 0x81, "get UID")
    assert err.code == "E-SC-06" and err.exit_code == 55
    assert "SW=6A81 (function not supported)" in err.message


@pytest.mark.parametrize(
    "pattern,atr,hit",
    [
        ("3B 8. 80 01 *", MIFARE_ATR, True),
        ("3B 8. 80 01 *", ISO14443_4_ATR, True),
        ("3B 8. 80 01 *", bytes.fromhex("3B6800000073C84013009000"), False),
        ("3B 8F 80 01", MIFARE_ATR, False),  # no "*": the whole ATR must match
        ("*", b"\x3b", True),
    ],
)
def test_atr_patterns(pattern, atr, hit):
    assert apdu.atr_matches(pattern, atr) is hit


def test_record_parsers():
    assert apdu.tlv_value(b"\x07\x03ABC") == b"ABC"
    assert apdu.bcd_date(bytes.fromhex("20310615")) == "2031-06-15"
    assert apdu.PARSERS["tlv_gbk"](b"\x09\x04" + "张三".encode("gbk")) == "张三"
    with pytest.raises(ValueError):
        apdu.tlv_value(b"\x07\x09AB")
    with pytest.raises(ValueError):
        apdu.bcd_date(b"\x20\x31\x06\x1f")


def test_shipped_profiles_load_in_priority_order():
    profiles = load_profiles()
    assert [p.id for p in profiles] == ["contactless_uid", "social_security_card"]
    uid, social = profiles
    assert uid.matches(MIFARE_ATR) and not uid.matches(bytes.fromhex("3B680000"))
    assert uid.steps[0].apdu == bytes.fromhex("FFCA000000") and uid.steps[0].probe
    assert social.steps[0].apdu.endswith(bytes.fromhex("7378312E73682EC9E7BBE1B1A3D5CF"))
    assert "card_number" in social.personal


@pytest.mark.parametrize(
    "body,problem",
    [
        ('[[profile]]\nid = "x"\natr = ["3B ZZ"]\nsteps = [{apdu = "00"}]', "bad ATR pattern"),
        ('[[profile]]\nid = "x"\natr = ["*"]\nsteps = []', "no steps"),
        ('[[profile]]\nid = "x"\natr = ["*"]\nsteps = [{apdu = "0"}]', "not a hex byte string"),
        ('[[profile]]\nid = "x"\natr = ["*"]\nsteps = [{apdu = "00", parse = "rot13"}]', "rot13"),
        ('[[profile]]\natr = ["*"]\nsteps = [{apdu = "00"}]', "'id'"),
        ("[[profile]\n", "Expected"),
    ],
)
def test_bad_profile_files_name_the_problem(tmp_path: Path, body, problem):
    path = tmp_path / "profiles.toml"
    path.write_text(body)
    with pytest.raises(KioskError) as err:
        load_profiles(path)
    assert err.value.code == "E-SC-08"
    assert problem in err.value.message
