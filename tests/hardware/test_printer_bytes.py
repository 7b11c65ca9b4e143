"""Exact ESC/POS bytes: init, Chinese mode, GBK, sizes, QR, raster, cut."""

import logging

import pytest
from PIL import Image

from hardware.printer import Document, PrintProfile
from hardware.printer import protocol as cmd
from hardware.printer.encoding import clean, columns, needs_raster, runs, wrap
from hardware.printer.readback import parse_escpos, printed_lines, raster_images


def test_every_document_starts_with_esc_at():
    assert Document().to_bytes() == b"\x1b@"


def test_chinese_goes_out_as_gbk_inside_fs_and_fs_dot_and_ascii_outside():
    data = Document().text("请到A3号窗口").to_bytes()
    assert data == (
        b"\x1b@\x1c&" + "请到".encode("gbk") + b"\x1c.A3\x1c&" + "号窗口".encode("gbk") + b"\x1c.\n"
    )
    assert "请到".encode("gbk") == b"\xc7\xeb\xb5\xbd"  # GBK, not UTF-8 and not GB18030 4-byte


def test_chinese_punctuation_is_gbk_too_not_question_marks():
    data = Document().text("，。：").to_bytes()
    assert data == b"\x1b@\x1c&\xa3\xac\xa1\xa3\xa3\xba\x1c.\n"


def test_yen_sign_prints_as_gbk_fullwidth_yuan():
    data = Document().text("¥12").to_bytes()
    assert data == b"\x1b@\x1c&\xa3\xa4\x1c.12\n"


def test_control_characters_cannot_inject_printer_commands():
    data = Document().text("A\x1bd\x05\x1dV\x00B").to_bytes()
    assert b"\x1b" not in data[2:] and b"\x1d" not in data
    assert printed_lines(data) == ["A d  V B"]


def test_size_alignment_bold_sent_only_when_they_change():
    data = (
        Document()
        .text("A", align="center", size=2, bold=True)
        .text("B", align="center", size=2, bold=True)
        .text("C")
        .to_bytes()
    )
    assert data == (b"\x1b@\x1ba\x01\x1d!\x11\x1bE\x01A\nB\n\x1ba\x00\x1d!\x00\x1bE\x00C\n")


def test_char_size_encodes_width_and_height():
    assert cmd.char_size(1, 1) == b"\x1d!\x00"
    assert cmd.char_size(4, 4) == b"\x1d!\x33"
    assert cmd.char_size(1, 2) == b"\x1d!\x01"
    with pytest.raises(ValueError):
        cmd.char_size(9, 1)


def test_cut_partial_and_full_feed_first():
    assert Document().cut().to_bytes() == b"\x1b@\x1dVB\x03"
    assert Document(PrintProfile(cut="full")).cut().to_bytes() == b"\x1b@\x1dVA\x03"
    assert Document(PrintProfile(cut="none")).cut().to_bytes() == b"\x1b@\x1bd\x04"


def test_native_qr_is_model_2_error_correction_m_with_exact_payload():
    url = b"https://hall.example.cn/t/abc"
    data = cmd.qr_native(url, module=6)
    store = b"\x1d(k" + (len(url) + 3).to_bytes(2, "little") + b"1P0" + url
    assert data == (
        b"\x1d(k\x04\x001A2\x00"  # model 2
        b"\x1d(k\x03\x001C\x06"  # module 6 dots
        b"\x1d(k\x03\x001E1" + store + b"\x1d(k\x03\x001Q0"  # error correction M (49)
    )  # print
    with pytest.raises(ValueError):
        cmd.qr_native(b"x" * 7090)


def test_raster_packs_black_as_one_bits_with_little_endian_header():
    img = Image.new("1", (10, 2), 1)
    img.putpixel((0, 0), 0)
    img.putpixel((9, 1), 0)
    assert cmd.raster(img) == b"\x1dv0\x00\x02\x00\x02\x00" + bytes([0x80, 0x00, 0x00, 0x40])


def test_raster_is_split_into_bands_and_reads_back_identically():
    img = Image.new("1", (16, 600), 1)
    for y in range(0, 600, 7):
        img.putpixel((y % 16, y), 0)
    data = cmd.raster(img, band_height=256)
    assert data.count(b"\x1dv0") == 3
    (back,) = raster_images(data)
    assert back.size == (16, 600)
    assert back.tobytes() == img.tobytes()


def test_run_splitting_and_columns():
    assert [(r.kind, r.text) for r in runs("A号1")] == [
        ("ascii", "A"),
        ("gbk", "号"),
        ("ascii", "1"),
    ]
    assert columns("A号") == 3
    assert needs_raster("王䶮") and not needs_raster("王小明")
    assert clean("a\tb\r\nc¥") == "a b\nc￥"


def test_wrap_respects_full_width_cells_and_english_words():
    assert wrap("一二三四五", 6) == ["一二三", "四五"]
    assert wrap("see the display", 10) == ["see the", "display"]
    assert wrap("甲\n乙", 10) == ["甲", "乙"]
    assert all(columns(line) <= 48 for line in wrap("社会保障卡" * 20, 48))


def test_line_with_a_character_outside_gbk_is_rasterised_with_ink():
    data = Document().text("王䶮", align="center").to_bytes()
    assert "王".encode("gbk") not in data  # the whole line is an image, not mixed
    (image,) = raster_images(data)
    assert image.width == 576
    black = image.histogram()[0]
    assert black > 50, "the raster line is blank: no font drew the characters"
    # centred: ink sits in the middle, not at the left edge
    bbox = Image.eval(image.convert("L"), lambda v: 255 - v).getbbox()
    assert bbox[0] > 200 and bbox[2] < 376


def test_character_no_font_has_prints_a_box_with_a_warning(caplog):
    caplog.set_level(logging.WARNING)
    data = Document().text("A\U0010fffdB").to_bytes()
    assert printed_lines(data) == ["A□B"]
    assert "U+10FFFD" in caplog.text


def test_whole_stream_parses_strictly():
    data = (
        Document()
        .text("大厅 Hall", size=2)
        .rule()
        .qr("https://x.cn/1")
        .text("王䶮")
        .cut()
        .to_bytes()
    )
    names = [c.name for c in parse_escpos(data)]
    assert names[0] == "init" and names[-1] == "cut"
    assert "raster" in names and names.count("qr") == 5
    with pytest.raises(ValueError, match="offset"):
        parse_escpos(b"\x1b@\x1c&\xc7")  # half a GBK character
