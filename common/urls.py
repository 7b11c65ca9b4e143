"""Every address a kiosk puts in a QR code (screen or slip), in one place.

The kiosk builds them, the hall server builds them in its replies and serves them: both sides
use these functions and route templates, so a printed code always names a page that exists.

- ticket:          {base}/t/{ticket_id}
- offline ticket:  {base}/t/pending/{key}     (the kiosk's idempotency key; resolves once the
                                              record reached the server, docs/offline-tickets.md)
- guide:           {base}/guide/{code}
- application:     {base}/a/{number}?t={token} (token issued by the server with the number)
- offline application: {base}/a/pending/{key} (the kiosk's idempotency key, unguessable; opens
                                              the application page once the record reached the
                                              server, like an offline ticket)
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlencode, urlsplit

# Route templates (FastAPI path syntax) the server's page router mounts.
TICKET_PATH = "/t/{ticket_id}"
OFFLINE_TICKET_PATH = "/t/pending/{key}"
GUIDE_PATH = "/guide/{code}"
APPLICATION_PATH = "/a/{number}"
APPLICATION_TOKEN_PARAM = "t"
OFFLINE_APPLICATION_PATH = "/a/pending/{key}"


def _join(base: str, path: str) -> str:
    return base.rstrip("/") + path


def _segment(value: str) -> str:
    return quote(str(value), safe="")


def ticket_url(base: str, ticket_id: str) -> str:
    return _join(base, TICKET_PATH.format(ticket_id=_segment(ticket_id)))


def offline_ticket_url(base: str, key: str) -> str:
    return _join(base, OFFLINE_TICKET_PATH.format(key=_segment(key)))


def guide_url(base: str, code: str) -> str:
    return _join(base, GUIDE_PATH.format(code=_segment(code)))


def application_url(base: str, number: str, token: str | None = None) -> str:
    url = _join(base, APPLICATION_PATH.format(number=_segment(number)))
    if token:
        url += "?" + urlencode({APPLICATION_TOKEN_PARAM: token})
    return url


def offline_application_url(base: str, key: str) -> str:
    return _join(base, OFFLINE_APPLICATION_PATH.format(key=_segment(key)))


_NUMBER = re.compile(r"^[A-Z0-9]{8,32}$")


def application_number_from(text: str) -> str | None:
    """The application number in a scanned receipt code: its address (with or without the
    token, under any base) or the bare number; None for anything else."""
    text = text.strip()
    if "://" in text:
        prefix = APPLICATION_PATH.split("{", 1)[0]  # "/a/"
        path = urlsplit(text).path
        if not path.startswith(prefix):
            return None
        text = unquote(path[len(prefix):])
    text = text.rstrip("/").upper()
    return text if _NUMBER.match(text) else None
