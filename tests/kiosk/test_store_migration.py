"""Stores frozen at earlier schemas open with today's code: migrated forward, searchable, and
their pending outbox still delivers. v1 (tests/fixtures/stores/v1) was made once by make_v1.py;
v3 is that v1 store opened by the v3 code (commit 1374d1f), with v3's search index layout; v4
the same by the v4 code (commit f5e4827)."""

import shutil
import sqlite3

import pytest

from common.errors import KioskError
from common.settings import load_settings
from kiosk.core import KioskCore
from offline_cache.store import SCHEMA_VERSION, LocalStore
from tests.support.kiosk_cli import KioskCli
from tests.support.server import start_server_process

FIXTURES = __import__("pathlib").Path(__file__).resolve().parents[1] / "fixtures" / "stores"
FROZEN = ["v1", "v3", "v4", "v6"]


V1_KEYS = ["11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222",
           "33333333-3333-4333-8333-333333333333"]


def _home(tmp_path, frozen):
    home = tmp_path / "kiosk"
    shutil.copytree(FIXTURES / frozen, home)
    (home / "device.key").chmod(0o600)
    (home / "make_v1.py").unlink(missing_ok=True)
    return home


@pytest.mark.parametrize("frozen", FROZEN)
def test_frozen_store_is_migrated_and_searchable(tmp_path, frozen):
    home = _home(tmp_path, frozen)
    core = KioskCore(load_settings(environ={"KIOSK_HOME": str(home)}), home)
    try:
        version = core.store.query("PRAGMA user_version")[0]["user_version"]
        assert version == SCHEMA_VERSION > 3
        columns = {r["name"] for r in core.store.query("PRAGMA table_info(search_term)")}
        assert {"aliases", "alias_keys", "alias_json"} <= columns  # today's index layout
        assert [r.code for r in core.search("营业执照")] == ["SCJG-0013"]  # alias, via the new index
        assert [r.code for r in core.search("shbzk")] == ["RS-0001"]  # pinyin initials prefix
        assert [r.code for r in core.search("身")][:1] == ["GA-0001"]  # 1-char substring
        pending = core.outbox.list(("pending",))
        assert {r["kind"] for r in pending} == {"ticket", "application"}
        bodies = [core.outbox.body_of(core.outbox.get(r["key"])) for r in pending]
        assert any(b.get("offline_number") == "A-K9-001" for b in bodies)
    finally:
        core.close()


@pytest.mark.parametrize("frozen", FROZEN)
def test_frozen_outbox_delivers_after_enrolment(tmp_path, frozen):
    home = _home(tmp_path, frozen)
    server = start_server_process(tmp_path / "server", demo=True)
    try:
        KioskCli(home).provision(server.url, server.enroll_code(role="kiosk"), "OLD-K9")
        core = KioskCore(load_settings(environ={"KIOSK_HOME": str(home)}), home)
        try:
            states = {k: core.outbox.get(k)["state"] for k in V1_KEYS}
        finally:
            core.close()
        assert states == {V1_KEYS[0]: "sent",  # the offline ticket, delivered
                          V1_KEYS[1]: "refused",  # a half-filled v1 form: refused, kept
                          V1_KEYS[2]: "sent"}  # already sent in v1: not sent again
        server.stop()
        hall = sqlite3.connect(server.data_dir / "hall.sqlite3")
        assert hall.execute("SELECT COUNT(*) FROM tickets WHERE number = 'A-K9-001'").fetchone() == (1,)
    finally:
        server.stop()


def test_a_store_newer_than_the_software_is_refused(tmp_path):
    path = tmp_path / "kiosk.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(KioskError) as info:
        LocalStore(path)
    assert info.value.code == "E-STO-02"
