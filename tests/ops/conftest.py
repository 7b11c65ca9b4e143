"""Fixtures for technician / fleet tests: one `kiosk serve --demo` process for the whole
directory (real HTTP on loopback; tests that stop it restart it on the same port and data),
kiosks provisioned through the real CLI, an admin token for the API."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.support.kiosk_cli import KioskCli
from tests.support.server import start_server_process


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    srv = start_server_process(tmp_path_factory.mktemp("hall"), demo=True)
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def admin_token(server) -> str:
    return server.enroll("admin", "ops-admin")["token"]


def provisioned(server, home: Path, name: str, *extra: str, env: dict | None = None) -> KioskCli:
    cli = KioskCli(home, env=env)
    cli.json(
        "provision",
        "--server",
        server.url,
        "--code",
        server.enroll_code(),
        "--name",
        name,
        "--hardware",
        "sim",
        "--noinput",
        *extra,
    )
    return cli


def api_get(server, token: str, path: str, **kw) -> requests.Response:
    return requests.get(
        f"{server.url}/api/v1{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10, **kw
    )
