"""Catalog shapes for the guide-search bench: hall_server.synthetic's items, reshaped the way
real catalogs differ from it (issue 17). Every shape is deterministic for a seed.

- zipf: popularity Zipf-distributed over a random order of the items (s = 1.1);
- zero: popularity 0 everywhere — a freshly imported catalog, nobody has asked for anything;
- common: popularity 0, and nine titles in ten end in one of a few very common endings
  (证, 登记, （个人）, 登记证（个人）…), so 1–2 character queries match most of the catalog;
- tails: popularity 0, and most titles carry a long shared tail "（情形123）" — many distinct
  titles that differ only at the end;
- zhengzhou: 86,000 items (the size of Zhengzhou's published catalog), popularity 0, common
  endings and shared tails mixed, and codes grouped by department as an import gives them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

from hall_server.synthetic import generate_catalog

COMMON_ENDINGS = ("证", "登记", "（个人）", "登记证（个人）", "证明（个人）", "登记（法人）",
                  "许可证", "证件登记")
ZHENGZHOU_ITEMS = 86_000


def _zipf(items: list[dict], rng: random.Random) -> None:
    order = list(range(len(items)))
    rng.shuffle(order)
    for rank, i in enumerate(order, 1):
        items[i]["popularity"] = int(100_000 / rank ** 1.1)


def _zero(items: list[dict], rng: random.Random) -> None:
    for item in items:
        item["popularity"] = 0


def _common(items: list[dict], rng: random.Random) -> None:
    _zero(items, rng)
    for item in items:
        if rng.random() < 0.9:
            item["title"] += rng.choice(COMMON_ENDINGS)


def _tails(items: list[dict], rng: random.Random) -> None:
    _zero(items, rng)
    for item in items:
        if rng.random() < 0.8:
            item["title"] += f"（情形{rng.randint(1, 400)}）"


def _zhengzhou(items: list[dict], rng: random.Random) -> None:
    _zero(items, rng)
    for item in items:
        r = rng.random()
        if r < 0.5:
            item["title"] += rng.choice(COMMON_ENDINGS)
        elif r < 0.8:
            item["title"] += f"（情形{rng.randint(1, 400)}）"
    # An import lists each department's items together: codes sorted by department.
    items.sort(key=lambda d: (d["department"], d["code"]))
    for k, item in enumerate(items, 1):
        item["code"] = f"ZZ-{k:07d}"


SHAPES: dict[str, Callable[[list[dict], random.Random], None]] = {
    "zipf": _zipf, "zero": _zero, "common": _common, "tails": _tails, "zhengzhou": _zhengzhou,
}


def shaped_catalog(shape: str, n: int, seed: int) -> Iterator[dict]:
    """`n` item dicts (86,000 for zhengzhou, unless n is smaller) of the named shape."""
    if shape == "zhengzhou":
        n = min(n, ZHENGZHOU_ITEMS)
    items = list(generate_catalog(n, seed))
    SHAPES[shape](items, random.Random(seed * 7919 + len(shape)))
    yield from items
