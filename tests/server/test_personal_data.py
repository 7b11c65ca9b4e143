"""Submitted forms are sealed at rest on the hall server (issue 15): the database holds no
name or ID number in clear, the key lives in a 0600 file outside the database, and the fields
read back with that key only."""

from __future__ import annotations

import stat
import threading

import pytest
from sqlalchemy import select

from .test_applications import FIELDS, ID, NAME, submit


def test_form_fields_are_sealed_with_the_key_file(hall, kiosk):
    from hall_server.personal import KEY_FILE, PREFIX, PersonalData
    from hall_server.schema import applications

    number = submit(kiosk)["number"]
    with hall.database.read() as conn:
        stored = conn.execute(
            select(applications.c.fields).where(applications.c.number == number)
        ).scalar_one()
    assert stored.startswith(PREFIX)
    assert NAME not in stored and ID not in stored
    key = hall.data_dir / KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert hall.ctx.personal.path == key
    assert PersonalData(key).open(stored, number) == FIELDS
    with pytest.raises(Exception):  # noqa: B017 - bound to its application number
        PersonalData(key).open(stored, "SQ-OTHER")


def test_the_sqlite_file_holds_no_personal_data_in_clear(hall, kiosk):
    if hall.db_url:
        pytest.skip("a file scan needs the SQLite database (PostgreSQL variant: see the test above)")
    for _ in range(3):
        submit(kiosk)
    hall.database.dispose()  # checkpoint the WAL into the file
    raw = b"".join(p.read_bytes() for p in hall.data_dir.glob("hall.sqlite3*"))
    for value in (NAME, ID, FIELDS["shop_name"]):
        assert value.encode() not in raw and value.encode("utf-16-le") not in raw


def test_every_server_process_gets_the_same_key(tmp_path):
    from hall_server.personal import PersonalData

    path = tmp_path / "k" / "personal-data.key"
    made: list[PersonalData] = []
    threads = [threading.Thread(target=lambda: made.append(PersonalData(path))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 8
    sealed = made[0].seal({"name": "张三"}, "N1")
    assert all(p.open(sealed, "N1") == {"name": "张三"} for p in made)


def test_fields_stored_in_clear_by_an_older_version_still_read(tmp_path):
    from hall_server.personal import PersonalData

    assert PersonalData(tmp_path / "k.key").open('{"name": "张三"}', "N1") == {"name": "张三"}


def test_closed_applications_lose_their_personal_data_after_the_retention(hall, kiosk, counter):
    """Moving the hall clock: 90 days (privacy.retention_days) after an application is closed,
    its fields and holder hash are cleared; number, item, dates and status stay."""
    from hall_server.retention import anonymise_closed
    from hall_server.schema import applications

    def row(number):
        with hall.database.read() as conn:
            return conn.execute(
                select(applications).where(applications.c.number == number)).first()

    closed = submit(kiosk, holder="a" * 64)["number"]
    still_open = submit(kiosk, holder="b" * 64)["number"]
    assert counter.patch(f"/applications/{closed}/status", {"status": "approved"}).status_code == 200
    days = hall.settings.privacy.retention_days
    assert days == 90
    hall.clock.advance((days - 1) * 86400)
    assert anonymise_closed(hall.database, now=hall.ctx.now(), days=days) == 0
    hall.clock.advance(2 * 86400)
    assert anonymise_closed(hall.database, now=hall.ctx.now(), days=days) == 1
    gone, kept = row(closed), row(still_open)
    assert gone.fields == "" and gone.holder is None
    assert gone.status == "approved" and gone.item and gone.submitted_at and gone.updated_at
    assert kept.fields.startswith("gcm1:") and kept.holder == "b" * 64
    assert hall.ctx.personal.open(gone.fields, closed) == {}
    # the citizen's progress page still works, without personal data
    assert kiosk.get(f"/applications/{closed}").json()["status"] == "approved"
    assert anonymise_closed(hall.database, now=hall.ctx.now(), days=days) == 0  # once
