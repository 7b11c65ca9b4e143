"""Crash classes found by fuzzing the hall server (issue 15): each is a clear error in the one
error shape, never a 500."""

from __future__ import annotations

import pytest

from .test_api_basics import assert_error


@pytest.mark.parametrize("expires", ["3000000d", "99999999999999999999d", "366d", "9000h"])
def test_enroll_code_expiry_beyond_a_year_is_422_not_500(admin, expires):
    resp = admin.post("/devices/enroll-codes", {"role": "kiosk", "expires": expires}, key=None)
    body = assert_error(resp, 422, "E-API-02")
    assert "expires" in body["error"]["message"]


def test_enroll_code_expiry_of_a_year_is_accepted(admin):
    resp = admin.post("/devices/enroll-codes", {"role": "kiosk", "expires": "365d"}, key=None)
    assert resp.status_code == 201, resp.text


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"code": "A-1", "title": "t", "department": "d", "legal_days": ' + "9" * 5000 + "}",
         "too long"),
    ],
    ids=["deep-nesting", "5000-digit-integer"],
)
def test_catalog_lines_that_break_the_json_parser_are_e_imp_01(line, says):
    from common.errors import KioskError
    from hall_server.catalog_import import parse_lines

    good = '{"code": "A-2", "title": "t", "department": "d"}'
    with pytest.raises(KioskError) as info:
        parse_lines([good, line, good.replace("A-2", "A-3")])
    assert info.value.code == "E-IMP-01"
    assert info.value.problems == [(2, info.value.problems[0][1])]
    assert says in info.value.message
