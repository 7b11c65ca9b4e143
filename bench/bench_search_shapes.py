"""Guide search on catalogs shaped like real ones (issue 17), not part of CI.

For each shape of bench/search_shapes.py (popularity Zipf or all zero, titles sharing very
common endings, long shared tails, an 86,000-item catalog like Zhengzhou's), the catalog is
synced into a real local store through apply_page, then searched. Printed per shape and query
kind: p50/p99 of Catalog.search (first 20 results, end to end), the naive ranked LIKE scan
(bench/naive_search.py) on the same queries in the same run, the p99 ratio, whether the top 20
equal the naive's (typo fallbacks excluded: the naive scan has none), and recall of Chinese
queries against a brute-force substring scan. Typo kinds (a homophone in a Chinese title
fragment; one wrong letter in full pinyin) report whether the intended title came back.

    .venv/bin/python bench/bench_search_shapes.py --items 20000 --queries 100   # develop
    .venv/bin/python bench/bench_search_shapes.py                               # 100k, all shapes
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import tomllib
from functools import cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pypinyin import Style, lazy_pinyin  # noqa: E402  (the bench plays the server here)

from bench import naive_search  # noqa: E402
from bench.bench_search import _helpers, pct, sample_queries, strings, sync_full  # noqa: E402
from bench.search_shapes import SHAPES, shaped_catalog  # noqa: E402
from common import wire  # noqa: E402
from common.paths import config_dir  # noqa: E402
from offline_cache import search_index  # noqa: E402
from offline_cache.catalog import Catalog  # noqa: E402
from offline_cache.search_reader import file_resident  # noqa: E402
from offline_cache.search_text import fold  # noqa: E402
from offline_cache.store import LocalStore  # noqa: E402

TARGET_P99_MS = 2.0
TARGET_TYPO_P99_MS = 10.0
SIMILAR = "similar"  # ItemSummary.matched of a typo fallback hit


def _kiosk_default(key: str) -> int:
    """A [kiosk] setting as default.toml ships it (what a kiosk runs with)."""
    return tomllib.loads((config_dir() / "default.toml").read_text())["kiosk"][key]


def build(shape: str, n: int, seed: int) -> list[wire.CatalogItem]:
    items = []
    for d in shaped_catalog(shape, n, seed):
        d["search"] = _helpers(d["title"], tuple(d["aliases"]))
        items.append(wire.CatalogItem.model_validate(d))
    return items


@cache
def _py(ch: str) -> str:
    return "".join(lazy_pinyin(ch, style=Style.NORMAL, errors="ignore"))


def typo_queries(items: list[wire.CatalogItem], count: int, seed: int
                 ) -> dict[str, list[tuple[str, str]]]:
    """(query, intended title fragment): a homophone swapped into 4–6 characters of a title;
    full pinyin of a title start with one letter changed."""
    rng = random.Random(seed)
    alphabet = sorted({ch for item in items[:3000] for ch in item.title
                       if "\u4e00" <= ch <= "\u9fff"})
    by_sound: dict[str, list[str]] = {}
    for ch in alphabet:
        by_sound.setdefault(_py(ch), []).append(ch)
    homophones, letters = [], []
    while len(homophones) < count:
        title = rng.choice(items).title
        n = rng.randint(4, 6)
        if len(title) < n:
            continue
        start = rng.randrange(len(title) - n + 1)
        frag = title[start:start + n]
        spots = [i for i, ch in enumerate(frag) if len(by_sound.get(_py(ch), ())) > 1]
        if not spots:
            continue
        i = rng.choice(spots)
        other = rng.choice([c for c in by_sound[_py(frag[i])] if c != frag[i]])
        homophones.append((frag[:i] + other + frag[i + 1:], frag))
    while len(letters) < count:
        item = rng.choice(items)
        syl = item.search.title_pinyin.split()[:rng.randint(3, 5)]
        word = "".join(syl)
        if len(word) < 6:
            continue
        i = rng.randrange(1, len(word))
        wrong = rng.choice([c for c in "abcdefghijklmnopqrstuvwxyz" if c != word[i]])
        letters.append((word[:i] + wrong + word[i + 1:], item.title[:len(syl)]))
    return {"homophone typo": homophones, "pinyin typo": letters}


def timed(fn, q: str) -> tuple[float, list, float]:
    """(wall ms, result, CPU ms of this thread): on a shared machine the CPU time shows what
    the search costs, the wall clock adds the waits for a core."""
    c, t = time.thread_time(), time.perf_counter()
    out = fn(q)
    return (time.perf_counter() - t) * 1000, out, (time.thread_time() - c) * 1000


def run_shape(shape: str, args: argparse.Namespace, work: Path) -> list[tuple]:
    out = sys.stdout.write
    t0 = time.perf_counter()
    items = build(shape, args.items, args.seed)
    built = time.perf_counter() - t0
    done = work / f"{shape}-{args.items}-{args.seed}.synced"
    reuse = args.reuse and done.exists()
    if not reuse:
        done.unlink(missing_ok=True)
        for suffix in ("", "-wal", "-shm"):
            (work / f"{shape}.db{suffix}").unlink(missing_ok=True)
            (work / f"{shape}-naive.db{suffix}").unlink(missing_ok=True)
    store = LocalStore(work / f"{shape}.db")
    full = 0.0
    if not reuse:
        full = sync_full(store, items)
        with store.transaction() as conn:
            search_index.compact(conn)  # what Catalog.pull does after a large sync
    naive = sqlite3.connect(work / f"{shape}-naive.db", isolation_level=None)
    naive.execute("PRAGMA journal_mode=WAL")
    naive.execute("PRAGMA cache_size=-65536")
    if not reuse:
        naive.execute("BEGIN")
        naive_search.load(naive, items)
        naive.execute("COMMIT")
        done.touch()
    titles = len({i.title for i in items})
    out(f"\n## {shape}: {len(items):,} items, {titles:,} distinct titles, popularity "
        f"{'all zero' if not any(i.popularity for i in items) else 'varied'} "
        f"(built {built:.0f} s, synced {full:.1f} s), load average {os.getloadavg()[0]:.2f}\n")

    catalog = Catalog(store)
    catalog.open_reader(args.search_mmap_mib * 2**20)  # as the running kiosk searches
    queries = sample_queries(items, args.queries, args.seed + 1)
    typos = typo_queries(items, args.queries, args.seed + 2)
    for q in queries["2 chars"][:30]:  # warm both page caches the same way
        catalog.search(q)
        naive_search.naive_search(naive, q)
    catalog.warm_search()  # what the kiosk builds at start and after a sync that changed the
    # index (the did-you-mean starts; sync_full does not pull)
    rows = []
    for kind, qs in [*queries.items(), *((k, [q for q, _ in v]) for k, v in typos.items())]:
        ours = [timed(catalog.search, q) for q in qs]
        sub = qs[:args.naive_queries]
        theirs = [timed(lambda x: naive_search.naive_search(naive, x), q) for q in sub]
        fast_ms = [ms for ms, _, _ in ours]
        cpu_ms = [c for _, _, c in ours]
        naive_ms = [ms for ms, _, _ in theirs]
        same = sum([r.code for r in got if r.matched != SIMILAR] == [c for c, _ in want]
                   for (_, got, _), (_, want, _) in zip(ours, theirs, strict=False))
        extra = ""
        if kind in typos:
            found = sum(any(frag in r.title for r in got)
                        for (_, got, _), (_, frag) in zip(ours, typos[kind], strict=True))
            extra = f"intended found {found}/{len(qs)}"
        if args.slowest:
            worst = sorted(zip(fast_ms, qs, strict=True), reverse=True)[:args.slowest]
            out(f"  slowest {kind}: " + ", ".join(f"{q!r} {ms:.1f}" for ms, q in worst) + "\n")
        rows.append((shape, kind, len(qs), statistics.median(fast_ms), pct(fast_ms, 0.99),
                     pct(cpu_ms, 0.99), statistics.median(naive_ms), pct(naive_ms, 0.99), same,
                     len(sub), extra))

    haystacks = {i.code: "\x00".join(fold(s) for s in strings(i)) for i in items}
    found_n = truth_n = 0
    for kind in ("1 char", "2 chars", "4+ chars"):
        for q in queries[kind][:args.recall_queries]:
            truth = {code for code, hay in haystacks.items() if q in hay}
            found = {r.code for r in catalog.search(q, limit=len(items) + 1)
                     if r.matched != SIMILAR}
            found_n += len(truth & found)
            truth_n += len(truth)
            if not found <= truth:
                out(f"  WRONG: {q!r} returns items that do not hold it\n")
    out(f"recall of Chinese substrings ({3 * args.recall_queries} queries, all results vs a "
        f"brute-force scan): {found_n}/{truth_n} = {100 * found_n / max(truth_n, 1):.2f} %\n")
    print_rows(rows)
    reader = catalog.reader
    if reader is not None:  # what the mapping left in the RSS, how often it was dropped
        out(f"RssFile at the end {file_resident() / 2**20:.0f} MiB, mapping dropped "
            f"{reader.remapped} times when quiet, "
            f"{getattr(reader, 'remapped_busy', 'n/a')} between searches\n")
    catalog.close_reader()
    naive.close()
    store.close()
    return rows


def print_rows(rows: list[tuple]) -> None:
    out = sys.stdout.write
    out("| shape | query kind | n | p50 ms | p99 ms | CPU p99 | naive p50 | naive p99 | p99 × | "
        "top 20 = naive | target |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|\n")
    for shape, kind, n, p50, p99, cpu99, np50, np99, same, compared, extra in rows:
        target = TARGET_TYPO_P99_MS if "typo" in kind else TARGET_P99_MS
        verdict = "ok" if p99 <= target else f"missed ({p99 / target:.1f}× the {target:g} ms)"
        out(f"| {shape} | {kind} | {n} | {p50:.3f} | {p99:.3f} | {cpu99:.3f} | {np50:.1f} | "
            f"{np99:.1f} | "
            f"{np99 / p99:.0f} | {same}/{compared} | {verdict}{'; ' + extra if extra else ''} |\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--queries", type=int, default=200, help="per query kind")
    parser.add_argument("--naive-queries", type=int, default=40,
                        help="per kind, also run on the naive scan and compared")
    parser.add_argument("--recall-queries", type=int, default=20)
    parser.add_argument("--dir", type=Path, help="keep the databases here")
    parser.add_argument("--slowest", type=int, default=0,
                        help="print the N slowest queries (ms) of each kind")
    parser.add_argument("--search-mmap-mib", type=int,
                        default=_kiosk_default("search_mmap_mib"),
                        help="searches run as the running kiosk's: on a connection of their own "
                             "with the store mapped, this many MiB of it resident at most "
                             "(kiosk.search_mmap_mib, default the kiosk's); 0: on the store's "
                             "connection, as the CLI searches")
    parser.add_argument("--reuse", action="store_true",
                        help="with --dir: search the stores a previous run synced (same items "
                             "and seed) instead of syncing again (query-side work only)")
    args = parser.parse_args(argv)
    work = args.dir or Path(tempfile.mkdtemp(prefix="bench-shapes-"))
    work.mkdir(parents=True, exist_ok=True)
    linked = sqlite3.connect(":memory:").execute("SELECT sqlite_version()").fetchone()[0]
    sys.stdout.write(f"SQLite {linked}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
                     f"load average {os.getloadavg()[0]:.2f}\n")
    every = []
    for shape in args.shapes.split(","):
        every += run_shape(shape, args, work)
        sys.stdout.flush()
    if len(args.shapes.split(",")) > 1:
        sys.stdout.write("\n## all shapes\n")
        print_rows(every)
    if not args.dir:
        import shutil
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
