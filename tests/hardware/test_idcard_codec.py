"""GA 467 frames, commands and status bytes, straight from byte fixtures."""

import pytest

from common.errors import KioskError
from hardware.idcard import protocol as codec

FIND_CARD = bytes.fromhex("AA AA AA 96 69 00 03 20 01 22")
REPLY_OK = bytes.fromhex("AA AA AA 96 69 00 04 00 00 90 94")
FIND_OK = bytes.fromhex("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")
SAM_STATUS = bytes.fromhex("AA AA AA 96 69 00 03 11 FF ED")


def test_field_notes_fixtures_build_byte_for_byte():
    assert codec.cmd_find_card() == FIND_CARD
    assert codec.build_reply(0x90) == REPLY_OK
    assert codec.build_reply(0x9F, bytes(4)) == FIND_OK
    assert codec.cmd_sam_status() == SAM_STATUS


@pytest.mark.parametrize(
    "frame,expected",
    [
        (codec.cmd_reset_sam(), "AAAAAA9669000310FFEC"),
        (codec.cmd_sam_id(), "AAAAAA9669000312FFEE"),
        (codec.cmd_select_card(), "AAAAAA96690003200221"),
        (codec.cmd_read(), "AAAAAA96690003300132"),
        (codec.cmd_read(fingerprints=True), "AAAAAA96690003301023"),
        (codec.cmd_read_appended_address(), "AAAAAA96690003300330"),
        (codec.cmd_set_baud(115200), "AAAAAA96690003600063"),
        (codec.cmd_set_baud(9600), "AAAAAA96690003600467"),
        (codec.cmd_set_max_rf_frame(0x50), "AAAAAA9669000461FF50CA"),
    ],
)
def test_every_command_frame(frame, expected):
    assert frame.hex().upper() == expected
    assert codec.checksum(frame[5:]) == 0  # XOR over LEN..CHK of a good frame is zero


def test_bad_command_arguments_are_refused():
    with pytest.raises(ValueError):
        codec.cmd_set_baud(4800)
    with pytest.raises(ValueError):
        codec.cmd_set_max_rf_frame(256)


def test_parse_reply_and_command():
    assert codec.parse_reply(FIND_OK) == codec.Reply(0, 0, 0x9F, bytes(4))
    assert codec.parse_reply(REPLY_OK).ok
    assert codec.parse_command(FIND_CARD) == codec.Command(0x20, 0x01)


def test_checksum_error_is_its_own_code():
    with pytest.raises(KioskError) as err:
        codec.parse_reply(REPLY_OK[:-1] + b"\x95")
    assert err.value.code == "E-IDC-03"


@pytest.mark.parametrize(
    "frame",
    [
        b"\x00\xaa\xaa\x96\x69\x00\x04\x00\x00\x90\x94",  # no preamble
        REPLY_OK[:7] + REPLY_OK[8:],  # LEN says 4, 3 follow
        codec.build_frame(b"\x00\x00"),  # a reply shorter than SW1 SW2 SW3
    ],
)
def test_malformed_frames_are_protocol_errors(frame):
    with pytest.raises(KioskError) as err:
        codec.parse_reply(frame)
    assert err.value.code == "E-IDC-09"


def test_parser_handles_any_chunking():
    stream = FIND_OK + REPLY_OK + codec.build_reply(0x90, bytes(range(200)))
    for size in (1, 2, 3, 7, 64, len(stream)):
        parser = codec.FrameParser()
        frames = []
        for i in range(0, len(stream), size):
            frames += parser.feed(stream[i : i + size])
        assert frames == [FIND_OK, REPLY_OK, codec.build_reply(0x90, bytes(range(200)))], size
        assert parser.pending == 0 and parser.discarded == 0


def test_parser_discards_garbage_and_resyncs():
    parser = codec.FrameParser()
    noise = b"\x00\xff\x13\xaa\xaa"  # ends like the start of a preamble
    assert parser.feed(noise) == []
    # "AA AA" kept in case a preamble continues; the real one follows, so they are noise too
    frames = parser.feed(b"\x37" + FIND_OK + b"\xaa\xaa\xaa\x96")
    assert frames == [FIND_OK]
    assert parser.feed(b"\x69\x00\x04\x00\x00\x90\x94") == [REPLY_OK]
    assert parser.discarded == len(noise) + 1


def test_parser_skips_an_impossible_length_and_finds_the_next_frame():
    parser = codec.FrameParser()
    bogus = codec.PREAMBLE + b"\xff\xff"  # LEN 65535: noise that looks like a header
    assert parser.feed(bogus + REPLY_OK) == [REPLY_OK]
    assert parser.discarded == len(bogus)


def test_parser_returns_frames_with_bad_checksums_for_the_caller_to_report():
    broken = REPLY_OK[:-1] + b"\x00"
    assert codec.FrameParser().feed(broken) == [broken]


# Every SW3 in the field notes maps to a registry code with a message naming the byte.
SW3_CODES = {
    0x10: "E-IDC-03",
    0x11: "E-IDC-03",
    0x21: "E-IDC-07",
    0x23: "E-IDC-07",
    0x24: "E-IDC-07",
    0x31: "E-IDC-08",
    0x32: "E-IDC-08",
    0x33: "E-IDC-08",
    0x3F: "E-IDC-07",
    0x40: "E-IDC-06",
    0x41: "E-IDC-04",
    0x47: "E-IDC-08",
    0x60: "E-IDC-07",
    0x66: "E-IDC-05",
    0x80: "E-IDC-01",
    0x81: "E-IDC-04",
    0x91: "E-IDC-09",
    0x55: "E-IDC-09",  # 0x55: not a known status
}


@pytest.mark.parametrize("sw3,code", sorted(SW3_CODES.items()))
def test_sw3_status_maps_to_registry_code(sw3, code):
    reply = codec.parse_reply(codec.build_reply(sw3))
    with pytest.raises(KioskError) as err:
        codec.check_reply(reply, "test")
    assert err.value.code == code
    assert f"SW3=0x{sw3:02X}" in err.value.message


@pytest.mark.parametrize("sw3", [0x90, 0x9F])
def test_success_statuses(sw3):
    reply = codec.parse_reply(codec.build_reply(sw3))
    assert codec.check_reply(reply) is reply


def test_nonzero_sw1_sw2_is_a_protocol_error():
    with pytest.raises(KioskError) as err:
        codec.check_reply(codec.Reply(0x01, 0x00, 0x90))
    assert err.value.code == "E-IDC-09"


def test_read_reply_is_1295_bytes_and_splits_back():
    text, photo = bytes(range(256)), bytes(1024)
    frame = codec.build_reply(0x90, codec.build_read_data(text, photo))
    assert len(frame) == 1295
    assert frame[:14].hex().upper() == "AAAAAA9669050800009001000400"
    result = codec.parse_read_data(codec.parse_reply(frame).data)
    assert (result.text, result.photo, result.fingerprints) == (text, photo, b"")


def test_read_with_fingerprints_is_2321_bytes():
    prints = b"\x01" * 1024
    frame = codec.build_reply(0x90, codec.build_read_data(bytes(256), bytes(1024), prints))
    assert len(frame) == 2321
    result = codec.parse_read_data(codec.parse_reply(frame).data, fingerprints=True)
    assert result.fingerprints == prints


def test_read_data_with_lengths_that_do_not_add_up():
    data = codec.build_read_data(bytes(256), bytes(1024))[:-1]
    with pytest.raises(KioskError) as err:
        codec.parse_read_data(data)
    assert err.value.code == "E-IDC-09"


@pytest.mark.parametrize(
    "request_frame,reply_frame,fits",
    [
        (FIND_CARD, FIND_OK, True),
        (FIND_CARD, codec.build_reply(0x80), True),  # an error carries no data: fits anything
        (FIND_CARD, REPLY_OK, False),  # a SAM status answer arriving late
        (codec.cmd_sam_status(), FIND_OK, False),  # a find answer arriving late
        (codec.cmd_select_card(), codec.build_reply(0x90, bytes(8)), True),
        (codec.cmd_select_card(), FIND_OK, False),
        (codec.cmd_read(), codec.build_reply(0x90, codec.build_read_data(bytes(256), b"")), True),
        (codec.cmd_read(), codec.build_reply(0x90, bytes(8)), True),  # shape checked later
        (codec.cmd_read(), REPLY_OK, False),
        (codec.cmd_sam_id(), codec.build_reply(0x90, bytes(16)), True),
        (codec.cmd_sam_id(), codec.build_reply(0x90, bytes(8)), False),
        (codec.cmd_set_baud(9600), REPLY_OK, True),
        (codec.cmd_read_appended_address(), codec.build_reply(0x91), True),
        (codec.cmd_read_appended_address(), codec.build_reply(0x90, bytes(70)), True),
    ],
)
def test_reply_fits_its_request(request_frame, reply_frame, fits):
    assert codec.reply_fits(request_frame, codec.parse_reply(reply_frame)) is fits


def test_checksum_is_the_xor_of_all_bytes():
    import functools
    import operator
    import random

    rng = random.Random(467)
    for size in (0, 1, 2, 3, 7, 8, 9, 255, 1288, 2314):
        data = bytes(rng.randrange(256) for _ in range(size))
        assert codec.checksum(data) == functools.reduce(operator.xor, data, 0), size
