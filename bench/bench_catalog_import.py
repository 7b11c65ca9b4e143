"""Catalog import memory benchmark (not part of CI): `kiosk admin import-catalog` in its own
process on a generated JSON Lines catalog, peak RSS (ru_maxrss from wait4) and wall time.

Baseline, same run: a plain Python process that only reads the same file line by line and
parses each line with json.loads (the floor of any streaming import: interpreter + parsing).
Target (issue 17): peak RSS ≤ 300 MB for 100,000 items. A first import (everything added) and a
re-import of the same file (everything unchanged) are measured.

    .venv/bin/python bench/bench_catalog_import.py [--count 100000] [--db URL]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hall_server.synthetic import generate_catalog  # noqa: E402

KIOSK = [sys.executable, "-m", "kiosk"]
BASELINE = (
    "import json, sys\n"
    "with open(sys.argv[1], encoding='utf-8') as fh:\n"
    "    for line in fh:\n"
    "        json.loads(line)\n"
)


def run(argv: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of one child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv} failed: {proc.stderr.read().decode(errors='replace')}")
    return seconds, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--db", help="a PostgreSQL URL (default: SQLite in a temporary dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "catalog.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for item in generate_catalog(args.count):
                fh.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n")
        size = path.stat().st_size / 2**20
        where = ["--db", args.db] if args.db else ["--data-dir", str(Path(tmp) / "hall")]
        importing = [*KIOSK, "admin", "import-catalog", str(path), *where]
        rows = [
            ("baseline: read + json.loads each line", run([sys.executable, "-c", BASELINE, str(path)])),
            ("import-catalog, first (all added)", run(importing)),
            ("import-catalog, again (all unchanged)", run(importing)),
        ]
    print(f"catalog: {args.count} items, {size:.0f} MiB; load average {os.getloadavg()[0]:.2f}")
    print(f"{'run':<42}{'seconds':>9}{'peak RSS MiB':>14}{'× baseline RSS':>16}")
    base_rss = rows[0][1][1]
    for name, (seconds, rss) in rows:
        print(f"{name:<42}{seconds:>9.1f}{rss:>14.0f}{rss / base_rss:>16.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
