"""Hall server under many kiosks: ticket issue over loopback HTTP against a plain baseline
measured in the same run (issue 17). Replaces bench_ticket_server.py.

For each database (SQLite WAL+FULL, and PostgreSQL when --pg URL or KIOSK_TEST_PG_URL is set)
it starts `kiosk serve` and bench/server_baseline.py (a bare FastAPI endpoint doing the same
transaction) on fresh databases, then runs:
- closed loop with wrk: 8, 50, 200 kiosks (connections) sending tickets back to back;
- open loop: 200 kiosks offering 100 and 200 tickets/s at paced times;
- the mix: 200 tickets/s plus every kiosk's heartbeat and catalog poll every 5 s, at once;
- PostgreSQL only: the closed loop at 50 kiosks with `--workers 2`.
After every run it checks the database for duplicate numbers. Targets: closed-loop throughput
>= 0.8x the baseline; p99 <= 50 ms at 200 tickets/s.

    .venv/bin/python bench/bench_server.py [--seconds 10] [--sqlite-only] [--pg URL]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import loadgen  # noqa: E402
from pg_scratch import drop_pg_database, fresh_pg_database, libpq  # noqa: E402

from tests.support.server import start_server_process  # noqa: E402

SERVICES = "".join(
    f'[[service]]\ncode = "{c}"\nname = "业务{c}"\nprefix = "{c}"\n\n' for c in loadgen.SERVICES
)
KIOSK_TOKENS = 8  # devices enrolled; connections take turns with their tokens
TARGET_RATIO, TARGET_P99_MS = 0.8, 50.0
RUNS = frozenset({"closed", "open", "mix", "workers"})


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children still running (the workers of
    `kiosk serve --workers N`): on a loaded machine, CPU per ticket is the steadier number."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for p in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def measured(pid: int, run: Callable[..., loadgen.Result], *args: object) -> loadgen.Result:
    """run(*args); the server's CPU ms per answered ticket goes in result.extra."""
    before = cpu_seconds(pid)
    result = run(*args)
    result.extra["cpu_ms"] = (cpu_seconds(pid) - before) * 1000 / max(result.ok, 1)
    return result


class Baseline:
    """bench/server_baseline.py in its own process."""

    def __init__(self, db_url: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(REPO / "bench" / "server_baseline.py"), db_url],
            stdout=subprocess.PIPE, text=True, cwd=REPO,
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith("serving on "):
            self.stop()
            raise RuntimeError("baseline did not start")
        self.url = line.split()[-1]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(15)


def duplicates(query: Callable[[str], int], number_cols: str, seq_cols: str) -> int:
    """Numbers given twice in one day, by number and by the daily counter value."""
    dup = "SELECT count(*) FROM (SELECT 1 FROM tickets {w} GROUP BY {c} HAVING count(*) > 1) d"
    return query(dup.format(w="", c=number_cols)) + query(
        dup.format(w="WHERE seq IS NOT NULL", c=seq_cols)
    )


def sqlite_query(path: Path) -> Callable[[str], int]:
    def run(sql: str) -> int:
        with sqlite3.connect(path) as conn:
            return conn.execute(sql).fetchone()[0]

    return run


def pg_query(url: str) -> Callable[[str], int]:
    import psycopg

    def run(sql: str) -> int:
        with psycopg.connect(libpq(url)) as conn:
            return conn.execute(sql).fetchone()[0]

    return run


class Target:
    """Ours and the baseline on one kind of database."""

    def __init__(self, name: str, tmp: Path, pg_url: str | None, workers: int = 1) -> None:
        self.name, self.tmp, self.pg_url = name, tmp, pg_url
        self.databases: list[str] = []
        ours_db = self._database("ours") if pg_url else None
        env = {"KIOSK_SERVER_WORKERS": str(workers)}
        self.ours = start_server_process(tmp / "ours", demo=False, db_url=ours_db, env=env)
        (tmp / "services.toml").write_text(SERVICES, encoding="utf-8")
        self.ours.admin("import-services", str(tmp / "services.toml"))
        self.tokens = [self.ours.enroll("kiosk", f"K{i}")["token"] for i in range(KIOSK_TOKENS)]
        base_db = self._database("base") if pg_url else f"sqlite:///{tmp / 'baseline.sqlite3'}"
        self.baseline = Baseline(base_db)
        if pg_url:
            self.ours_dups = lambda: duplicates(
                pg_query(ours_db), "business_date, number", "service, business_date, seq")
            self.base_dups = lambda: duplicates(pg_query(base_db), "day, number", "service, day, seq")
        else:
            ours_file = self.ours.data_dir / "hall.sqlite3"
            self.ours_dups = lambda: duplicates(
                sqlite_query(ours_file), "business_date, number", "service, business_date, seq")
            self.base_dups = lambda: duplicates(
                sqlite_query(tmp / "baseline.sqlite3"), "day, number", "service, day, seq")

    def _database(self, role: str) -> str:
        name = f"bench_server_{os.getpid()}_{role}"
        self.databases.append(name)
        return fresh_pg_database(self.pg_url, name)

    def close(self) -> None:
        errors = [line for line in self.ours.log().splitlines() if '"level": "error"' in line]
        if errors:
            print(f"  server log: {len(errors)} errors, first: {errors[0][:300]}", flush=True)
        self.ours.stop()
        self.baseline.stop()
        for name in self.databases:
            drop_pg_database(self.pg_url, name)


def _fmt(r: loadgen.Result) -> str:
    cpu = f", {r.extra['cpu_ms']:.1f} CPU ms/t" if "cpu_ms" in r.extra else ""
    return f"{r.rate:.0f}/s p50 {r.p50_ms:.1f} p99 {r.p99_ms:.1f} ms{cpu}"


def run_target(target: Target, seconds: float, rows: list[list[str]],
               only: frozenset[str] = RUNS) -> None:
    url_b, url_o = target.baseline.url, target.ours.url
    pid_b, pid_o = target.baseline.proc.pid, target.ours.proc.pid
    checks: list[str] = []

    def record(label: str, base: loadgen.Result | None, ours: loadgen.Result, ratio: str,
               load: str, note: str = "") -> None:
        dups = f"{target.base_dups()}/{target.ours_dups()}"
        errors = f"{base.errors if base else '-'}/{ours.errors}"
        rows.append([target.name, label, _fmt(base) if base else "-", _fmt(ours), ratio, dups,
                     errors, load, note])
        print("  " + " | ".join(rows[-1]), flush=True)
        checks.append(dups)

    for kiosks in (8, 50, 200) if "closed" in only else ():
        load = loadavg()
        base = measured(pid_b, loadgen.closed_loop, url_b, target.tokens, kiosks, seconds)
        ours = measured(pid_o, loadgen.closed_loop, url_o, target.tokens, kiosks, seconds)
        ratio = ours.rate / base.rate if base.rate else 0
        cpu = base.extra["cpu_ms"] / ours.extra["cpu_ms"] if ours.extra["cpu_ms"] else 0
        record(f"closed, {kiosks} kiosks", base, ours, f"{ratio:.2f}x thr, {cpu:.2f}x CPU",
               load)
    for rate in (100, 200) if "open" in only else ():
        load = loadavg()
        base = measured(pid_b, loadgen.open_loop, url_b, target.tokens, rate, seconds)
        ours = measured(pid_o, loadgen.open_loop, url_o, target.tokens, rate, seconds)
        ratio = ours.p99_ms / base.p99_ms if base.p99_ms else 0
        record(f"open, {rate}/s, 200 kiosks", base, ours, f"{ratio:.1f}x p99", load)
    if "mix" not in only:
        return
    load = loadavg()
    ours = loadgen.open_loop(url_o, target.tokens, 200, seconds, background=True)
    e = ours.extra
    note = (f"{e['heartbeats']} heartbeats p99 {e['heartbeat_p99_ms']:.0f} ms, {e['polls']} "
            f"polls p99 {e['poll_p99_ms']:.0f} ms, {e['side_errors']} errors")
    record("mix, 200/s + beats/polls", None, ours, "-", load, note)


def run_workers(pg_url: str, tmp: Path, seconds: float, rows: list[list[str]]) -> None:
    """1 vs 2 server processes, closed loop at 50 kiosks, on PostgreSQL."""
    results = {}
    for workers in (1, 2):
        target = Target(f"PostgreSQL x{workers}", tmp / f"w{workers}", pg_url, workers=workers)
        try:
            load = loadavg()
            results[workers] = r = measured(
                target.ours.proc.pid, loadgen.closed_loop, target.ours.url, target.tokens, 50,
                seconds,
            )
            ratio = f"{r.rate / results[1].rate:.2f}x x1" if workers == 2 else "-"
            rows.append([target.name, "closed, 50 kiosks", "-", _fmt(r), ratio,
                         f"-/{target.ours_dups()}", f"-/{r.errors}", load, ""])
            print("  " + " | ".join(rows[-1]), flush=True)
        finally:
            target.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each run")
    parser.add_argument("--pg", default=os.environ.get("KIOSK_TEST_PG_URL"),
                        help="PostgreSQL URL (a bench_server_<pid>_* database is made there)")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--pg-only", action="store_true")
    parser.add_argument("--only", action="append", choices=sorted(RUNS),
                        help="run only these kinds of run (repeatable); all by default")
    args = parser.parse_args()
    only = frozenset(args.only or RUNS)
    if missing := loadgen.wrk_missing():
        sys.exit(missing)
    rows: list[list[str]] = []
    plan = [] if args.pg_only else [("SQLite", None)]
    if args.pg and not args.sqlite_only:
        plan.append(("PostgreSQL", args.pg))
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for name, url in plan:
            print(f"{name} …", flush=True)
            target = Target(name, tmp / name, url)
            try:
                run_target(target, args.seconds, rows, only)
            finally:
                target.close()
        if args.pg and not args.sqlite_only and "workers" in only:
            run_workers(args.pg, tmp, args.seconds, rows)
    head = ["database", "run", "baseline", "ours", "ratio", "dups b/o", "errors b/o", "load",
            "note"]
    print("\n| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    bad = [r for r in rows if r[5].split("/")[-1] not in ("0",) or r[5].split("/")[0] not in
           ("0", "-")]
    if bad:
        sys.exit(f"DUPLICATE NUMBERS in {len(bad)} runs")


if __name__ == "__main__":
    main()
