"""The demo hall's data (common/defaults/demo, common/defaults/forms, common/defaults/evaluation_reasons.toml): valid,
complete, consistent, and up to date with tools/make_demo_catalog.py."""

from __future__ import annotations

import importlib.util
import json
import re
import statistics
import sys
import tomllib
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from common.forms import load_forms, validate_fields
from common.paths import config_dir
from common.validators import id_check_digit_ok, validate_id_number, validate_phone
from common.wire import APPLICATION_STATUSES, EVALUATION_LEVELS, CatalogItemIn

DEMO = config_dir() / "demo"
ROOT = Path(__file__).resolve().parent.parent


def _jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _toml(path: Path) -> dict:
    with path.open("rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="module")
def catalog() -> list[dict]:
    return _jsonl(DEMO / "catalog.jsonl")


@pytest.fixture(scope="module")
def by_code(catalog) -> dict[str, dict]:
    return {item["code"]: item for item in catalog}


@pytest.fixture(scope="module")
def services() -> list[dict]:
    return _toml(DEMO / "queue_services.toml")["service"]


@pytest.fixture(scope="module")
def applications() -> list[dict]:
    return _jsonl(DEMO / "applications.jsonl")


@pytest.fixture(scope="module")
def forms():
    return load_forms()


# --- catalog ---------------------------------------------------------------------------------
def test_every_line_is_a_valid_catalog_item(catalog):
    for item in catalog:
        CatalogItemIn.model_validate(item)  # raises on the first bad line, naming the field


def test_size_departments_and_unique_codes(catalog):
    assert len(catalog) >= 220
    codes = [i["code"] for i in catalog]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"[A-Z]+-\d{4}", c) for c in codes)
    departments = {i["department"] for i in catalog}
    assert len(departments) >= 12
    for word in ("公安", "市场监督", "不动产", "人力资源和社会保障", "医疗保障", "民政", "公积金",
                 "卫生健康", "残疾人联合会", "税务", "住房和城乡建设", "交通运输", "教育",
                 "自然资源", "生态环境", "文化广电旅游"):  # fmt: skip
        assert any(word in d for d in departments), word
    assert len({(i["department"], i["department_en"]) for i in catalog}) == len(departments)


LIST_ELEMENTS = ("audience", "life_events", "aliases", "conditions", "materials", "steps",
                 "situations", "faq")  # fmt: skip
TEXT_ELEMENTS = ("title", "title_en", "department", "department_en", "legal_basis", "location",
                 "hours", "phone", "complaint_phone", "online_url", "queue_service")  # fmt: skip


def test_every_guide_element_is_filled(catalog):
    for item in catalog:
        code = item["code"]
        for key in TEXT_ELEMENTS:
            assert isinstance(item[key], str) and item[key].strip(), (code, key)
        for key in LIST_ELEMENTS:
            assert item[key], (code, key)
        assert all(m["name"] for m in item["materials"]), code
        assert all(s["name"] and s["description"] for s in item["situations"]), code
        assert all(a.strip() for a in item["aliases"] + item["conditions"] + item["steps"]), code
        assert 2 <= len(item["faq"]) <= 3 and all(f["q"] and f["a"] for f in item["faq"]), code
        assert item["popularity"] >= 0
        if item["fee"]["charged"]:
            assert item["fee"]["amount"] and item["fee"]["basis"], code
        else:
            assert item["fee"] == {"charged": False, "amount": "", "basis": ""}, code


def test_guide_values_are_plausible(catalog):
    for item in catalog:
        code = item["code"]
        assert item["legal_days"] >= item["promised_days"], code
        if item["handling_type"] == "承诺件":
            assert item["promised_days"] >= 1, code
        else:
            assert item["promised_days"] == 0, code
        assert item["visits"] in (0, 1), code
        assert item["title_en"].isascii() and item["department_en"].isascii(), code
        assert "《" in item["legal_basis"], code
        assert (
            re.fullmatch(r"0\d{2,3}-\d{7,8}", item["phone"])
            and validate_phone(item["phone"]) is None
        )
        assert item["complaint_phone"] == "12345"
        assert item["online_url"] == f"https://zwfw.example.gov.cn/guide/{code}"
        assert item["location"].startswith("示例市政务服务中心") and "号窗口" in item["location"]
    charged = [i for i in catalog if i["fee"]["charged"]]
    assert 0 < len(charged) < len(catalog) / 4  # most items are free
    assert {i["handling_type"] for i in catalog} == {"即办件", "承诺件"}
    assert {i["visits"] for i in catalog} == {0, 1}


def test_popularity_is_skewed(catalog):
    pops = sorted((i["popularity"] for i in catalog), reverse=True)
    top = pops[: len(pops) // 10]
    assert sum(top) > 0.4 * sum(pops)
    assert pops[0] > 20 * statistics.median(pops)


def test_the_items_people_search_for_are_there(catalog):
    def matches(word: str) -> list[dict]:
        return [i for i in catalog if word in i["title"] or any(word in a for a in i["aliases"])]

    assert len(matches("营业执照")) >= 10
    assert any("营业执照" in i["title"] for i in catalog)
    shebao = [i for i in catalog if "社会保障卡" in i["title"] and "社保" in i["aliases"]]
    assert shebao
    assert len([i for i in catalog if "身份证" in i["title"]]) >= 4
    assert len(matches("户口")) >= 5
    events = Counter(e for i in catalog for e in i["life_events"])
    for bundle in ("出生一件事", "入学一件事", "开办企业一件事", "退休一件事", "结婚一件事",
                   "身后一件事", "就业一件事"):  # fmt: skip
        assert events[bundle] >= 2, bundle


def test_pinyin_initials_find_business_licence_items(catalog):
    try:
        from pypinyin import Style, lazy_pinyin
    except ImportError:
        pytest.skip("pypinyin (server extra) not installed: pinyin initials not checked")

    def initials(text: str) -> str:
        return "".join(lazy_pinyin(text, style=Style.FIRST_LETTER))

    hits = [i for i in catalog if any("yyzz" in initials(a) for a in i["aliases"])]
    assert len(hits) >= 10


def test_queue_services_file(services, catalog):
    assert 10 <= len(services) <= 14
    codes = [s["code"] for s in services]
    prefixes = [s["prefix"] for s in services]
    assert len(set(codes)) == len(codes) and len(set(prefixes)) == len(prefixes)
    counters: list[str] = []
    for s in services:
        assert set(s) - {"slot_minutes", "slot_capacity"} == {  # bookable ones: slots
            "code",
            "name",
            "name_en",
            "prefix",
            "category",
            "daily_cap",
            "open",
            "counters",
        }
        assert re.fullmatch(r"[A-Z]", s["prefix"]) and s["prefix"] not in "IO"
        assert s["name"] and s["name_en"].isascii() and s["category"]
        assert isinstance(s["daily_cap"], int) and s["daily_cap"] > 0
        assert isinstance(s["open"], bool)
        assert s["counters"] and all(re.fullmatch(r"\d{2}", c) for c in s["counters"])
        counters += s["counters"]
    assert len(set(counters)) == len(counters)
    assert any(not s["open"] for s in services) and sum(s["open"] for s in services) >= 10
    used = {i["queue_service"] for i in catalog}
    assert used <= set(codes)
    assert used == set(codes)  # every service has items to take tickets for


def test_locations_name_the_counters_of_the_queue_service(catalog, services):
    by_code = {s["code"]: s for s in services}
    for item in catalog:
        counters = by_code[item["queue_service"]]["counters"]
        assert f"{counters[0]}-{counters[-1]}号窗口" in item["location"], item["code"]


def test_form_links_resolve_both_ways(catalog, by_code, forms):
    named = {code for i in catalog for code in i["forms"]}
    assert named <= set(forms)
    assert named == set(forms)  # every form is used by some item
    for form in forms.values():
        for item_code in form.items:
            assert item_code in by_code, (form.code, item_code)
            assert form.code in by_code[item_code]["forms"], (form.code, item_code)
    for item in catalog:
        for form_code in item["forms"]:
            assert item["code"] in forms[form_code].items
    gtgsh = by_code[forms["F-GTGSH-01"].items[0]]
    assert gtgsh["title"] == "个体工商户设立登记"


# --- applications ----------------------------------------------------------------------------
NUMBER_RE = re.compile(r"SQ(\d{8})[0-9A-HJKMNP-TV-Z]{10}")


def test_applications_cover_every_status_twice(applications):
    counts = Counter(a["status"] for a in applications)
    assert set(counts) == set(APPLICATION_STATUSES)
    assert min(counts.values()) >= 2


def test_application_shape_numbers_and_holders(applications, by_code, forms):
    numbers = [a["number"] for a in applications]
    assert len(set(numbers)) == len(numbers)
    for app in applications:
        assert set(app) == {"number", "item", "form", "status", "fields", "holder_id_number",
                            "submitted_at", "promised_by", "history"}  # fmt: skip
        m = NUMBER_RE.fullmatch(app["number"])
        assert m, app["number"]
        submitted = datetime.fromisoformat(app["submitted_at"])
        assert submitted.utcoffset() == timedelta(hours=8)
        assert m.group(1) == f"{submitted:%Y%m%d}"
        holder = app["holder_id_number"]
        assert id_check_digit_ok(holder) and validate_id_number(holder) is None, app["number"]
        item = by_code[app["item"]]
        assert app["form"] in item["forms"]
        form = forms[app["form"]]
        assert validate_fields(form, app["fields"]) == {}, app["number"]
        for f in form.fields:  # the holder's own number where the form has one from the card
            if f.from_card == "id_number":
                assert app["fields"][f.key] == holder
        promised = date.fromisoformat(app["promised_by"])
        assert promised >= submitted.date()


def test_application_histories_move_forward_to_the_status(applications):
    for app in applications:
        history = app["history"]
        assert history[0]["status"] == "submitted"
        assert history[-1]["status"] == app["status"]
        assert history[0]["at"] == app["submitted_at"]
        times = [datetime.fromisoformat(h["at"]) for h in history]
        assert all(t.utcoffset() == timedelta(hours=8) for t in times)
        assert times == sorted(times)
        assert all(h["status"] in APPLICATION_STATUSES and h["note"] for h in history)
        if app["status"] == "correction_requested":
            assert history[-1]["note"].startswith("补齐补正")
        if app["status"] == "suspended":
            assert "暂停计时" in history[-1]["note"]


def test_one_person_has_three_applications(applications):
    per_holder = Counter(a["holder_id_number"] for a in applications)
    assert max(per_holder.values()) >= 3


# --- appointments and evaluation reasons -----------------------------------------------------
def test_appointments(services):
    entries = _toml(DEMO / "appointments.toml")["appointment"]
    assert len(entries) >= 5
    codes = [a["code"] for a in entries]
    assert len(set(codes)) == len(codes)
    service_codes = {s["code"] for s in services}
    for a in entries:
        assert set(a) == {"code", "service", "holder_id_number", "slot"}
        assert re.fullmatch(r"\d{6}", a["code"])
        assert a["service"] in service_codes
        assert validate_id_number(a["holder_id_number"]) is None
        start, end = re.fullmatch(r"(\d{2}:\d{2})-(\d{2}:\d{2})", a["slot"]).groups()
        assert start < end
    assert len({a["holder_id_number"] for a in entries}) == len(entries)  # one a day each


def test_evaluation_reasons():
    reasons = _toml(config_dir() / "evaluation_reasons.toml")["reason"]
    codes = [r["code"] for r in reasons]
    assert len(set(codes)) == len(codes)
    per_level = Counter(r["level"] for r in reasons)
    assert set(per_level) == set(EVALUATION_LEVELS)
    assert all(4 <= n <= 6 for n in per_level.values())
    for r in reasons:
        assert set(r) == {"code", "level", "zh", "en"}
        assert re.fullmatch(rf"R{r['level']}-\d{{2}}", r["code"])
        assert r["zh"] and r["en"].isascii() and r["en"]


# --- the committed files are what the tool writes --------------------------------------------
def test_generated_files_are_up_to_date():
    spec = importlib.util.spec_from_file_location(
        "make_demo_catalog", ROOT / "tools" / "make_demo_catalog.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_demo_catalog", module)
    spec.loader.exec_module(module)
    for path, text in module.render_all().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.name} is stale: run .venv/bin/python tools/make_demo_catalog.py"
        )
