"""Text block parsing for the four card kinds, code tables and the check digit."""

from dataclasses import replace

import pytest

from common.errors import KioskError
from hardware.idcard import idnumber, tables
from hardware.idcard.model import KIND_FIELDS
from hardware.idcard.samples import SAMPLES
from hardware.idcard.textblock import (
    LAYOUTS,
    TEXT_BLOCK_SIZE,
    TYPE_OFFSET,
    encode_text_block,
    parse_text_block,
)


def ucs2(text: str, size: int) -> bytes:
    """A field as a card stores it: UCS-2 LE, padded with spaces to `size` bytes."""
    raw = text.encode("utf-16-le")
    assert len(raw) <= size
    return raw + " ".encode("utf-16-le") * ((size - len(raw)) // 2)


def resident_block(**over: str) -> bytes:
    f = {
        "name": "张三",
        "gender": "1",
        "nation": "46",
        "birth": "19491231",
        "address": "北京市西城区示例大街1号",
        "id": "11010519491231002X",
        "authority": "北京市公安局西城分局",
        "from": "20100101",
        "to": "长期",
    } | over
    return (
        ucs2(f["name"], 30)
        + ucs2(f["gender"], 2)
        + ucs2(f["nation"], 4)
        + ucs2(f["birth"], 16)
        + ucs2(f["address"], 70)
        + ucs2(f["id"], 36)
        + ucs2(f["authority"], 30)
        + ucs2(f["from"], 16)
        + ucs2(f["to"], 16)
        + ucs2("", 36)
    )


def test_layouts_cover_256_bytes_with_the_type_marker_at_248():
    for kind, layout in LAYOUTS.items():
        offset = 0
        for name, off, size in layout:
            assert off == offset, (kind, name)
            offset += size
        assert offset == TEXT_BLOCK_SIZE, kind
        assert ("_type", TYPE_OFFSET, 2) in layout, kind


def test_resident_card_from_raw_bytes():
    card = parse_text_block(resident_block())
    assert card.kind == "resident_id"
    assert card.to_json() == {
        "kind": "resident_id",
        "name": "张三",
        "gender": {"code": "1", "label": "男"},
        "nation": {"code": "46", "label": "德昂"},
        "birth": "1949-12-31",
        "address": "北京市西城区示例大街1号",
        "id_number": "11010519491231002X",
        "id_number_valid": True,
        "authority": "北京市公安局西城分局",
        "valid_from": "2010-01-01",
        "valid_to": "长期",
        "appended_address": "",
    }


def test_hkmt_permit_from_raw_bytes():
    block = (
        ucs2("陈大文", 30)
        + ucs2("1", 2)
        + ucs2("", 4)
        + ucs2("19940823", 16)
        + ucs2("广东省深圳市福田区示例路88号", 70)
        + ucs2("810000199408230013", 36)
        + ucs2("深圳市公安局", 30)
        + ucs2("20230901", 16)
        + ucs2("20280901", 16)
        + ucs2("H12345678", 18)
        + ucs2("03", 4)
        + ucs2("", 6)
        + ucs2("J", 2)
        + ucs2("", 6)
    )
    data = parse_text_block(block).to_json()
    assert data["kind"] == "hkmt_permit"
    assert data["nation"] is None
    assert (data["permit_number"], data["issue_count"]) == ("H12345678", 3)
    assert data["id_number_valid"] is True


def test_foreign_2017_from_raw_bytes():
    number = "CAN11009005212" + idnumber.icao9303_check_digit("CAN11009005212")
    block = (
        ucs2("DOE, JANE", 120)
        + ucs2("2", 2)
        + ucs2(number, 30)
        + ucs2("CAN", 6)
        + ucs2("多伊简", 30)
        + ucs2("20180301", 16)
        + ucs2("20280301", 16)
        + ucs2("19900521", 16)
        + ucs2("01", 4)
        + ucs2("1100", 8)
        + ucs2("I", 2)
        + ucs2("", 6)
    )
    data = parse_text_block(block).to_json()
    assert data["kind"] == "foreign_permanent_2017"
    assert (data["name_en"], data["name"], data["nationality"]) == ("DOE, JANE", "多伊简", "CAN")
    assert data["birth"] == "1990-05-21" and data["authority_code"] == "1100"
    assert data["id_number"] == number and data["id_number_valid"] is True


def test_foreign_2023_joins_the_split_english_name():
    name = "MONTGOMERY-WORTHINGTON, ALEXANDER JONATHAN"  # 42 characters: 35 + 7
    block = (
        ucs2("马丁", 30)
        + ucs2("1", 2)
        + ucs2("02", 4)
        + ucs2("19851112", 16)
        + ucs2(name[:35], 70)
        + ucs2("911124198511120038", 36)
        + ucs2("", 30)
        + ucs2("20231201", 16)
        + ucs2("20331201", 16)
        + ucs2(name[35:], 22)
        + ucs2("CAN", 6)
        + ucs2("Y", 2)
        + ucs2("", 6)
    )
    data = parse_text_block(block).to_json()
    assert data["kind"] == "foreign_permanent_2023"
    assert data["name_en"] == name
    assert data["renewal_count"] == 2 and data["nationality"] == "CAN"
    assert data["id_number_valid"] is True


def test_unknown_card_type_marker():
    block = bytearray(resident_block())
    block[TYPE_OFFSET : TYPE_OFFSET + 2] = "Z".encode("utf-16-le")
    with pytest.raises(KioskError) as err:
        parse_text_block(bytes(block))
    assert err.value.code == "E-IDC-06"


@pytest.mark.parametrize("over", [{"birth": "19491332"}, {"from": "2010010"}, {"to": "forever"}])
def test_bad_dates_are_reported_not_guessed(over):
    with pytest.raises(KioskError) as err:
        parse_text_block(resident_block(**over))
    assert err.value.code == "E-IDC-09"


def test_wrong_block_size_and_bad_ucs2():
    with pytest.raises(KioskError) as err:
        parse_text_block(resident_block()[:255])
    assert err.value.code == "E-IDC-09"
    block = b"\x00\xd8" + resident_block()[2:]  # a lone surrogate in the name
    with pytest.raises(KioskError) as err:
        parse_text_block(block)
    assert err.value.code == "E-IDC-09"


def test_wrong_check_digit_is_reported_not_trusted():
    card = parse_text_block(resident_block(id="110105194912310021"))
    assert card.id_number == "110105194912310021"
    assert card.id_number_valid is False


def test_unknown_codes_keep_the_code_with_an_empty_label():
    data = parse_text_block(resident_block(gender="5", nation="77")).to_json()
    assert data["gender"] == {"code": "5", "label": ""}
    assert data["nation"] == {"code": "77", "label": ""}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_samples_round_trip_and_have_valid_numbers(name):
    card = SAMPLES[name]
    parsed = parse_text_block(encode_text_block(card))
    assert parsed == replace(card, photo=b"", appended_address="")
    assert parsed.id_number_valid


@pytest.mark.parametrize("kind", sorted(KIND_FIELDS))
def test_to_json_has_exactly_the_documented_keys(kind):
    card = next(c for c in SAMPLES.values() if c.kind == kind)
    common = {
        "kind",
        "name",
        "gender",
        "nation",
        "birth",
        "address",
        "id_number",
        "id_number_valid",
        "authority",
        "valid_from",
        "valid_to",
    }
    assert set(card.to_json()) == common | set(KIND_FIELDS[kind])
    assert "photo" not in card.to_json()


def test_repr_masks_personal_data():
    card = SAMPLES["resident"]
    text = repr(card)
    assert card.name not in text and card.id_number not in text
    assert "110101" in text  # the region stays, for technicians


# --- tables and check digits ---
def test_gb11643_standard_example_and_rules():
    assert idnumber.gb11643_valid("11010519491231002X")
    assert not idnumber.gb11643_valid("11010519491231002x")  # X is upper case on cards
    assert not idnumber.gb11643_valid("110105194912310021")
    assert not idnumber.gb11643_valid("1101051949123100")
    assert idnumber.gb11643_check_char("11010519491231002") == "X"
    with pytest.raises(ValueError):
        idnumber.gb11643_check_char("1101051949123100A")


def test_icao_check_digit_for_2017_foreign_numbers():
    assert idnumber.icao9303_check_digit("L898902C<") == "3"  # ICAO 9303 part 3 example
    number = "CAN11009005212" + idnumber.icao9303_check_digit("CAN11009005212")
    assert idnumber.id_number_valid(number)
    assert not idnumber.id_number_valid(number[:-1] + str((int(number[-1]) + 1) % 10))
    assert not idnumber.id_number_valid("CA111009005212X")


def test_nation_table_matches_gb3304():
    assert len(tables.NATIONS) == 58
    assert tables.nation_label("01") == "汉"
    assert tables.nation_label("46") == "德昂"
    assert tables.nation_label("56") == "基诺"
    assert tables.nation_label("97") == "其他"
    assert tables.nation_label("98") == "外国血统中国籍人士"
    assert [f"{i:02d}" for i in range(1, 57)] == sorted(k for k in tables.NATIONS if k < "57")


def test_gender_table_matches_gb_t_2261_1():
    assert tables.GENDERS == {"0": "未知", "1": "男", "2": "女", "9": "未说明"}


def test_photo_decoder_is_pluggable(tmp_path, monkeypatch):
    from hardware.idcard.model import PhotoDecoder
    from hardware.idcard.photo import load_photo_decoder

    (tmp_path / "site_wlt.py").write_text(
        "class Decoder:\n"
        "    def __init__(self, path=None):\n        self.path = path\n"
        "    def decode(self, wlt):\n        return b'BM' + bytes(len(wlt) // 512)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    decoder = load_photo_decoder("site_wlt:Decoder", "/opt/vendor/libwlt.so")
    assert isinstance(decoder, PhotoDecoder) and decoder.path == "/opt/vendor/libwlt.so"
    assert decoder.decode(SAMPLES["resident"].photo) == b"BM\x00\x00"
    for ref, code in [
        ("site_wlt", "E-HW-01"),
        ("no_such_module:X", "E-HW-02"),
        ("site_wlt:Missing", "E-HW-02"),
        ("os:sep", "E-HW-01"),
    ]:
        with pytest.raises(KioskError) as err:
            load_photo_decoder(ref)
        assert err.value.code == code, ref


def hkmt_block(issue_count: str) -> bytes:
    return (
        ucs2("陈大文", 30) + ucs2("1", 2) + ucs2("", 4) + ucs2("19940823", 16)
        + ucs2("广东省深圳市福田区示例路88号", 70) + ucs2("810000199408230013", 36)
        + ucs2("深圳市公安局", 30) + ucs2("20230901", 16) + ucs2("20280901", 16)
        + ucs2("H12345678", 18) + ucs2(issue_count, 4) + ucs2("", 6) + ucs2("J", 2)
        + ucs2("", 6)
    )


@pytest.mark.parametrize("count", ["²", "①", "0²", "٣"])
def test_non_ascii_digits_in_a_count_field_are_the_codecs_own_error(count):
    """Fuzzing found '²' and '①' (str.isdigit() is true, int() raises ValueError)."""
    with pytest.raises(KioskError) as err:
        parse_text_block(hkmt_block(count))
    assert err.value.code == "E-IDC-09" and "issue_count" in err.value.message


@pytest.mark.parametrize("birth", ["1949123²", "①9491231", "١٩٤٩١٢٣١"])
def test_non_ascii_digits_in_a_date_are_the_codecs_own_error(birth):
    with pytest.raises(KioskError) as err:
        parse_text_block(resident_block(birth=birth))
    assert err.value.code == "E-IDC-09"


@pytest.mark.parametrize("number", ["1101051949123100²X", "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X"])
def test_non_ascii_digits_in_an_id_number_are_not_valid(number):
    assert idnumber.id_number_valid(number) is False
    with pytest.raises(ValueError):
        idnumber.gb11643_check_char(number[:17])
