"""Unlocking the technician screen: scrypt-hashed PIN, technician cards, lock-out, audit."""

from __future__ import annotations

import json

import pytest

from common.errors import KioskError
from tests.support.kiosk_cli import KioskCli


def test_pin_is_hashed_checked_and_locks_out(tmp_path):
    from kiosk.ops import audit
    from kiosk.ops.technician_auth import LOCKOUT_S, MAX_FAILURES, verify_pin

    cli = KioskCli(tmp_path)
    with pytest.raises(KioskError) as exc:
        verify_pin(tmp_path, "123456")
    assert exc.value.code == "E-DOC-05"
    assert (
        cli.run("technician", "set-pin", "--pin-stdin", input="12345\n", check=False).returncode
        == 2
    )  # too short
    cli.run("technician", "set-pin", "--pin-stdin", input="20261123\n")
    stored = (tmp_path / "technician.json").read_text()
    assert (
        "20261123" not in stored and (tmp_path / "technician.json").stat().st_mode & 0o777 == 0o600
    )
    verify_pin(tmp_path, "20261123", now=1000.0)
    for i in range(MAX_FAILURES - 1):
        with pytest.raises(KioskError) as exc:
            verify_pin(tmp_path, "000000", now=1000.0 + i)
        assert exc.value.code == "E-DOC-03"
    with pytest.raises(KioskError) as exc:
        verify_pin(tmp_path, "000000", now=1010.0)
    assert exc.value.code == "E-DOC-04"
    with pytest.raises(KioskError) as exc:  # even the right PIN waits out the lock
        verify_pin(tmp_path, "20261123", now=1011.0)
    assert exc.value.code == "E-DOC-04"
    verify_pin(tmp_path, "20261123", now=1011.0 + LOCKOUT_S)
    actions = [(e["action"], e["outcome"]) for e in audit.read(tmp_path)]
    assert ("technician_unlock", "refused") in actions and ("technician_unlock", "ok") in actions
    assert all("2026" not in json.dumps(e["detail"]) for e in audit.read(tmp_path))


def test_technician_card(tmp_path):
    from kiosk.ops.technician_auth import verify_card

    KioskCli(tmp_path).run("technician", "add-card", "04:a1:b2:c3")
    verify_card(tmp_path, "04A1B2C3")
    with pytest.raises(KioskError) as exc:
        verify_card(tmp_path, "DEADBEEF")
    assert exc.value.code == "E-DOC-03"
    assert "04A1B2C3" not in (tmp_path / "technician.json").read_text()


def test_outbox_resume_is_audited(tmp_path):
    from kiosk.core import KioskCore
    from kiosk.ops import audit
    from offline_cache.outbox import PAUSE_META
    from tests.support.server import isolated_settings

    home = tmp_path / "k"
    core = KioskCore(isolated_settings(tmp_path / "s"), home)
    try:
        with core.store.transaction() as conn:
            core.store.set_meta(conn, PAUSE_META, "E-AUTH-01")
        core.resume_outbox()
        assert core.outbox.paused() is None
        queued = core.store.query("SELECT kind, state FROM outbox")
    finally:
        core.close()
    event = audit.read(home)[0]
    assert event["action"] == "outbox_resume" and event["detail"] == {"was_paused": "E-AUTH-01"}
    assert queued == [{"kind": "audit", "state": "pending"}]  # goes to the server too
