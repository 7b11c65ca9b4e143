"""One person's data by holder hash (个人信息保护法): `kiosk admin person export|erase`, each
with an audit record; erasure keeps numbers, items and statuses (issue 15)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sqlalchemy import select

from .test_applications import FIELDS, submit

HOLDER = "c" * 64
OTHER = "d" * 64


def admin_cli(hall, *args: str) -> subprocess.CompletedProcess:
    where = ["--db", hall.db_url] if hall.db_url else ["--data-dir", str(hall.data_dir)]
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "admin", "person", *args, *where, "--json"],
        capture_output=True, text=True, timeout=60,
        # the same key file as the running server (with PostgreSQL there is no shared data dir)
        env={**os.environ, "KIOSK_HOME": str(hall.data_dir.parent / "cli-home"),
             "KIOSK_PRIVACY_SERVER_KEY_FILE": str(hall.ctx.personal.path)},
    )


def test_export_then_erase_one_person(hall, kiosk):
    from hall_server.schema import applications, tickets
    from hall_server.schema_fleet import audit_log

    mine = submit(kiosk, holder=HOLDER)["number"]
    theirs = submit(kiosk, holder=OTHER)["number"]
    assert kiosk.ticket("ZH", holder=HOLDER).status_code == 201

    proc = admin_cli(hall, "export", "--holder", HOLDER.upper())
    assert proc.returncode == 0, proc.stderr
    exported = json.loads(proc.stdout)
    assert [a["number"] for a in exported["applications"]] == [mine]
    assert exported["applications"][0]["fields"] == FIELDS  # readable with the hall's key
    assert len(exported["tickets"]) == 1 and exported["holder"] == HOLDER

    proc = admin_cli(hall, "erase", "--holder", HOLDER)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["erased"]["applications"] == 1
    with hall.database.read() as conn:
        erased = conn.execute(select(applications).where(applications.c.number == mine)).first()
        kept = conn.execute(select(applications).where(applications.c.number == theirs)).first()
        assert erased.fields == "" and erased.holder is None and erased.status == "submitted"
        assert kept.holder == OTHER and kept.fields
        assert conn.execute(select(tickets).where(tickets.c.holder == HOLDER)).first() is None
        audits = conn.execute(select(audit_log).where(audit_log.c.device_id == "admin-cli")
                              .order_by(audit_log.c.pk)).all()
    assert [a.action for a in audits] == ["person-export", "person-erase"]
    assert all(HOLDER not in a.detail and "cccccccc" in a.detail for a in audits)
    again = json.loads(admin_cli(hall, "export", "--holder", HOLDER).stdout)
    assert again["applications"] == [] and again["tickets"] == []


def test_a_holder_must_be_a_hash(hall):
    proc = admin_cli(hall, "export", "--holder", "110105194912310021")
    assert proc.returncode == 2 and json.loads(proc.stdout)["error"]["code"] == "E-CLI-01"
