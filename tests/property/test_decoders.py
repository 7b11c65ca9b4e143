"""Property-based tests (hypothesis) of everything that decodes bytes or text from outside:
GA 467 frames and text blocks, scanned QR payloads, catalog import lines, the config loader.
Each decoder either returns a value or raises its own KioskError — never anything else — and
what our encoders produce decodes back to the same thing. Bounded (examples per test, no
deadline on a noisy shared machine, no example database in the worktree) so the whole module
runs in about a minute; the seed is fixed so CI is repeatable."""

from __future__ import annotations

import json
import string
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.errors import KioskError
from hardware.idcard import protocol as codec
from hardware.idcard.samples import SAMPLES
from hardware.idcard.textblock import TEXT_BLOCK_SIZE, encode_text_block, parse_text_block
from hardware.scanner.decode import decode_payload

BOUNDED = settings(max_examples=100, deadline=None, database=None, derandomize=True,
                   suppress_health_check=[HealthCheck.too_slow])
CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
SW3 = st.integers(0, 255)


# --- GA 467 frames ----------------------------------------------------------------------------
@BOUNDED
@given(sw3=SW3, data=st.binary(max_size=600), noise=st.binary(max_size=40),
       cuts=st.lists(st.integers(0, 700), max_size=6))
def test_a_reply_survives_noise_and_any_chunking(sw3, data, noise, cuts):
    frame = codec.build_reply(sw3, data)
    noise = noise.replace(codec.PREAMBLE[:1], b"")  # noise that cannot start a preamble
    stream = noise + frame
    parser = codec.FrameParser()
    frames: list[bytes] = []
    start = 0
    for cut in sorted({min(c, len(stream)) for c in cuts}) + [len(stream)]:
        frames += parser.feed(stream[start:cut])
        start = cut
    assert frames == [frame]
    assert codec.parse_reply(frames[0]) == codec.Reply(0, 0, sw3, data)


@BOUNDED
@given(raw=st.binary(max_size=400))
def test_any_bytes_decode_to_a_frame_or_the_codecs_own_error(raw):
    for decode in (codec.parse_reply, codec.parse_command, codec.frame_body):
        try:
            decode(raw)
        except KioskError as exc:
            assert exc.code in ("E-IDC-03", "E-IDC-09")
    for frame in codec.FrameParser().feed(raw):
        assert frame.startswith(codec.PREAMBLE)
        assert int.from_bytes(frame[5:7], "big") == len(frame) - codec.HEADER_SIZE


@BOUNDED
@given(sw3=SW3, data=st.binary(min_size=1, max_size=300), at=st.integers(0), flip=st.integers(1, 255))
def test_one_corrupted_byte_is_always_caught(sw3, data, at, flip):
    frame = bytearray(codec.build_reply(sw3, data))
    index = codec.HEADER_SIZE + at % (len(frame) - codec.HEADER_SIZE)  # a body or CHK byte
    frame[index] ^= flip
    with pytest.raises(KioskError) as info:
        codec.parse_reply(bytes(frame))
    assert info.value.code == "E-IDC-03"


@BOUNDED
@given(data=st.binary(max_size=2400), fingerprints=st.booleans())
def test_read_data_decodes_or_is_a_protocol_error(data, fingerprints):
    try:
        result = codec.parse_read_data(data, fingerprints=fingerprints)
    except KioskError as exc:
        assert exc.code == "E-IDC-09"
    else:
        assert len(result.text) + len(result.photo) + len(result.fingerprints) <= len(data)


# --- the text block ---------------------------------------------------------------------------
@BOUNDED
@given(block=st.binary(min_size=TEXT_BLOCK_SIZE, max_size=TEXT_BLOCK_SIZE))
def test_any_text_block_is_a_card_or_the_codecs_own_error(block):
    try:
        card = parse_text_block(block)
    except KioskError as exc:
        assert exc.code in ("E-IDC-06", "E-IDC-09")
    else:
        card.to_json()  # and the card can be used


@BOUNDED
@given(kind=st.sampled_from(sorted(SAMPLES)), data=st.data())
def test_text_fields_survive_a_block_unchanged(kind, data):
    sample = SAMPLES[kind]
    name = data.draw(st.text(CJK, min_size=1, max_size=15), label="name")
    address = data.draw(st.text(CJK, min_size=1, max_size=35), label="address") \
        if sample.address else ""
    card = replace(sample, name=name, address=address, photo=b"", fingerprints=b"",
                   appended_address="")  # read with its own command, not in the block
    try:
        block = encode_text_block(card)
    except ValueError:
        return  # does not fit this card kind's layout: nothing a reader could send
    assert parse_text_block(block).to_json() == card.to_json()


@BOUNDED
@given(kind=st.sampled_from(sorted(SAMPLES)), offset=st.integers(0, TEXT_BLOCK_SIZE // 2 - 1),
       char=st.characters(blacklist_categories=["Cs"]))
def test_one_odd_character_anywhere_is_a_card_or_the_codecs_own_error(kind, offset, char):
    """Fuzzing found '²' and '①' in count fields raising ValueError (issue 15)."""
    block = bytearray(encode_text_block(SAMPLES[kind]))
    unit = char.encode("utf-16-le")[:2]
    block[offset * 2: offset * 2 + 2] = unit
    try:
        parse_text_block(bytes(block))
    except KioskError as exc:
        assert exc.code in ("E-IDC-06", "E-IDC-09")


# --- scanned QR payloads ----------------------------------------------------------------------
@BOUNDED
@given(raw=st.binary(max_size=300))
def test_any_scan_decodes_or_is_e_scn_02(raw):
    try:
        assert isinstance(decode_payload(raw), str)
    except KioskError as exc:
        assert exc.code == "E-SCN-02"


@BOUNDED
@given(text=st.text(max_size=120).filter(lambda t: not t.startswith("\ufeff")))
def test_utf8_payloads_decode_to_themselves(text):
    assert decode_payload(text.encode("utf-8")) == text
    assert decode_payload(b"\xef\xbb\xbf" + text.encode("utf-8")) == text


def _not_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


@BOUNDED
@given(text=st.text(CJK, min_size=1, max_size=60).filter(
    lambda t: _not_utf8(t.encode("gb18030"))))
def test_gb18030_payloads_decode_to_themselves(text):
    """Only GB18030 bytes that are not also valid UTF-8: hypothesis found that a short
    payload such as 一 (D2 BB) is valid UTF-8 too (Cyrillic һ) and is read as UTF-8 first
    — an ambiguity of the two encodings that decode_payload resolves towards UTF-8."""
    assert decode_payload(text.encode("gb18030")) == text


@BOUNDED
@given(text=st.text(max_size=200))
def test_a_scanned_text_gives_an_application_number_or_none(text):
    from screens.viewmodels.progress import number_from_scan

    number = number_from_scan(text)
    assert number is None or (8 <= len(number) <= 32 and number.isalnum() and number.isascii())


@BOUNDED
@given(number=st.text(string.ascii_uppercase + string.digits, min_size=8, max_size=32),
       base=st.sampled_from(["", "https://hall.example/a/", "http://10.0.0.2:8470/a/"]))
def test_a_receipt_qr_gives_back_its_number(number, base):
    from screens.viewmodels.progress import number_from_scan

    assert number_from_scan(f"{base}{number}") == number
    assert number_from_scan(f"  {base}{number.lower()}/ ") == number


# --- catalog import lines ---------------------------------------------------------------------
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=12,
)


@BOUNDED
@given(lines=st.lists(st.text(max_size=200) | JSON_VALUES.map(json.dumps), max_size=6))
def test_any_catalog_lines_import_or_are_e_imp_01(lines):
    from hall_server.catalog_import import parse_lines

    try:
        items = parse_lines(lines)
    except KioskError as exc:
        assert exc.code == "E-IMP-01"
    else:
        assert len({i.code for i in items}) == len(items)


ITEMS = st.builds(
    dict,
    code=st.text(string.ascii_uppercase + string.digits + "-", min_size=1, max_size=20),
    title=st.text(CJK, min_size=1, max_size=30),
    department=st.text(CJK, min_size=1, max_size=10),
    legal_days=st.integers(0, 365),
    promised_days=st.integers(0, 365),
    aliases=st.lists(st.text(CJK, min_size=1, max_size=6), max_size=3),
    visits=st.integers(0, 5),
)


@BOUNDED
@given(items=st.lists(ITEMS, min_size=1, max_size=5, unique_by=lambda i: i["code"]))
def test_valid_catalog_lines_import_as_written(items):
    from hall_server.catalog_import import parse_lines

    parsed = parse_lines(json.dumps(i, ensure_ascii=False) for i in items)
    assert [p.model_dump(include=set(i)) for p, i in zip(parsed, items, strict=True)] == items


# --- the config loader ------------------------------------------------------------------------
def load(tmp: Path, content: bytes):
    from common.settings import load_settings

    (tmp / "site.toml").write_bytes(content)
    return load_settings(environ={"KIOSK_HOME": str(tmp)})


@BOUNDED
@given(content=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_site_file_loads_or_is_a_configuration_error(tmp_path_factory, content):
    tmp = tmp_path_factory.mktemp("site")
    try:
        load(tmp, content)
    except KioskError as exc:
        assert exc.code in ("E-CFG-01", "E-CFG-02")
        assert str(tmp / "site.toml") in exc.message


SETTING_VALUES = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(
    allow_nan=False, allow_infinity=False) | st.text(max_size=30)


@BOUNDED
@given(data=st.data())
def test_a_bad_value_for_a_known_key_is_named(tmp_path_factory, data):
    import tomlkit

    from common.settings import SECTIONS

    section = data.draw(st.sampled_from(sorted(SECTIONS)), label="section")
    key = data.draw(st.sampled_from(sorted(SECTIONS[section].model_fields)), label="key")
    value = data.draw(SETTING_VALUES.filter(lambda v: v is not None), label="value")
    tmp = tmp_path_factory.mktemp("site")
    doc = tomlkit.document()
    doc[section] = {key: value}
    try:
        settings = load(tmp, tomlkit.dumps(doc).encode())
    except KioskError as exc:
        assert exc.code == "E-CFG-01" and f"{section}.{key}" in exc.message
    else:
        assert getattr(settings, section) is not None
