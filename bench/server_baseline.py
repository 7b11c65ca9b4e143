"""The plain baseline of bench_server.py: a bare FastAPI endpoint doing what the hall server's
ticket route does, on the same stack (uvicorn, a sync route in the thread pool).

One transaction per ticket: bump the (service, day) counter row, claim the Idempotency-Key
(UNIQUE), insert the ticket and its event row, COMMIT. SQLite: WAL + synchronous=FULL, one
Python lock in front of BEGIN IMMEDIATE (as ours); PostgreSQL: psycopg, one connection per
thread. A replayed key returns the stored ticket.

    python bench/server_baseline.py sqlite:///path.db | postgresql://…   # prints "serving on URL"
"""

from __future__ import annotations

import contextlib
import json
import socket
import sqlite3
import sys
import threading
import uuid
from datetime import date

import uvicorn
from fastapi import FastAPI, Header, Response
from pydantic import BaseModel, Field

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS counters (service TEXT, day TEXT, n INTEGER NOT NULL,"
    " PRIMARY KEY (service, day))",
    "CREATE TABLE IF NOT EXISTS idem (device TEXT, key TEXT, response TEXT,"
    " PRIMARY KEY (device, key))",
    "CREATE TABLE IF NOT EXISTS tickets (id TEXT PRIMARY KEY, service TEXT, day TEXT,"
    " seq INTEGER, number TEXT, UNIQUE (day, number))",
    "CREATE TABLE IF NOT EXISTS events (ticket TEXT, state TEXT, at TEXT)",
]
BUMP = (
    "INSERT INTO counters (service, day, n) VALUES ({p}, {p}, 1) ON CONFLICT (service, day)"
    " DO UPDATE SET n = counters.n + 1 RETURNING n"
)


class TicketRequest(BaseModel):
    service: str = Field(min_length=1, max_length=32)


class Store:
    def __init__(self, url: str) -> None:
        self.sqlite = url.startswith("sqlite")
        self.url = url.split("///", 1)[1] if self.sqlite else url.replace("+psycopg", "")
        self.p = "?" if self.sqlite else "%s"
        self.lock = threading.Lock() if self.sqlite else contextlib.nullcontext()
        self.local = threading.local()
        with self.lock:
            conn = self.conn()
            self._begin(conn)
            for stmt in SCHEMA:
                conn.execute(stmt)
            conn.commit()

    def conn(self):
        conn = getattr(self.local, "conn", None)
        if conn is None:
            if self.sqlite:
                conn = sqlite3.connect(self.url, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
                conn.execute("PRAGMA busy_timeout=30000")
            else:
                import psycopg

                conn = psycopg.connect(self.url)
            self.local.conn = conn
        return conn

    def _begin(self, conn) -> None:
        if self.sqlite:
            conn.execute("BEGIN IMMEDIATE")

    def issue(self, device: str, key: str, service: str) -> tuple[int, dict]:
        p, day = self.p, date.today().isoformat()
        with self.lock:
            conn = self.conn()
            self._begin(conn)
            try:
                row = conn.execute(
                    f"SELECT response FROM idem WHERE device={p} AND key={p}", (device, key)
                ).fetchone()
                if row is not None:
                    conn.commit()
                    return 200, json.loads(row[0])
                n = conn.execute(BUMP.format(p=p), (service, day)).fetchone()[0]
                ticket = {"id": str(uuid.uuid4()), "number": f"{service}{n:03d}", "service": service}
                conn.execute(
                    f"INSERT INTO idem VALUES ({p},{p},{p})", (device, key, json.dumps(ticket))
                )
                conn.execute(
                    f"INSERT INTO tickets VALUES ({p},{p},{p},{p},{p})",
                    (ticket["id"], service, day, n, ticket["number"]),
                )
                conn.execute(
                    f"INSERT INTO events VALUES ({p},'waiting',{p})", (ticket["id"], day)
                )
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
        return 201, ticket


def create_app(url: str) -> FastAPI:
    store = Store(url)
    app = FastAPI()

    @app.post("/api/v1/queue/tickets", status_code=201)
    def take_ticket(
        body: TicketRequest,
        response: Response,
        authorization: str = Header(""),
        idempotency_key: str = Header(...),
    ) -> dict:
        status, ticket = store.issue(authorization[-16:], idempotency_key, body.service)
        response.status_code = status
        return ticket

    return app


def main() -> None:
    app = create_app(sys.argv[1])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    print(f"serving on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
