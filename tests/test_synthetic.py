"""hall_server.synthetic: valid, deterministic, plausible synthetic catalogs for benchmarks."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections import Counter
from itertools import islice

import pytest

from common.wire import CatalogItemIn
from hall_server.synthetic import DEPARTMENTS, demo_queue_services, generate_catalog


def test_items_are_valid_catalog_items():
    items = list(generate_catalog(3000, seed=1))
    assert len(items) == 3000
    for item in items:
        CatalogItemIn.model_validate(item)


def test_same_seed_same_items_other_seed_other_items():
    assert list(generate_catalog(500, seed=3)) == list(generate_catalog(500, seed=3))
    assert list(generate_catalog(500, seed=3)) != list(generate_catalog(500, seed=4))
    # a prefix of a longer run is the shorter run: benchmarks can grow n without reshuffling
    assert list(islice(generate_catalog(1000, seed=3), 500)) == list(generate_catalog(500, seed=3))


def test_codes_unique_and_apart_from_the_demo_catalog():
    codes = [i["code"] for i in generate_catalog(20_000, seed=1)]
    assert len(set(codes)) == len(codes)
    assert all(c.startswith("SYN-") for c in codes)


def test_items_are_plausible_and_varied():
    items = list(generate_catalog(5000, seed=2))
    services = {s["code"] for s in demo_queue_services()}
    assert {i["queue_service"] for i in items} <= services
    assert {i["department"] for i in items} == {d.zh for d in DEPARTMENTS}
    assert len({i["title"] for i in items}) > 2500
    for item in items[:500]:
        assert item["aliases"] and item["materials"] and item["conditions"] and item["steps"]
        assert item["legal_days"] >= item["promised_days"]
        assert item["online_url"].startswith("https://zwfw.example.gov.cn/")
        assert all("\u4e00" <= ch <= "\u9fff" or ch in "（）" for ch in item["title"])
    pops = [i["popularity"] for i in items]
    assert max(pops) > 50 * max(statistics.median(pops), 1)  # heavy tail
    assert Counter(i["fee"]["charged"] for i in items)[True] < len(items) / 5


def test_edge_counts():
    assert list(generate_catalog(0)) == []
    with pytest.raises(ValueError):
        list(generate_catalog(-1))


def test_command_line_writes_json_lines():
    out = subprocess.run(
        [sys.executable, "-m", "hall_server.synthetic", "--count", "50", "--seed", "9"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    lines = out.stdout.splitlines()
    assert len(lines) == 50
    assert [json.loads(line) for line in lines] == list(generate_catalog(50, seed=9))
    bad = subprocess.run(
        [sys.executable, "-m", "hall_server.synthetic", "--count", "-5"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert bad.returncode == 2 and "--count" in bad.stderr
