"""Keep personal data no longer than needed (个人信息保护法).

- A delivered submission's sealed body is blanked once the server has acknowledged it and a
  short retention has passed; the record itself stays (key, state, times) so nothing looks lost
  and a replay can be recognised. Refused records keep their body: a technician must see them.
- A refusal the citizen was shown on screen (outbox `answered_at`: no tickets left, per-ID
  limit, unknown appointment) is deleted a day after it was answered, with the ticket or
  submission row it refused: it was an answer, not a lost record.
- Cached progress records are dropped after their retention.
- Tickets keep the holder hash only for the day's per-ID limit.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from offline_cache.store import LocalStore

log = logging.getLogger(__name__)


ANSWERED_KEEP_HOURS = 24.0


def purge(store: LocalStore, *, sent_hours: float, progress_hours: float,
          now: datetime | None = None) -> dict[str, int]:
    now = now or datetime.now(UTC)
    answered_cutoff = (now - timedelta(hours=ANSWERED_KEEP_HOURS)).isoformat(
        timespec="milliseconds")
    sent_cutoff = (now - timedelta(hours=sent_hours)).isoformat(timespec="milliseconds")
    progress_cutoff = (now - timedelta(hours=progress_hours)).isoformat(timespec="milliseconds")
    holder_cutoff = (now - timedelta(days=2)).date().isoformat()
    with store.transaction() as conn:
        blanked = conn.execute("UPDATE outbox SET body = X'' WHERE state = 'sent' AND "
                               "sent_at < ? AND length(body) > 0", (sent_cutoff,)).rowcount
        dropped = conn.execute("DELETE FROM progress_cache WHERE fetched_at < ?",
                               (progress_cutoff,)).rowcount
        unlinked = conn.execute("UPDATE ticket SET holder = NULL WHERE holder IS NOT NULL AND "
                                "business_date < ?", (holder_cutoff,)).rowcount
        answered = [r[0] for r in conn.execute(
            "SELECT key FROM outbox WHERE state = 'refused' AND answered_at IS NOT NULL AND "
            "answered_at < ?", (answered_cutoff,))]
        for table in ("ticket", "submission", "outbox"):
            conn.executemany(f"DELETE FROM {table} WHERE key = ?", [(k,) for k in answered])
    if blanked or dropped or unlinked or answered:
        log.info("retention: blanked %d sent bodies, dropped %d progress records, unlinked %d "
                 "ticket holders, expired %d answered refusals", blanked, dropped, unlinked,
                 len(answered))
    return {"blanked": blanked, "dropped": dropped, "unlinked": unlinked,
            "expired_answers": len(answered)}
