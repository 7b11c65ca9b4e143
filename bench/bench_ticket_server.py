"""Hall server ticket benchmark over loopback: `kiosk serve` in its own process, real HTTP.

Prints one table per database: latency of GET /health (the baseline: HTTP + framework, no
database) against ticket issue by one kiosk, a replayed key, several kiosks at once, and the
throughput of POST /sync/push batches. Target: ticket p99 <= 50 ms for one kiosk; batch push
>= 500 records/s on SQLite.

    .venv/bin/python bench/bench_ticket_server.py [--n 500] [--kiosks 8] [--db URL]

With KIOSK_TEST_PG_URL set (or --db), PostgreSQL is measured after SQLite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.server import start_server_process  # noqa: E402

SERVICES = """
[[service]]
code = "A"
name = "综合受理"
prefix = "A"

[[service]]
code = "B"
name = "批量"
prefix = "B"

[[service]]
code = "C"
name = "并发"
prefix = "C"
"""


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return statistics.median(ordered), pick(0.99), ordered[-1]


def latency(samples: list[float]) -> str:
    p50, p99, worst = percentiles(samples)
    return f"p50 {p50:.2f}  p99 {p99:.2f}  max {worst:.2f} ms"


def timed(fn, n: int, warmup: int = 20) -> list[float]:
    for i in range(warmup):
        fn(-1 - i)
    out = []
    for i in range(n):
        start = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - start) * 1000)
    return out


def run(db_url: str | None, n: int, kiosks: int) -> list[tuple[str, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        server = start_server_process(tmp_path, demo=False, db_url=db_url)
        try:
            (tmp_path / "services.toml").write_text(SERVICES, encoding="utf-8")
            server.admin("import-services", str(tmp_path / "services.toml"))
            tokens = [server.enroll("kiosk", f"K{i}")["token"] for i in range(kiosks)]
            url = server.url + "/api/v1"
            session = requests.Session()
            auth = {"Authorization": f"Bearer {tokens[0]}"}
            rows: list[tuple[str, str]] = []

            health = timed(lambda i: session.get(f"{url}/health"), n)
            rows.append(("GET /health (baseline)", latency(health)))

            def ticket(i: int) -> None:
                resp = session.post(
                    f"{url}/queue/tickets",
                    json={"service": "A"},
                    headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
                )
                if resp.status_code != 201:
                    raise RuntimeError(resp.text)

            issue = timed(ticket, n)
            rows.append(("ticket issue, 1 kiosk", latency(issue)))

            replay_key = str(uuid.uuid4())
            replay = timed(
                lambda i: session.post(
                    f"{url}/queue/tickets",
                    json={"service": "A"},
                    headers={**auth, "Idempotency-Key": replay_key},
                ),
                n,
            )
            rows.append(
                (
                    "ticket replay (same key)",
                    latency(replay),
                )
            )

            per_kiosk = max(1, n // kiosks)
            lat: list[float] = []
            lock = threading.Lock()

            def kiosk_loop(token: str) -> None:
                with requests.Session() as s:
                    headers = {"Authorization": f"Bearer {token}"}
                    mine = []
                    for _ in range(per_kiosk):
                        start = time.perf_counter()
                        s.post(
                            f"{url}/queue/tickets",
                            json={"service": "C"},
                            headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
                        )
                        mine.append((time.perf_counter() - start) * 1000)
                    with lock:
                        lat.extend(mine)

            threads = [threading.Thread(target=kiosk_loop, args=(t,)) for t in tokens]
            start = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - start
            rows.append(
                (
                    f"ticket issue, {kiosks} kiosks at once",
                    latency(lat) + f"  ({len(lat) / wall:.0f}/s)",
                )
            )

            rates = []
            for _ in range(3):
                records = [
                    {"key": str(uuid.uuid4()), "kind": "ticket", "body": {"service": "B"}}
                    for _ in range(500)
                ]
                start = time.perf_counter()
                resp = session.post(
                    f"{url}/sync/push", json={"records": records}, headers=auth, timeout=120
                )
                elapsed = time.perf_counter() - start
                if resp.status_code != 200 or any(
                    r["status"] != 201 for r in resp.json()["results"]
                ):
                    raise RuntimeError(resp.text[:500])
                rates.append(500 / elapsed)
            rows.append(
                (
                    "sync/push, 3 batches of 500",
                    f"min {min(rates):.0f}  median {statistics.median(rates):.0f} records/s",
                )
            )
            numbers = session.get(f"{url}/queue/services").json()["services"]
            issued = {s["code"]: s["issued_today"] for s in numbers}
            rows.append(
                ("tickets issued (A, B, C)", f"{issued['A']}, {issued['B']}, {issued['C']}")
            )
            return rows
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="requests per sequential row")
    parser.add_argument("--kiosks", type=int, default=8)
    parser.add_argument(
        "--db", default=os.environ.get("KIOSK_TEST_PG_URL"), help="also measure this PostgreSQL URL"
    )
    args = parser.parse_args()
    targets: list[tuple[str, str | None]] = [("SQLite (WAL, synchronous=FULL)", None)]
    if args.db:
        targets.append(("PostgreSQL", args.db))
    for name, url in targets:
        schema = None
        if url:  # a fresh schema so repeated runs start from empty counters; dropped after
            url, schema = _fresh_pg_schema(url)
        try:
            rows = run(url, args.n, args.kiosks)
        finally:
            if schema:
                _drop_pg_schema(args.db, schema)
        print(f"\n{name}")
        width = max(len(r[0]) for r in rows)
        for label, value in rows:
            print(f"  {label:<{width}}  {value}")


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _fresh_pg_schema(url: str) -> tuple[str, str]:
    import psycopg
    from sqlalchemy.engine import make_url

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return scoped.render_as_string(hide_password=False), schema


def _drop_pg_schema(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


if __name__ == "__main__":
    main()
