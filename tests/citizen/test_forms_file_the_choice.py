"""Forms file what the citizen chose: every kind of every shipped form, submitted through the
real kiosk core to the running hall server, lands on the item that kind names, with that
item's promised date; the printed receipt and the done screen's view name the item (事项)."""

from __future__ import annotations

import json
from datetime import date

import pytest
import requests

from common.forms import FormDef, date_range, load_forms, resolve_item, validate_fields
from common.paths import config_dir
from hall_server.applications import promised_by

FORMS = load_forms()


def demo_fields() -> dict[str, dict]:
    """One valid filled-in form per form code, from the demo hall's applications."""
    out: dict[str, dict] = {}
    path = config_dir() / "demo" / "applications.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        app = json.loads(line)
        out.setdefault(app["form"], app["fields"])
    return out


def kinds(form: FormDef) -> list[tuple[str | None, str]]:
    """(choice value, the item it files under) for every kind the form offers."""
    picker = form.item_field
    if picker is None:
        assert len(form.items) == 1, f"{form.code} offers several items but no choice picks one"
        return [(None, form.items[0])]
    return [(c.value, c.item) for c in picker.choices]


def filled(form: FormDef, base: dict, value: str | None, today: date) -> dict:
    fields = dict(base)
    if value is not None:
        fields[form.item_field.key] = value
    for f in form.fields:  # dates relative to today (appointments): the first day allowed
        if f.type == "date" and f.key in validate_fields(form, fields, today=today):
            low, high = date_range(f, today)
            fields[f.key] = _bookable_day(low or high or today, high, today).isoformat()
    return fields


def _bookable_day(low: date, high: date | None, today: date) -> date:
    """The first allowed working day after today: today's half-day slots may be over already
    (the morning window books nothing at 11:50), which would make the test depend on the hour."""
    from datetime import timedelta

    from common.workdays import WorkCalendar

    calendar = WorkCalendar.load(None)
    day = max(low, today + timedelta(days=1))
    while not calendar.is_working_day(day) and (high is None or day < high):
        day += timedelta(days=1)
    return day if high is None or day <= high else low


def test_every_form_names_every_item_it_serves():
    for form in FORMS.values():
        filed = {item for _, item in kinds(form)}
        assert filed == set(form.items), (form.code, set(form.items) - filed)


def test_every_kind_of_every_form_files_its_item(rig):
    core = rig.core
    today = core.today()
    bases = demo_fields()
    seen = 0
    for form in FORMS.values():
        for value, item in kinds(form):
            fields = filled(form, bases[form.code], value, today)
            assert core.validate_form(form.code, fields) == {}, (form.code, value)
            # opened from the 自助填单 list: no item given, the choice decides
            before = len(rig.printed())
            sub = core.submit_application(form.code, fields, item=None, print_receipt=True)
            assert sub.number, (form.code, value, sub)
            entry = core.get_item(item)
            assert sub.item == item and sub.item_title == entry["title"]
            with rig.server.database.read() as conn:
                from hall_server.applications import get_application

                filed = get_application(conn, sub.number, rig.server.clock.now())
            assert filed["item"] == item, (form.code, value, filed["item"])
            assert filed["item_title"] == entry["title"]
            server_today = rig.server.ctx.today()
            expected = promised_by(
                server_today, int(entry.get("promised_days", 0)), rig.server.ctx.schedule.calendar
            )
            assert filed["promised_by"] == expected.isoformat(), (form.code, value)
            receipt = rig.printed()[before:]
            assert ("事项：" + entry["title"][:8]).encode("gbk") in receipt, (form.code, value)
            seen += 1
    assert seen == 37  # kinds: BDC 11, CSYX 3, DB 1, GJJTQ 7, GTGSH 1, HYDJ 3, SBK 3, SFZ 6, TX 1, YDJY 1


def test_the_choice_wins_over_the_guide_the_form_was_opened_from(rig):
    core = rig.core
    form = FORMS["F-CSYX-01"]
    fields = filled(form, demo_fields()[form.code], "reissue", core.today())
    sub = core.submit_application(form.code, fields, item="WJ-0001")  # opened from 首次签发
    assert sub.item == "WJ-0002"
    with rig.server.database.read() as conn:
        from hall_server.applications import get_application

        assert get_application(conn, sub.number, rig.server.clock.now())["item"] == "WJ-0002"


def test_the_server_resolves_the_choice_for_any_client(rig):
    """A client that sends no item (an older kiosk) still files what was chosen."""
    api_token = rig.server.enroll("kiosk", "OLD-K")["token"]
    form = FORMS["F-HYDJ-01"]
    fields = filled(form, demo_fields()[form.code], "divorce", rig.core.today())
    resp = requests.post(
        f"{rig.server.url}/api/v1/applications",
        json={"form": form.code, "fields": fields},
        headers={"Authorization": f"Bearer {api_token}", "Idempotency-Key": "hydj-divorce-1"},
        timeout=10,
    )
    assert resp.status_code == 201, resp.text
    with rig.server.database.read() as conn:
        from hall_server.applications import get_application

        filed = get_application(conn, resp.json()["number"], rig.server.clock.now())
    assert filed["item"] == "MZ-0002" and "离婚" in filed["item_title"]


@pytest.mark.parametrize("form_code", ["F-SBK-01", "F-SFZ-01"])
def test_mail_delivery_needs_a_mailing_address(form_code):
    form = FORMS[form_code]
    base = {k: v for k, v in demo_fields()[form_code].items()
            if k not in {"mail_address", "postal_code"}}
    by_counter = {**base, "collect": "counter"}
    assert "mail_address" not in validate_fields(form, by_counter)
    by_mail = {**base, "collect": "mail"}
    errors = validate_fields(form, by_mail)
    assert errors["mail_address"].code == "E-VAL-02" and "邮寄" in errors["mail_address"].zh
    assert "postal_code" in errors
    ok = {**by_mail, "mail_address": "示例市东湖区桂花巷21号", "postal_code": "999001"}
    assert validate_fields(form, ok) == {}


def test_mail_rule_is_enforced_by_the_server_too(rig):
    form = FORMS["F-SBK-01"]
    base = {k: v for k, v in demo_fields()["F-SBK-01"].items()
            if k not in {"mail_address", "postal_code"}}
    token = rig.server.enroll("kiosk", "SBK-K")["token"]
    resp = requests.post(
        f"{rig.server.url}/api/v1/applications",
        json={"form": form.code, "fields": {**base, "collect": "mail"}},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "sbk-mail-1"},
        timeout=10,
    )
    assert resp.status_code == 422 and "mail_address" in resp.json()["error"]["message"]


def test_resolve_item_without_a_choice_is_none():
    form = FORMS["F-SFZ-01"]
    assert resolve_item(form, {}) is None
    assert resolve_item(form, {"reason": "lost"}) == "GA-0016"
    assert resolve_item(FORMS["F-DB-01"], {"reason": "illness"}) is None  # no item picker


def test_demo_applications_file_what_they_chose():
    path = config_dir() / "demo" / "applications.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        app = json.loads(line)
        chosen = resolve_item(FORMS[app["form"]], app["fields"])
        assert chosen in (None, app["item"]), (app["number"], chosen, app["item"])


@pytest.mark.parametrize(
    ("choices", "extra", "problem"),
    [
        ('{ value = "a", label = "A", item = "X-2" }', "", "not in items"),
        ('{ value = "a", label = "A", item = "X-1" }, { value = "b", label = "B" }', "",
         "needs an item"),
        ('{ value = "a", label = "A" }', 'required_when = { nope = "a" }', "names no other field"),
        ('{ value = "a", label = "A" }', 'required_when = { kind = "zzz" }', "cannot take"),
        ('{ value = "a", label = "A" }', "required_when = 3", "must be a table"),
    ],
)
def test_broken_item_choices_and_conditions_are_refused_at_load(choices, extra, problem):
    import tomllib

    from common.errors import KioskError
    from common.forms import parse_form

    text = f"""
code = "F-T"
title = "t"
items = ["X-1"]
[[fields]]
key = "kind"
label = "k"
type = "choice"
choices = [{choices}]
[[fields]]
key = "other"
label = "o"
type = "text"
{extra}
"""
    with pytest.raises(KioskError) as err:
        parse_form(tomllib.loads(text))
    assert problem in str(err.value.detail if hasattr(err.value, "detail") else err.value)


def test_item_choices_and_conditions_survive_to_dict():
    from common.forms import parse_form

    for form in FORMS.values():
        assert parse_form(form.to_dict()) == form
