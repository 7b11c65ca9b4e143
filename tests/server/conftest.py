"""Fixtures for hall server tests: an in-thread server with a small fixture hall loaded
(tests/server/data), a settable clock, and enrolled devices of each role."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.support.server import Api, start_server_thread

DATA = Path(__file__).parent / "data"
HALL_TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2025, 3, 14, 10, 0, tzinfo=HALL_TZ)  # a Friday morning in the hall
HOLDER_LIMIT = 2
LOOKUPS_PER_MINUTE = 5
ENROLL_ATTEMPTS = 3


@pytest.fixture
def hall(tmp_path: Path, db_url: str | None):
    from hall_server.catalog_import import import_catalog
    from hall_server.clock import SettableClock
    from hall_server.services_import import import_services

    clock = SettableClock(START)
    server = start_server_thread(
        tmp_path / "hall",
        db_url=db_url,
        clock=clock,
        reasons_path=DATA / "reasons.toml",
        forms_dir=DATA / "forms",
        overrides={
            "kiosk": {"holder_daily_limit": HOLDER_LIMIT},
            "server": {
                "lookup_rate_per_minute": LOOKUPS_PER_MINUTE,
                "enroll_attempts": ENROLL_ATTEMPTS,
            },
        },
    )
    import_services(server.database, DATA / "services.toml", clock=clock)
    import_catalog(server.database, DATA / "catalog_small.jsonl", clock=clock)
    yield server
    server.stop()


@pytest.fixture
def kiosk(hall) -> Api:
    return hall.api("kiosk", "K-test")


@pytest.fixture
def counter(hall) -> Api:
    return hall.api("counter", "C-01")


@pytest.fixture
def admin(hall) -> Api:
    return hall.api("admin", "admin-desk")


@pytest.fixture
def public(hall) -> Api:
    return Api(hall.url)
