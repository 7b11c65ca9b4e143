"""`kiosk serve --workers N` (issue 17): several processes on PostgreSQL keep numbers unique,
events flowing to every process's streams, and rate limits shared; SQLite refuses it."""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path

import pytest
import requests

from tests.support.server import _enroll, isolated_settings, start_server_process

SERVICES = '[[service]]\ncode = "A"\nname = "综合受理"\nprefix = "A"\n'
TICKETS = 24


def test_sqlite_refuses_more_than_one_worker(tmp_path: Path) -> None:
    from common.errors import USAGE, KioskError
    from hall_server.runner import serve_workers

    with pytest.raises(KioskError) as refused:
        serve_workers(isolated_settings(tmp_path), 2, announce=print, data_dir=tmp_path / "d")
    assert refused.value.error == USAGE and "needs PostgreSQL" in str(refused.value)


def _children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _read_waiting_events(resp: requests.Response, want: int, out: list[str]) -> None:
    for line in resp.iter_lines(decode_unicode=True):
        if line and line.startswith("data:"):
            event = json.loads(line[5:])
            if event.get("to") == "waiting":
                out.append(event["number"])
                if len(out) >= want:
                    return


@pytest.mark.postgres
def test_two_workers_unique_numbers_and_events(tmp_path: Path, pg_url: str) -> None:
    server = start_server_process(
        tmp_path / "hall", demo=False, db_url=pg_url, env={"KIOSK_SERVER_WORKERS": "2"}
    )
    try:
        assert len(_children(server.proc.pid)) == 2
        from hall_server.admin import import_services_file, new_enroll_code

        settings = isolated_settings(tmp_path)  # in this process: no `kiosk admin` start-ups
        (tmp_path / "services.toml").write_text(SERVICES, encoding="utf-8")
        import_services_file(settings, tmp_path / "services.toml", db_url=pg_url)
        code = new_enroll_code(settings, "kiosk", db_url=pg_url)["code"]
        token = _enroll(server.url, code, "kiosk", "K1")["token"]
        api = f"{server.url}/api/v1"
        # several streams, so some are on each worker: every one must see every ticket
        streams = [requests.get(f"{api}/events", stream=True, timeout=30) for _ in range(4)]
        seen: list[list[str]] = [[] for _ in streams]
        readers = [
            threading.Thread(target=_read_waiting_events, args=(s, TICKETS, out), daemon=True)
            for s, out in zip(streams, seen, strict=True)
        ]
        for reader in readers:
            reader.start()
        numbers: list[str] = []
        lock = threading.Lock()

        def take(count: int) -> None:
            with requests.Session() as session:
                for _ in range(count):
                    resp = session.post(
                        f"{api}/queue/tickets", json={"service": "A"}, timeout=30,
                        headers={"Authorization": f"Bearer {token}",
                                 "Idempotency-Key": str(uuid.uuid4())},
                    )
                    assert resp.status_code == 201, resp.text
                    with lock:
                        numbers.append(resp.json()["number"])

        takers = [threading.Thread(target=take, args=(TICKETS // 4,)) for _ in range(4)]
        for t in takers:
            t.start()
        for t in takers:
            t.join()
        assert sorted(numbers) == [f"A{n:03d}" for n in range(1, TICKETS + 1)]
        for reader, out in zip(readers, seen, strict=True):
            reader.join(20)
            assert sorted(out) == sorted(numbers)
        for s in streams:
            s.close()
    finally:
        assert server.stop() == 0


@pytest.mark.postgres
def test_rate_limit_shared_between_processes(tmp_path: Path, pg_url: str) -> None:
    from hall_server.admin import open_database
    from hall_server.ratelimit import DbWindow, shared_window

    settings = isolated_settings(tmp_path)
    first = open_database(settings, db_url=pg_url)
    second = open_database(settings, db_url=pg_url)  # as another worker process would
    try:
        a = shared_window(first, "lookup", 2, 60.0)
        b = shared_window(second, "lookup", 2, 60.0)
        assert isinstance(a, DbWindow)
        assert a.hit("dev-1") is None and b.hit("dev-1") is None
        wait = a.hit("dev-1")
        assert wait is not None and 0 < wait <= 60
        assert b.blocked_for("dev-1") is not None
        assert b.hit("dev-2") is None  # per key
        b.record("dev-3")
        b.record("dev-3")
        assert a.blocked_for("dev-3") is not None
    finally:
        first.dispose()
        second.dispose()
