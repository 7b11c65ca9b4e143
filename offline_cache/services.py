"""Local copy of the hall's queue services (names, prefixes, waiting counts, open/closed)."""

from __future__ import annotations

import json

from common import wire
from common.views import ServiceView
from offline_cache.client import HallClient
from offline_cache.outbox import now_iso
from offline_cache.store import LocalStore


class ServiceCache:
    def __init__(self, store: LocalStore) -> None:
        self.store = store

    def pull(self, client: HallClient) -> int:
        services = client.queue_services().services
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM queue_service")
            conn.executemany(
                "INSERT INTO queue_service(code, position, doc, refreshed_at) VALUES (?, ?, ?, ?)",
                [(s.code, i, s.model_dump_json(), now_iso()) for i, s in enumerate(services)])
        return len(services)

    def all(self) -> list[ServiceView]:
        rows = self.store.query("SELECT doc FROM queue_service ORDER BY position")
        return [_view(wire.QueueService.model_validate(json.loads(r["doc"]))) for r in rows]

    def get(self, code: str) -> ServiceView | None:
        rows = self.store.query("SELECT doc FROM queue_service WHERE code = ?", (code,))
        return _view(wire.QueueService.model_validate(json.loads(rows[0]["doc"]))) if rows else None


def _view(s: wire.QueueService) -> ServiceView:
    left = max(0, s.daily_cap - s.issued_today) if s.daily_cap else None
    return ServiceView(code=s.code, name=s.name, name_en=s.name_en, prefix=s.prefix,
                       waiting=s.waiting, open=s.open, category=s.category, left_today=left)
