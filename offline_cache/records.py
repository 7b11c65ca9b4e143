"""The kiosk's own records beside the outbox: tickets, submissions (applications and
evaluations) and the progress cache. Their schema is in offline_cache/store.py, and these
classes are the only writers (tests/test_store_writers.py checks that no SQL outside
offline_cache/ writes a table of the store). Methods taking `conn` run in the caller's
transaction, so a record and its outbox entry commit together.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from common import wire
from offline_cache.store import LocalStore


class TicketRecords:
    def __init__(self, store: LocalStore) -> None:
        self.store = store

    def add(self, conn: sqlite3.Connection, *, key: str, service: str, business_date: str,
            issued_at: str, holder: str | None, priority: str | None) -> None:
        conn.execute("INSERT INTO ticket(key, service, business_date, issued_at, holder, priority) "
                     "VALUES (?, ?, ?, ?, ?, ?)",
                     (key, service, business_date, issued_at, holder, priority))

    def number_offline(self, conn: sqlite3.Connection, key: str, number: str) -> None:
        """The kiosk numbered it itself (the server kept it when the record arrives)."""
        conn.execute("UPDATE ticket SET number = ?, offline = 1 WHERE key = ?", (number, key))

    def mark(self, conn: sqlite3.Connection, key: str, what: str, at: str) -> bool:
        """The ticket was handed to the citizen (`shown` on screen, `printed`), or `voided`
        because it never was: the first time stands. False when there is no such ticket."""
        column = {"shown": "shown_at", "printed": "printed_at", "voided": "voided_at"}[what]
        return conn.execute(f"UPDATE ticket SET {column} = COALESCE({column}, ?) WHERE key = ?",
                            (at, key)).rowcount > 0

    def unheld(self) -> list[dict[str, Any]]:
        """Tickets stored but neither shown nor printed nor voided, with their outbox state."""
        return [dict(r) for r in self.store.query(
            "SELECT ticket.key, ticket.number, ticket.server_id, outbox.state, outbox.attempts "
            "FROM ticket JOIN outbox USING (key) WHERE ticket.shown_at IS NULL AND "
            "ticket.printed_at IS NULL AND ticket.voided_at IS NULL")]

    def apply_reply(self, conn: sqlite3.Connection, key: str, reply: dict[str, Any]) -> None:
        """Outbox applier: the server accepted the ticket. An offline number stays as printed."""
        ticket = wire.Ticket.model_validate(reply)
        conn.execute(
            "UPDATE ticket SET server_id = ?, url = ?, people_ahead = ?, "
            "number = CASE WHEN offline = 1 THEN number ELSE ? END WHERE key = ?",
            (ticket.id, ticket.url, ticket.people_ahead, ticket.number, key))

    def get(self, key: str) -> dict[str, Any] | None:
        rows = self.store.query("SELECT * FROM ticket WHERE key = ?", (key,))
        return dict(rows[0]) if rows else None

    def find(self, ref: str) -> dict[str, Any] | None:
        """By the server's id or this kiosk's key (both appear in a ticket's QR)."""
        rows = self.store.query("SELECT * FROM ticket WHERE server_id = ? OR key = ?", (ref, ref))
        return dict(rows[0]) if rows else None

    def count_for_holder(self, holder: str, business_date: str) -> int:
        """The holder's tickets that day; a refused or voided one was never the citizen's."""
        return self.store.query(
            "SELECT COUNT(*) AS n FROM ticket JOIN outbox USING (key) WHERE ticket.holder = ? "
            "AND ticket.business_date = ? AND outbox.state != 'refused' "
            "AND ticket.voided_at IS NULL",
            (holder, business_date))[0]["n"]


class SubmissionRecords:
    def __init__(self, store: LocalStore) -> None:
        self.store = store

    def add(self, conn: sqlite3.Connection, *, key: str, kind: str, subject: str | None,
            created_at: str) -> None:
        conn.execute("INSERT INTO submission(key, kind, subject, created_at) VALUES (?,?,?,?)",
                     (key, kind, subject, created_at))

    def mark(self, conn: sqlite3.Connection, key: str, what: str, at: str) -> bool:
        """The receipt was `shown` to the citizen, or the record `voided` because it never was."""
        column = {"shown": "shown_at", "voided": "voided_at"}[what]
        return conn.execute(f"UPDATE submission SET {column} = COALESCE({column}, ?) "
                            "WHERE key = ?", (at, key)).rowcount > 0

    def unreceipted(self) -> list[dict[str, Any]]:
        """Applications stored but whose receipt was never shown (nor voided), with their
        outbox state; refused ones were answered on screen."""
        return [dict(r) for r in self.store.query(
            "SELECT submission.key, submission.number, outbox.state, outbox.attempts "
            "FROM submission JOIN outbox USING (key) WHERE submission.kind = 'application' "
            "AND submission.shown_at IS NULL AND submission.voided_at IS NULL "
            "AND outbox.state != 'refused'")]

    def apply_reply(self, conn: sqlite3.Connection, key: str, reply: dict[str, Any]) -> None:
        """Outbox applier: the server filed the application under its number."""
        conn.execute("UPDATE submission SET number = ? WHERE key = ?", (reply.get("number"), key))

    def applications_by_key_prefix(self, prefix: str) -> list[dict[str, Any]]:
        """This kiosk's applications whose key starts with `prefix` (a 登记号), newest first."""
        return [dict(r) for r in self.store.query(
            "SELECT key, number, subject, created_at FROM submission "
            "WHERE kind = 'application' AND key LIKE ? ORDER BY created_at DESC", (prefix + "%",))]


class ProgressCache:
    """Application records fetched from the server, sealed by the caller, kept a while so a
    progress query still answers offline (retention.purge drops them)."""

    def __init__(self, store: LocalStore) -> None:
        self.store = store

    def put(self, *, number: str, holder: str | None, doc: bytes, as_of: str,
            fetched_at: str) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO progress_cache(number, holder, doc, as_of, fetched_at) "
                "VALUES (?,?,?,?,?) "
                "ON CONFLICT(number) DO UPDATE SET doc = excluded.doc, as_of = excluded.as_of, "
                "fetched_at = excluded.fetched_at, holder = COALESCE(excluded.holder, holder)",
                (number, holder, doc, as_of, fetched_at))

    def by_number(self, number: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self.store.query(
            "SELECT * FROM progress_cache WHERE number = ?", (number,))]

    def by_holder(self, holder: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self.store.query(
            "SELECT * FROM progress_cache WHERE holder = ?", (holder,))]
