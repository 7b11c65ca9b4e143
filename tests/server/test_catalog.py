"""Catalog import (all or nothing, idempotent) and the changes feed (cursor, tombstones)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from common.errors import KioskError
from common.wire import CatalogChanges, CatalogItem

from .conftest import DATA
from .test_api_basics import assert_error


def lines() -> list[dict]:
    return [json.loads(x) for x in (DATA / "catalog_small.jsonl").read_text().splitlines()]


def write(path: Path, items: list) -> Path:
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in items)
        + "\n",
        encoding="utf-8",
    )
    return path


def feed(api, since=None, limit=500) -> CatalogChanges:
    params = {"limit": limit}
    if since:
        params["since"] = since
    resp = api.get("/catalog/changes", params=params)
    assert resp.status_code == 200, resp.text
    return CatalogChanges.model_validate(resp.json())


def test_full_feed_has_every_item_with_search_helpers(public):
    page = feed(public)
    assert {i.code for i in page.items} == {x["code"] for x in lines()}
    assert page.deleted == [] and page.more is False
    item = next(i for i in page.items if i.code == "SCJG-GTGSH-001")
    assert item.search.title_pinyin == "ge ti gong shang hu she li deng ji"
    assert item.search.title_initials == "gtgshsldj"
    assert item.search.alias_pinyin == ["ying ye zhi zhao", "ge ti hu zhi zhao"]
    assert item.search.alias_initials == ["yyzz", "gthzz"]
    assert item.updated_at is not None
    cq = next(i for i in page.items if i.code == "GA-SFZ-001")
    assert cq.search.title_pinyin.startswith("chong qing")  # polyphone read from the phrase
    # nothing new after the last cursor
    again = feed(public, page.cursor)
    assert again.items == [] and again.deleted == [] and again.cursor == page.cursor


def test_item_route_returns_the_full_item(public):
    resp = public.get("/catalog/items/SCJG-GTGSH-001")
    assert resp.status_code == 200
    item = CatalogItem.model_validate(resp.json())
    assert item.materials[0].name == "经营者身份证"
    assert item.forms == ["F-GTGSH-01"] and item.queue_service == "SB"


def test_paging_with_cursor_and_more(public):
    seen, cursor, pages = [], None, 0
    while True:
        page = feed(public, cursor, limit=2)
        pages += 1
        seen += [i.code for i in page.items]
        cursor = page.cursor
        if not page.more:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 6


def test_reimport_is_idempotent(hall, public):
    from hall_server.catalog_import import import_catalog

    before = feed(public)
    result = import_catalog(hall.database, DATA / "catalog_small.jsonl", clock=hall.clock)
    assert result["unchanged"] == 6 and result["added"] == result["changed"] == 0
    assert result["deleted"] == 0
    assert feed(public, before.cursor).items == []


def test_change_and_removal_show_in_the_feed(hall, public, tmp_path):
    from hall_server.catalog_import import import_catalog

    cursor = feed(public).cursor
    items = lines()
    items[0]["promised_days"] = 1  # changed
    removed = items.pop(2)["code"]  # missing from the file → tombstone
    items.append({"code": "NEW-001", "title": "新事项", "department": "示例局"})  # added
    result = import_catalog(hall.database, write(tmp_path / "c.jsonl", items), clock=hall.clock)
    assert (result["added"], result["changed"], result["unchanged"], result["deleted"]) == (
        1,
        1,
        4,
        1,
    )
    page = feed(public, cursor)
    assert {i.code for i in page.items} == {items[0]["code"], "NEW-001"}
    assert page.deleted == [removed]
    changed = next(i for i in page.items if i.code == items[0]["code"])
    assert changed.promised_days == 1
    assert_error(public.get(f"/catalog/items/{removed}"), 404, "E-API-01")
    # the tombstone stays out of a full feed's items but is listed as deleted
    full = feed(public)
    assert removed in full.deleted and removed not in {i.code for i in full.items}
    # bringing it back makes it live again
    items.append(lines()[2])
    import_catalog(hall.database, write(tmp_path / "c.jsonl", items), clock=hall.clock)
    assert [i.code for i in feed(public, page.cursor).items] == [removed]


def test_bad_lines_reported_by_number_and_nothing_imported(hall, public, tmp_path):
    from hall_server.catalog_import import CatalogImportError, import_catalog

    before = feed(public)
    items: list = lines()
    items[0]["promised_days"] = 99  # a valid change that must NOT be applied
    items.insert(1, "{not json")  # line 2
    items.insert(3, {"code": "X 1", "title": "坏编码", "department": "d"})  # line 4
    items.insert(4, {"title": "无编码", "department": "d"})  # line 5
    items.insert(5, {**lines()[1]})  # line 6: duplicate code of line 3
    items.append({"code": "OK-1", "title": "t", "department": "d", "materials": [{"form": "?"}]})
    path = write(tmp_path / "bad.jsonl", items)
    with pytest.raises(CatalogImportError) as info:
        import_catalog(hall.database, path, clock=hall.clock)
    err = info.value
    assert err.code == "E-IMP-01"
    assert [n for n, _ in err.problems] == [2, 4, 5, 6, len(items)]
    assert "not valid JSON" in err.problems[0][1]
    assert "code" in err.problems[1][1]
    assert "already on line 3" in err.problems[3][1]
    assert "materials.0" in err.problems[4][1]
    assert "line 2" in err.message and f"line {len(items)}" in err.message
    after = feed(public)
    assert after.cursor == before.cursor  # nothing at all was written
    assert next(i for i in after.items if i.code == items[0]["code"]).promised_days != 99


def test_many_bad_lines_are_capped_in_the_report(hall, tmp_path):
    from hall_server.catalog_import import MAX_REPORTED, CatalogImportError, import_catalog

    path = write(tmp_path / "bad.jsonl", ["[]"] * (MAX_REPORTED + 10))
    with pytest.raises(CatalogImportError) as info:
        import_catalog(hall.database, path, clock=hall.clock)
    assert len(info.value.problems) == MAX_REPORTED
    assert info.value.total_bad == MAX_REPORTED + 10
    assert "and 10 more" in info.value.message


def test_empty_or_unreadable_file_is_refused(hall, tmp_path):
    from hall_server.catalog_import import import_catalog

    with pytest.raises(KioskError, match="no items"):
        import_catalog(hall.database, write(tmp_path / "empty.jsonl", ["", "  "]))
    with pytest.raises(KioskError) as info:
        import_catalog(hall.database, tmp_path / "missing.jsonl")
    assert info.value.code == "E-IMP-01"
    (tmp_path / "gbk.jsonl").write_bytes('{"title": "营业执照"}'.encode("gbk"))
    with pytest.raises(KioskError, match="UTF-8"):
        import_catalog(hall.database, tmp_path / "gbk.jsonl")


def test_schema_file_equals_the_generated_schema():
    from hall_server.admin import catalog_schema

    path = Path(__file__).resolve().parents[2] / "docs" / "catalog.schema.json"
    assert json.loads(path.read_text(encoding="utf-8")) == catalog_schema(), (
        "docs/catalog.schema.json is stale: run "
        "`kiosk admin catalog-schema --output docs/catalog.schema.json`"
    )
    required = set(catalog_schema()["required"])
    assert {"code", "title", "department"} <= required
    props = catalog_schema()["properties"]
    for name in (
        "code",
        "title",
        "title_en",
        "department",
        "item_type",
        "handling_type",
        "audience",
        "life_events",
        "aliases",
        "legal_basis",
        "conditions",
        "materials",
        "steps",
        "situations",
        "legal_days",
        "promised_days",
        "fee",
        "location",
        "hours",
        "phone",
        "complaint_phone",
        "visits",
        "online_url",
        "faq",
        "forms",
    ):
        assert name in props, name


def test_every_line_of_the_fixture_validates_against_the_schema_model():
    from common.wire import CatalogItemIn

    for line in lines():
        CatalogItemIn.model_validate(line)


def test_import_streams_the_file_instead_of_holding_its_items(hall, tmp_path):
    """A catalog import's memory does not grow with the catalog: 5,000 items (≈ 12 MB of
    JSON; held as models they took ≈ 110 MB) stay below the size of the file itself."""
    import tracemalloc

    from hall_server.catalog_import import import_catalog
    from hall_server.synthetic import generate_catalog

    path = write(tmp_path / "big.jsonl", list(generate_catalog(5000, seed=3)))
    size = path.stat().st_size
    tracemalloc.start()
    try:
        result = import_catalog(hall.database, path, clock=hall.clock)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result["added"] == 5000
    assert peak < size, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB file"


def test_a_file_changed_between_the_two_passes_is_refused(hall, tmp_path):
    """The writing pass re-reads the file: a line that differs from what was validated stops
    the import with nothing written (all or nothing holds)."""
    from hall_server import catalog_import

    items = [{**item, "code": f"{item['code']}-B"} for item in lines()]  # all new: all written
    path = write(tmp_path / "c.jsonl", items)
    scan = catalog_import.scan_lines(path.read_text().splitlines())
    items[0]["title"] = "改过的标题"
    write(path, items)

    def reread():
        with path.open(encoding="utf-8") as fh:
            yield from catalog_import._numbered(fh)

    with pytest.raises(KioskError) as info, hall.database.write() as conn:
        catalog_import._apply(conn, hall.database, scan, reread, hall.clock.now())
    assert info.value.code == "E-IMP-01" and "changed during the import" in info.value.detail
