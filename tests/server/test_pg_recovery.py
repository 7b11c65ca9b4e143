"""The hall server survives PostgreSQL dropping every connection (a restart, a failover)
without `pool_pre_ping`'s round trip per checkout (issue 17): idle connections are pinged at
checkout, a connection found dead mid-request invalidates the pool, and the ticket route
retries once on a fresh connection, its Idempotency-Key making the retry safe."""

from __future__ import annotations

import psycopg
import pytest

from .test_api_basics import assert_error


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("pg_url")


def drop_connections(hall) -> int:
    """What a PostgreSQL restart does to the server's pooled connections."""
    url = hall.database.engine.url.set(drivername="postgresql", query={})
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as conn:
        return conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]


def test_tickets_go_on_after_postgres_drops_every_connection(hall, kiosk, public):
    first = kiosk.ticket("ZH")
    assert first.status_code == 201
    public.get("/queue/services")  # more than one pooled connection

    hall.database.ping_idle_s = 3600.0  # no ping: the ticket meets a dead connection
    assert drop_connections(hall) >= 1
    again = kiosk.ticket("ZH")
    assert again.status_code == 201, again.text
    assert again.json()["number"] == "A002"

    key = "retry-after-restart"
    assert kiosk.ticket("ZH", key=key).status_code == 201
    hall.database.ping_idle_s = 0.0  # every checkout pings: reads survive too
    drop_connections(hall)
    assert public.get("/queue/services").status_code == 200
    replay = kiosk.ticket("ZH", key=key)
    assert replay.status_code == 200 and replay.json()["number"] == "A003"


def test_a_read_on_a_dead_connection_is_503_once(hall, kiosk, public):
    assert kiosk.ticket("ZH").status_code == 201
    hall.database.ping_idle_s = 3600.0
    drop_connections(hall)
    resp = public.get("/queue/services")
    if resp.status_code != 200:  # the pool was invalidated by this failure: next one works
        assert_error(resp, 503, "E-SRV-03")
    assert public.get("/queue/services").status_code == 200
