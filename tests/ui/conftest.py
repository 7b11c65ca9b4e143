"""Fixtures of the UI tests (helpers in tests/ui/ui_support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.ui_support import Hall, KioskHome, make_kiosk_home, start_hall


@pytest.fixture(scope="session")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hall]:
    """One hall server process (demo data) for all UI tests; each test enrols its own kiosk."""
    running = start_hall(tmp_path_factory.mktemp("hall"))
    yield running
    running.server.stop()


@pytest.fixture
def kiosk(hall: Hall, tmp_path: Path) -> KioskHome:
    return make_kiosk_home(hall, tmp_path)
