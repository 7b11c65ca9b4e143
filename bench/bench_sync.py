"""Catalog sync end to end (not part of CI): a fresh kiosk runs `kiosk sync` against a real hall
server (`kiosk serve` in its own process, loopback HTTP) holding a generated catalog.

Measured: wall time and peak RSS (ru_maxrss from wait4) of the `kiosk sync` process, and the
store's size (kiosk.db bytes ÷ items), for both first syncs: the JSON Lines snapshot (the
server builds no catalog store: the kiosk validates, compresses and indexes every item) and
the server-built catalog store (GET /catalog/store: downloaded, checked, copied; the server's
build is timed apart — once per catalog version, shared by every kiosk of the hall). Then a 100-change delta (90 items changed, 10 removed,
re-imported on the server) pulled in-process, as the running kiosk's syncer does.

Baseline, same run: a plain Python process that downloads the same feed pages with requests and
inserts each item's JSON into one sqlite3 table (code, doc), one WAL + synchronous=FULL
transaction per page — the floor of any sync that keeps the documents.
Targets (issue 17): ≤ 10 s, ≤ 150 MB peak RSS, ≤ 2 KB per item for 100,000 items.

    .venv/bin/python bench/bench_sync.py [--count 100000] [--profile DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hall_server.synthetic import generate_catalog  # noqa: E402
from tests.support.kiosk_cli import KioskCli  # noqa: E402
from tests.support.server import ServerProcess, start_server_process  # noqa: E402

BASELINE = """
import json, sqlite3, sys, requests
url, path, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=FULL")
db.execute("CREATE TABLE item (code TEXT PRIMARY KEY, doc TEXT NOT NULL)")
s, since, n = requests.Session(), None, 0
while True:
    params = {"limit": limit, **({"since": since} if since else {})}
    page = s.get(url + "/api/v1/catalog/changes", params=params).json()
    db.execute("BEGIN IMMEDIATE")
    db.executemany("INSERT OR REPLACE INTO item VALUES (?, ?)",
                   [(i["code"], json.dumps(i, ensure_ascii=False)) for i in page["items"]])
    db.execute("COMMIT")
    n += len(page["items"]); since = page["cursor"]
    if not page["more"]:
        break
db.close()
print(n)
"""


def run_rss(argv: list[str], env: dict[str, str] | None = None
            ) -> tuple[float, float, str, float]:
    """(seconds, peak RSS in MiB, stdout, CPU seconds) of one child process (its own rusage,
    by wait4). CPU seconds (user + system) say more than wall time on a loaded machine."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, cwd=ROOT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            raise SystemExit(f"{argv} failed: {err.read().decode(errors='replace')[-3000:]}")
        return (seconds, usage.ru_maxrss / 1024, out.read().decode(),
                usage.ru_utime + usage.ru_stime)


def write_catalog(path: Path, count: int, changed: int = 0) -> None:
    """The generated catalog; with `changed`, that many items get a new popularity and the 10
    after them are left out (tombstones on re-import)."""
    with path.open("w", encoding="utf-8") as fh:
        for i, item in enumerate(generate_catalog(count)):
            if changed and i < changed - 10:
                item["popularity"] += 1000 + i
            elif changed and i < changed:
                continue
            fh.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n")


def import_on(server: ServerProcess, source: Path) -> None:
    """`kiosk admin import-catalog` with no time limit (ServerProcess.admin stops at 120 s, which
    100,000 items pass on a loaded machine)."""
    subprocess.run([sys.executable, "-m", "kiosk", "admin", "import-catalog", str(source),
                    *server.db_args()], check=True, cwd=ROOT, env=server._environ(),
                   stdout=subprocess.DEVNULL)


def store_bytes(home: Path) -> int:
    """kiosk.db alone: the WAL is checkpointed into it and removed when the store closes."""
    return (home / "kiosk.db").stat().st_size


def server_build(server: ServerProcess) -> tuple[float, dict]:
    """Ask for the catalog store until the server has built it: (seconds from the first ask,
    the server's record of the build: its own wall time, items, …)."""
    from offline_cache.catalog_store import LAYOUT

    url = f"{server.url}/api/v1/catalog/store"
    t0 = time.perf_counter()
    while True:
        with requests.get(url, params={"layout": LAYOUT}, stream=True, timeout=30) as resp:
            if resp.status_code == 200:
                break
            if resp.status_code != 404 or time.perf_counter() - t0 > 600:
                raise SystemExit(f"GET /catalog/store: {resp.status_code} {resp.text[:300]}")
        time.sleep(0.2)
    waited = time.perf_counter() - t0
    return waited, json.loads((server.data_dir / "catalog-store" / "current.json").read_text())


def delta_ms(home: Path, url: str) -> tuple[float, int]:
    """The running kiosk's catalog pull for a small change, in-process (no interpreter start)."""
    from offline_cache.catalog import Catalog
    from offline_cache.client import HallClient
    from offline_cache.store import LocalStore

    store = LocalStore(home / "kiosk.db")
    client = HallClient(url)
    try:
        t0 = time.perf_counter()
        applied = Catalog(store).pull(client)
        return (time.perf_counter() - t0) * 1000, applied
    finally:
        client.close()
        store.close()


def first_sync(env: dict[str, str], count: int) -> tuple[float, float, str, float]:
    sync = run_rss([sys.executable, "-m", "kiosk", "sync", "--json"], env=env)
    result = json.loads(sync[2])
    if result["error"] or result["pulled"] != count:
        raise SystemExit(f"kiosk sync: {result}")
    return sync


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=1000, help="baseline page size")
    parser.add_argument("--profile", help="also run `kiosk sync` under py-spy, SVG into DIR")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_sync_"))
    server = None
    try:
        server = start_server_process(tmp / "server", demo=False)
        cli = KioskCli(tmp / "kiosk")
        cli.provision(server.url, server.enroll_code(), "BENCH-SYNC")  # empty catalog: quick
        fresh = tmp / "fresh"
        shutil.copytree(cli.home, fresh)
        source = tmp / "catalog.jsonl"
        write_catalog(source, args.count)
        t0 = time.perf_counter()
        import_on(server, source)
        imported = time.perf_counter() - t0
        load = Path("/proc/loadavg").read_text().split()[0]

        base_db = tmp / "baseline.db"
        base = run_rss([sys.executable, "-c", BASELINE, server.url, str(base_db),
                        str(args.page)])
        base_bytes = base_db.stat().st_size
        copied_home = tmp / "copied"
        shutil.copytree(fresh, copied_home)
        env = {**cli.env, "KIOSK_HOME": str(cli.home)}
        sync = first_sync(env, args.count)  # the JSON Lines snapshot (no store built)
        kiosk_bytes = store_bytes(cli.home)

        server.env["KIOSK_SERVER_CATALOG_STORE_BUILD"] = "true"
        server.restart()  # same port and data, now building the catalog store
        waited, built = server_build(server)
        copied = first_sync({**env, "KIOSK_HOME": str(copied_home)}, args.count)
        copied_bytes = store_bytes(copied_home)
        file_bytes = (server.data_dir / "catalog-store" / built["name"]).stat().st_size
        if args.profile:
            out = Path(args.profile) / "bench_sync.svg"
            out.parent.mkdir(parents=True, exist_ok=True)
            pyspy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
            run_rss([pyspy, "record", "-o", str(out), "-r", "50", "--", sys.executable, "-m",
                     "kiosk", "sync", "--json"], env={**env, "KIOSK_HOME": str(fresh)})
            print(f"profile: {out}")

        write_catalog(source, args.count, changed=100)
        import_on(server, source)
        ms, applied = delta_ms(cli.home, server.url)
    finally:
        if server:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    n = args.count
    print(f"catalog: {n} items (server import {imported:.1f} s); load average {load}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"{'run':<46}{'seconds':>9}{'CPU s':>8}{'peak RSS MiB':>14}{'bytes/item':>12}")
    print(f"{'baseline: requests + json + sqlite3 (code, doc)':<46}{base[0]:>9.2f}{base[3]:>8.2f}"
          f"{base[1]:>14.0f}{base_bytes / n:>12.0f}")
    print(f"{'kiosk sync, JSON Lines (fresh kiosk)':<46}{sync[0]:>9.2f}{sync[3]:>8.2f}{sync[1]:>14.0f}"
          f"{kiosk_bytes / n:>12.0f}")
    print(f"{'ratio kiosk ÷ baseline':<46}{sync[0] / base[0]:>9.2f}{sync[3] / base[3]:>8.2f}"
          f"{sync[1] / base[1]:>14.2f}{kiosk_bytes / base_bytes:>12.2f}")
    print(f"{'kiosk sync, server-built store (fresh kiosk)':<46}{copied[0]:>9.2f}"
          f"{copied[3]:>8.2f}{copied[1]:>14.0f}{copied_bytes / n:>12.0f}")
    print(f"{'ratio store ÷ baseline':<46}{copied[0] / base[0]:>9.2f}{copied[3] / base[3]:>8.2f}"
          f"{copied[1] / base[1]:>14.2f}{copied_bytes / base_bytes:>12.2f}")
    print(f"{'ratio store ÷ JSON Lines':<46}{copied[0] / sync[0]:>9.2f}{copied[3] / sync[3]:>8.2f}"
          f"{copied[1] / sync[1]:>14.2f}{copied_bytes / kiosk_bytes:>12.2f}")
    print(f"server build (once per catalog version): {built['seconds']:.2f} s wall in the server "
          f"(first ask to file served {waited:.2f} s), {built['items']} items, file "
          f"{file_bytes / 2**20:.0f} MiB ({file_bytes / n:.0f} bytes/item)")
    print(f"delta: {applied} changes pulled in {ms:.0f} ms (in-process Catalog.pull)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
