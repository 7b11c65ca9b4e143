"""Application receipts handed to the citizen (issue 15).

An application is saved, then filed (online now, or by the syncer), then its receipt shows
the number. A kiosk that dies before the receipt shows leaves a citizen who does not know it
was filed. At the kiosk's start: one never sent is `void` (never filed: the citizen fills the
form again); one the server may hold is flagged for the hall (outbox kind `receipt_missing`,
after the application in its stream), never silently kept.
"""

from __future__ import annotations

import logging
import uuid

from offline_cache.outbox import Outbox, now_iso
from offline_cache.records import SubmissionRecords
from offline_cache.store import LocalStore

log = logging.getLogger(__name__)

FLAG_KIND = "receipt_missing"


def receipt_shown(store: LocalStore, submissions: SubmissionRecords, outbox: Outbox,
                  key: str) -> bool:
    """The receipt screen shows this application (its local id): the citizen has it."""
    with store.transaction() as conn:
        marked = submissions.mark(conn, key, "shown", now_iso())
    outbox.held_back.discard(key)
    return marked


def void_unreceipted(store: LocalStore, submissions: SubmissionRecords,
                     outbox: Outbox) -> dict[str, int]:
    counts = {"voided": 0, "flagged": 0}
    for row in submissions.unreceipted():
        with store.transaction() as conn:
            submissions.mark(conn, row["key"], "voided", now_iso())
            if outbox.void(conn, row["key"]):
                counts["voided"] += 1
            else:  # the server holds it, or may: the hall follows it up
                outbox.enqueue(conn, key=str(uuid.uuid4()), kind=FLAG_KIND,
                               stream="application", body={"application_key": row["key"]})
                counts["flagged"] += 1
    if any(counts.values()):
        log.warning("applications whose receipt was never shown: %(voided)d voided (never "
                    "filed), %(flagged)d flagged for the hall", counts)
    return counts
