"""No duplicate numbers under concurrent requests, and one ticket per key, on SQLite and
PostgreSQL, against `kiosk serve` in its own process (FIELD_NOTES §5, NovoSGA #290)."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support.server import start_server_process

from .conftest import DATA

N = 50


@pytest.fixture
def served(tmp_path, db_url):
    server = start_server_process(tmp_path / "srv", demo=False, db_url=db_url)
    server.admin("import-services", str(DATA / "services.toml"))
    yield server
    server.stop()


def fire(url: str, token: str, keys: list[str], service: str = "ZH") -> list[requests.Response]:
    barrier = threading.Barrier(len(keys))

    def one(key: str) -> requests.Response:
        with requests.Session() as session:
            session.get(f"{url}/api/v1/health", timeout=10)  # open the connection first
            barrier.wait(timeout=30)
            return session.post(
                f"{url}/api/v1/queue/tickets",
                json={"service": service},
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
                timeout=60,
            )

    with ThreadPoolExecutor(len(keys)) as pool:
        return list(pool.map(one, keys))


def test_parallel_requests(served):
    """One server per database, three bursts of 50 (resp. 20) simultaneous requests."""
    token = served.enroll("kiosk", "K-load")["token"]

    # distinct keys → distinct, gap-free numbers and consistent positions
    responses = fire(served.url, token, [str(uuid.uuid4()) for _ in range(N)])
    assert [r.status_code for r in responses] == [201] * N, [r.text for r in responses][:3]
    numbers = sorted(r.json()["number"] for r in responses)
    assert numbers == [f"A{i:03d}" for i in range(1, N + 1)]
    assert len({r.json()["id"] for r in responses}) == N
    assert sorted(r.json()["people_ahead"] for r in responses) == list(range(N))
    services = requests.get(f"{served.url}/api/v1/queue/services", timeout=10).json()
    zh = next(s for s in services["services"] if s["code"] == "ZH")
    assert zh["waiting"] == N and zh["issued_today"] == N

    # one key sent 50 times at once → one ticket: one 201, the rest 200 with the same ticket
    key = str(uuid.uuid4())
    responses = fire(served.url, token, [key] * N, service="GJJ")
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * (N - 1) + [201], statuses
    assert len({r.json()["id"] for r in responses}) == 1
    assert {r.json()["number"] for r in responses} == {"D001"}
    after = requests.post(
        f"{served.url}/api/v1/queue/tickets",
        json={"service": "GJJ"},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
        timeout=10,
    )
    assert after.json()["number"] == "D002"

    # the daily cap (3) holds under a burst of 20
    responses = fire(served.url, token, [str(uuid.uuid4()) for _ in range(20)], service="SB")
    ok = [r for r in responses if r.status_code == 201]
    refused = [r for r in responses if r.status_code == 409]
    assert len(ok) == 3 and len(refused) == 17
    assert sorted(r.json()["number"] for r in ok) == ["B001", "B002", "B003"]
    assert {r.json()["error"]["code"] for r in refused} == {"E-QUE-03"}


def test_tickets_survive_a_kill_and_numbering_continues(served):
    token = served.enroll("kiosk", "K-crash")["token"]
    headers = {"Authorization": f"Bearer {token}"}
    first = requests.post(
        f"{served.url}/api/v1/queue/tickets",
        json={"service": "ZH"},
        headers={**headers, "Idempotency-Key": "k-1"},
        timeout=10,
    ).json()
    served.kill()  # no graceful shutdown
    port = served.port
    served.start()
    assert served.port == port
    replay = requests.post(
        f"{served.url}/api/v1/queue/tickets",
        json={"service": "ZH"},
        headers={**headers, "Idempotency-Key": "k-1"},
        timeout=10,
    )
    assert replay.status_code == 200 and replay.json()["id"] == first["id"]
    nxt = requests.post(
        f"{served.url}/api/v1/queue/tickets",
        json={"service": "ZH"},
        headers={**headers, "Idempotency-Key": "k-2"},
        timeout=10,
    ).json()
    assert nxt["number"] == "A002"
