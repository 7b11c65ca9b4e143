"""Staff sign-in for browsers: the cookie, the CSRF check, and the dependencies routes use.

Cookies: `hall_staff` (the sign-in token; HttpOnly, SameSite=Strict) and `hall_csrf` (the
CSRF token, readable by the page's script). A state-changing request from a signed-in browser
must repeat the CSRF token in the `X-CSRF-Token` header (or, for a plain HTML form, a
`csrf_token` field); the server compares it with the token stored for that sign-in, so a
cookie alone (all another site can make a browser send) never changes anything.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request, Response

from common.errors import CSRF_INVALID, STAFF_SESSION_EXPIRED, KioskError
from hall_server.actor import Actor
from hall_server.context import HallContext
from hall_server.staff import SignIn, StaffSession, csrf_matches, session_for

log = logging.getLogger(__name__)

SESSION_COOKIE = "hall_staff"
CSRF_COOKIE = "hall_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _ctx(request: Request) -> HallContext:
    return request.app.state.ctx  # (hall_server.api.deps imports this module)


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


def optional_staff(request: Request) -> StaffSession | None:
    """The browser's live sign-in, or None (no cookie, expired, signed out, disabled)."""
    token = session_token(request)
    if token is None:
        return None
    ctx = _ctx(request)
    with ctx.database.read() as conn:
        return session_for(conn, token, ctx.now())


def current_staff(request: Request) -> StaffSession:
    """A signed-in browser, else 401 E-AUTH-07; state-changing methods also need the CSRF."""
    session = optional_staff(request)
    if session is None:
        raise KioskError(STAFF_SESSION_EXPIRED)
    if request.method not in SAFE_METHODS:
        check_csrf(request, session)
    return session


def check_csrf(request: Request, session: StaffSession, form_value: str | None = None) -> None:
    given = request.headers.get(CSRF_HEADER) or form_value
    if not csrf_matches(session.csrf, given):
        log.warning(
            "CSRF token %s on %s %s",
            "forged" if given else "missing",
            request.method,
            request.url.path,
        )
        raise KioskError(CSRF_INVALID, "forged" if given else "missing")


def check_counter(session: StaffSession, counter: str) -> None:
    staff_actor(session).check_counter(counter)  # E-QUE-12, as for any actor


def staff_actor(session: StaffSession) -> Actor:
    """The clerk as the one who performs queue transitions (events and tickets record it)."""
    account = session.staff
    everywhere = account.role in ("manager", "admin") or "*" in account.counters
    return Actor(
        kind="staff",
        id=account.id,
        role=account.role,
        name=account.name,
        counters=None if everywhere else frozenset(account.counters),
    )


def set_cookies(request: Request, response: Response, signed: SignIn, now: datetime) -> None:
    max_age = max(int((signed.expires_at - now).total_seconds()), 0)
    secure = request.url.scheme == "https"
    response.set_cookie(
        SESSION_COOKIE,
        signed.token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure,
    )
    response.set_cookie(
        CSRF_COOKIE,
        signed.csrf,
        max_age=max_age,
        path="/",
        httponly=False,
        samesite="strict",
        secure=secure,
    )


def clear_cookies(response: Response) -> None:
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/")


def session_length(request: Request) -> timedelta:
    return timedelta(hours=_ctx(request).settings.server.staff_session_hours)


SignedInStaff = Annotated[StaffSession, Depends(current_staff)]
