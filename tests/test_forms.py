"""Form definitions (common/defaults/forms), field validation, ID-card filling and the validators."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest

from common.errors import KioskError
from common.forms import (
    FormDef,
    date_range,
    fill_from_card,
    load_forms,
    parse_form,
    personal_keys,
    require_valid,
    validate_fields,
)
from common.validators import (
    FieldError,
    id_check_char,
    id_check_digit_ok,
    validate_date,
    validate_email,
    validate_id_number,
    validate_phone,
    validate_postal_code,
)

GOOD_ID = "11010519491231002X"  # GB 11643's own example
CARD = {
    "name": "张明华",
    "gender": {"code": "1", "label": "男"},
    "nation": {"code": "01", "label": "汉"},
    "birth": "19491231",
    "address": "示例市东湖区滨江路18号院3号楼2单元501室",
    "id_number": "11010519491231002x",
    "authority": "示例市公安局东湖分局",
    "valid_from": "20150101",
    "valid_to": "长期",
}


@pytest.fixture(scope="module")
def forms() -> dict[str, FormDef]:
    return load_forms()


# --- validators ------------------------------------------------------------------------------
def _iso7064_mod11_2(digits: str) -> str:
    """The standard's recursive formulation, independent of the weight table under test."""
    p = 0
    for d in digits:
        p = ((p + int(d)) * 2) % 11
    value = (12 - p) % 11
    return "X" if value == 10 else str(value)


def test_check_digit_matches_the_standard_example_and_the_recursive_method():
    assert id_check_digit_ok(GOOD_ID)
    assert id_check_digit_ok(GOOD_ID.lower())
    assert not id_check_digit_ok("110105194912310021")
    rng = random.Random(7)
    for _ in range(2000):
        first17 = "".join(rng.choice("0123456789") for _ in range(17))
        assert id_check_char(first17) == _iso7064_mod11_2(first17)


@pytest.mark.parametrize(
    "value", ["", "11010519491231002", "1101051949123100XX", "ABCDEFGHIJKLMNOPQR"]
)
def test_check_digit_rejects_wrong_shapes(value):
    assert not id_check_digit_ok(value)


@pytest.mark.parametrize(
    "value", [GOOD_ID, " 11010519491231002x ", "110105196607150313", "810000199408230021"]
)
def test_valid_id_numbers_pass(value):
    assert validate_id_number(value) is None


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("110105194912310021", "E-VAL-06"),  # wrong check digit
        ("110105491231002", "E-VAL-05"),  # legacy 15-digit
        ("00010519491231002X", "E-VAL-05"),  # no such region
        ("1101051949023000", "E-VAL-05"),  # too short
        ("110105194902300021", "E-VAL-05"),  # 30 February
        ("110105189912310021", "E-VAL-05"),  # born before 1900
        ("张明华", "E-VAL-05"),
    ],
)
def test_invalid_id_numbers_say_why(value, code):
    error = validate_id_number(value)
    assert isinstance(error, FieldError)
    assert error.code == code
    assert error.zh and error.en
    assert value.strip() not in error.en  # messages never repeat personal data


def test_legacy_number_gets_its_own_message_and_future_birth_is_refused():
    assert "15" in validate_id_number("110105491231002").zh
    first17 = "11010520300101001"
    future = first17 + id_check_char(first17)
    assert validate_id_number(future, today=date(2026, 11, 23)).code == "E-VAL-05"
    assert validate_id_number(future, today=date(2030, 1, 2)) is None


@pytest.mark.parametrize(
    "value",
    [
        "13912345678",
        "19800000000",
        "0571-87654321",
        "010-62345678",
        "057187654321",
        "0571-87654321-8001",
        " 139 1234 5678 ",
    ],
)
def test_good_phones(value):
    assert validate_phone(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "12345678901",
        "1391234567",
        "139123456789",
        "87654321",
        "0571-1234",
        "010-12345678",
        "abc",
        "12345",
    ],
)
def test_bad_phones(value):
    assert validate_phone(value).code == "E-VAL-07"


def test_postal_codes():
    assert validate_postal_code("310000") is None
    for bad in ("31000", "3100000", "31000a", ""):
        assert validate_postal_code(bad).code == "E-VAL-08"


def test_dates_must_be_real_and_iso():
    for good in ("2026-02-28", "2024-02-29", "1900-01-01"):
        assert validate_date(good) is None
    for bad in ("2026-02-29", "2026-13-01", "20261120", "2026-1-5", "1899-12-31", "2026/11/20"):
        assert validate_date(bad).code == "E-VAL-09", bad


def test_emails():
    assert validate_email("zhang.ming@example.com") is None
    for bad in ("ab@", "@example.com", "a b@example.com", "a@example", "a@@example.com"):
        assert validate_email(bad).code == "E-VAL-13", bad


# --- loading the shipped forms ---------------------------------------------------------------
def test_shipped_forms_load_and_are_complete(forms):
    assert len(forms) >= 8
    for code, form in forms.items():
        assert Path(form.source).stem == code
        assert form.title and form.title_en.isascii() and form.items
        keys = [f.key for f in form.fields]
        assert len(keys) == len(set(keys))
        for f in form.fields:
            assert f.label and f.label_en, (code, f.key)
            if f.type in ("id_number", "phone") or f.from_card in ("name", "id_number", "address"):
                assert f.personal, (code, f.key)


def test_round_trip_through_a_mapping(forms):
    for form in forms.values():
        assert parse_form(form.to_dict(), source="round-trip") == form


# --- validate_fields on a real form ----------------------------------------------------------
def _good_gtgsh() -> dict:
    return {
        "operator_name": "陈志强", "id_number": GOOD_ID, "gender": "1", "phone": "13700000105",
        "business_name": "示例市西山区志强便利店", "composition": "individual",
        "business_scope": "日用百货销售", "premises": "示例市西山区文化街45号", "capital": 10,
        "employees": "2",
    }  # fmt: skip


def test_a_correct_application_has_no_errors(forms):
    assert validate_fields(forms["F-GTGSH-01"], _good_gtgsh()) == {}


@pytest.mark.parametrize(
    ("change", "key", "code"),
    [
        ({"operator_name": ""}, "operator_name", "E-VAL-02"),
        ({"operator_name": "   "}, "operator_name", "E-VAL-02"),
        ({"premises": None}, "premises", "E-VAL-02"),
        ({"id_number": "110105194912310021"}, "id_number", "E-VAL-06"),
        ({"id_number": "110105491231002"}, "id_number", "E-VAL-05"),
        ({"phone": "1234"}, "phone", "E-VAL-07"),
        ({"postal_code": "99900"}, "postal_code", "E-VAL-08"),
        ({"email": "not-an-address"}, "email", "E-VAL-13"),
        ({"gender": "3"}, "gender", "E-VAL-11"),
        ({"composition": "company"}, "composition", "E-VAL-11"),
        ({"capital": -1}, "capital", "E-VAL-10"),
        ({"capital": 100001}, "capital", "E-VAL-10"),
        ({"capital": "ten"}, "capital", "E-VAL-10"),
        ({"capital": True}, "capital", "E-VAL-10"),
        ({"capital": 10**400}, "capital", "E-VAL-10"),
        ({"capital": "9" * 400}, "capital", "E-VAL-10"),
        ({"employees": 0}, "employees", "E-VAL-10"),
        ({"business_name": "店" * 51}, "business_name", "E-VAL-03"),
        ({"business_scope": "x" * 501}, "business_scope", "E-VAL-03"),
        ({"operator_name": "Chen Zhiqiang"}, "operator_name", "E-VAL-04"),
        ({"premises": "文化街\x0045号"}, "premises", "E-VAL-04"),
        ({"premises": 45}, "premises", "E-VAL-04"),
        ({"nickname": "强哥"}, "nickname", "E-VAL-12"),
    ],
)
def test_each_bad_value_is_named_with_its_code(forms, change, key, code):
    fields = _good_gtgsh() | change
    errors = validate_fields(forms["F-GTGSH-01"], fields)
    assert set(errors) == {key}
    assert errors[key].code == code
    assert errors[key].zh and errors[key].en


def test_optional_fields_may_be_blank_and_names_may_carry_a_middle_dot(forms):
    fields = _good_gtgsh() | {
        "business_name": "",
        "postal_code": "",
        "operator_name": "阿依古丽·买买提",
    }
    assert validate_fields(forms["F-GTGSH-01"], fields) == {}


def test_patterns_min_length_dates_and_newlines(forms):
    gjj = validate_fields(forms["F-GJJTQ-01"], {"account_no": "21ab", "bank_account": "6222"})
    assert gjj["account_no"].code == "E-VAL-04" and gjj["bank_account"].code == "E-VAL-04"
    assert gjj["name"].code == "E-VAL-02"
    db = validate_fields(forms["F-DB-01"], {"reason_detail": "生活困难", "bank_account": ""})
    assert db["reason_detail"].code == "E-VAL-03"
    assert "bank_account" not in db
    hy = validate_fields(forms["F-HYDJ-01"], {"date": "2026-02-30"})
    assert hy["date"].code == "E-VAL-09"
    ok = validate_fields(forms["F-DB-01"], {"reason_detail": "第一行说明情况。\n第二行补充说明。"})
    assert "reason_detail" not in ok


def test_date_bounds_count_from_the_day_given_and_only_then(forms):
    today = date(2026, 11, 23)
    birth = forms["F-SFZ-01"].field("birth")  # max = "today"
    booking = forms["F-HYDJ-01"]  # min = "today", max = "today+30"
    assert date_range(birth, today) == (None, today)
    assert date_range(booking.field("date"), today) == (today, date(2026, 12, 23))
    assert date_range(booking.field("date"), None) == (None, None)

    future = validate_fields(forms["F-SFZ-01"], {"birth": "2026-11-24"}, today=today)
    assert future["birth"].code == "E-VAL-14"
    assert future["birth"].zh == "出生日期不能晚于今天" and "2026-11-24" not in future["birth"].en
    assert "birth" not in validate_fields(forms["F-SFZ-01"], {"birth": "2026-11-23"}, today=today)
    past = validate_fields(booking, {"date": "2026-11-22"}, today=today)["date"]
    assert (past.code, past.zh) == ("E-VAL-14", "预约日期不能早于今天")
    late = validate_fields(booking, {"date": "2026-12-24"}, today=today)["date"]
    assert late.zh == "预约日期不能晚于2026-12-23"
    # no day given (the hall server): a booking filed offline yesterday is not refused today
    assert "date" not in validate_fields(booking, {"date": "2026-11-22"})
    fixed = parse_form(
        {
            "code": "T",
            "title": "t",
            "fields": [{"key": "d", "label": "日期", "type": "date", "min": "2000-01-01"}],
        }
    )
    assert validate_fields(fixed, {"d": "1999-12-31"})["d"].code == "E-VAL-14"
    assert parse_form(fixed.to_dict()) == fixed


def test_require_valid_lists_keys_and_codes_never_values(forms):
    fields = _good_gtgsh() | {"id_number": "110105194912310021", "phone": "1234"}
    with pytest.raises(KioskError) as info:
        require_valid(forms["F-GTGSH-01"], fields)
    assert info.value.code == "E-VAL-01"
    assert "id_number: E-VAL-06" in info.value.message and "phone: E-VAL-07" in info.value.message
    assert "110105194912310021" not in info.value.message
    require_valid(forms["F-GTGSH-01"], _good_gtgsh())  # no error


# --- ID card filling and personal data -------------------------------------------------------
def test_fill_from_card_gives_valid_values(forms):
    form = forms["F-SFZ-01"]
    filled = fill_from_card(form, CARD)
    assert filled == {
        "name": "张明华", "id_number": GOOD_ID, "gender": "1", "nation": "汉",
        "birth": "1949-12-31", "address": CARD["address"], "old_valid_to": "长期",
    }  # fmt: skip
    rest = {"reason": "expiry", "phone": "13700000101", "collect": "counter"}
    assert validate_fields(form, filled | rest) == {}


def test_fill_from_card_maps_choices_by_label_and_skips_what_does_not_fit(forms):
    card = {"name": " 王秀兰 ", "gender": {"label": "女"}, "birth": "1958-11-02"}
    filled = fill_from_card(forms["F-DB-01"], card)
    assert filled == {"name": "王秀兰", "gender": "2", "birth": "1958-11-02"}
    assert fill_from_card(forms["F-DB-01"], {"gender": "男"})["gender"] == "1"
    assert "gender" not in fill_from_card(
        forms["F-DB-01"], {"gender": {"code": "9", "label": "未说明"}}
    )
    dated = parse_form(
        {
            "code": "T",
            "title": "t",
            "fields": [
                {"key": "valid_to", "label": "有效期至", "type": "date", "from_card": "valid_to"}
            ],
        }
    )
    assert fill_from_card(dated, CARD) == {}  # 长期 is not a date
    assert fill_from_card(dated, CARD | {"valid_to": "20360101"}) == {"valid_to": "2036-01-01"}


def test_personal_keys(forms):
    assert personal_keys(forms["F-GTGSH-01"]) == {"operator_name", "id_number", "phone", "email"}
    assert {"name", "id_number", "birth", "address", "phone"} <= personal_keys(forms["F-SBK-01"])
    assert "nation" not in personal_keys(forms["F-SBK-01"])


# --- broken form files -----------------------------------------------------------------------
GOOD_FIELD = '[[fields]]\nkey = "name"\nlabel = "姓名"\ntype = "chinese_text"\n'


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_a_good_minimal_file_loads(tmp_path):
    _write(tmp_path, "F-T.toml", 'code = "F-T"\ntitle = "测试"\n' + GOOD_FIELD)
    assert list(load_forms(tmp_path)) == ["F-T"]


@pytest.mark.parametrize(
    ("text", "code", "words"),
    [
        ('code = "F-T"\ntitle = "测试\n', "E-CFG-02", ["not valid TOML"]),
        (b'code = "F-T"\ntitle = "\xff\xfe"\n', "E-CFG-02", ["not valid TOML"]),
        (
            'code = "F-OTHER"\ntitle = "测试"\n' + GOOD_FIELD,
            "E-CFG-01",
            ["must match the file name"],
        ),
        ('code = "F-T"\ntitle = "测试"\n', "E-CFG-01", ["fields must be"]),
        (
            'code = "F-T"\ntitle = ""\ncolour = "red"\n' + GOOD_FIELD,
            "E-CFG-01",
            ["title must be", "unknown key 'colour'"],
        ),
        ('code = "F-T"\ntitle = "t"\n' + GOOD_FIELD + GOOD_FIELD, "E-CFG-01", ["duplicate key"]),
        (
            'code = "F-T"\ntitle = "t"\n[[fields]]\nkey = "a"\nlabel = "a"\ntype = "money"\n',
            "E-CFG-01",
            ["field 1 (a): type must be one of"],
        ),
        (
            'code = "F-T"\ntitle = "t"\n[[fields]]\nkey = "a"\nlabel = "a"\ntype = "text"\npattern = "("\n',
            "E-CFG-01",
            ["pattern is not a valid regular expression"],
        ),
        (
            'code = "F-T"\ntitle = "t"\n[[fields]]\nkey = "a"\nlabel = "a"\ntype = "choice"\n',
            "E-CFG-01",
            ["needs a non-empty choices list"],
        ),
        (
            'code = "F-T"\ntitle = "t"\n[[fields]]\nkey = "a"\nlabel = "a"\ntype = "text"\nmin = 1\n',
            "E-CFG-01",
            ["min only applies to types number and date"],
        ),
        (
            'code = "F-T"\ntitle = "t"\n[[fields]]\nkey = "a"\nlabel = "a"\ntype = "date"\n'
            'min = "tomorrow"\nmax = 2026\n',
            "E-CFG-01",
            ["min must be YYYY-MM-DD, today", "max must be YYYY-MM-DD"],
        ),
        (
            'code = "F-T"\ntitle = "t"\n[[fields]]\nkey = "a"\nlabel = "a"\ntype = "date"\n'
            'min = "today+30"\nmax = "today"\n',
            "E-CFG-01",
            ["min is after max"],
        ),
        (
            'code = "F-T"\ntitle = "t"\n[[fields]]\nkey = "id"\nlabel = "a"\ntype = "id_number"\n',
            "E-CFG-01",
            ["needs personal = true"],
        ),
        (
            'code = "F-T"\ntitle = "t"\n[[fields]]\nkey = "a"\nlabel = "a"\ntype = "text"\nfrom_card = "photo"\n',
            "E-CFG-01",
            ["from_card must be one of"],
        ),
        (
            'code = "F-T"\ntitle = "t"\n[[fields]]\nkey = "A b"\nlabel = "a"\ntype = "text"\nrequired = "yes"\n'
            "max_length = 5\nmin_length = 9\n",
            "E-CFG-01",
            ["key must be lower-case", "required must be true or false", "min_length is greater"],
        ),
    ],
)
def test_broken_files_give_a_clear_error_naming_file_and_problem(tmp_path, text, code, words):
    path = _write(tmp_path, "F-T.toml", text)
    with pytest.raises(KioskError) as info:
        load_forms(tmp_path)
    assert info.value.code == code
    assert str(path) in info.value.message
    for word in words:
        assert word in info.value.message


def test_missing_directory_is_a_config_error(tmp_path):
    with pytest.raises(KioskError) as info:
        load_forms(tmp_path / "nowhere")
    assert info.value.code == "E-CFG-02"
    assert "nowhere" in info.value.message


def test_a_booking_half_day_is_past_once_its_last_slot_has_begun(forms):
    """The hall server books only slots that start after now (E-QUE-23): with 30-minute slots
    the morning (09:00-12:00) is over at 11:30, the afternoon (13:30-17:30) at 17:00."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    booking = forms["F-HYDJ-01"].booking
    zone = ZoneInfo("Asia/Shanghai")

    def past(hh_mm: str, day: str = "2026-11-23") -> set[str]:
        now = datetime.fromisoformat(f"2026-11-23T{hh_mm}:00").replace(tzinfo=zone)
        return booking.past_periods({"date": day}, now, 30)

    assert past("10:00") == set()
    assert past("11:29") == set() and past("11:30") == {"am"}
    assert past("16:59") == {"am"} and past("17:00") == {"am", "pm"}
    assert past("17:00", day="2026-11-24") == set()  # another day: every half-day is open
    assert booking.past_periods({}, datetime(2026, 11, 23, 18, tzinfo=zone), 30) == set()
