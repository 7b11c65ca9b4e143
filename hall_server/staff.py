"""Staff accounts (clerks, managers, admins) and their browser sign-ins.

Passwords: `hashlib.scrypt` (the standard library's binding of OpenSSL: no extra dependency)
with a random 16-byte salt per password, stored self-describing as
`scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>` so the cost can be raised later without breaking
stored hashes. n=2**14, r=8, p=1 costs ~16 MiB and ~40 ms per check here: cheap for a clerk
signing in, expensive for anyone guessing with a stolen database.

Sign-in: a random cookie token per browser (only its SHA-256 stored) with an absolute expiry
(`server.staff_session_hours`) and a CSRF token the page sends back in a header. Wrong
passwords are counted per (login, address) in the database, so several server processes on one
PostgreSQL agree: `server.staff_login_attempts` of them within `server.staff_lockout_minutes`
lock that pair for `server.staff_lockout_minutes`, even for the right password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, case, delete, or_, select, update

from common.errors import (
    NOT_FOUND,
    STAFF_LOCKED,
    STAFF_LOGIN_INVALID,
    VALIDATION,
    KioskError,
)
from hall_server.clock import as_utc, iso_utc
from hall_server.db import Database
from hall_server.devices import sha256_hex
from hall_server.schema_staff import staff, staff_login_failures, staff_sessions

log = logging.getLogger(__name__)

ROLES = ("clerk", "manager", "admin")
ALL_COUNTERS = "*"
MIN_PASSWORD = 8
SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_LEN = 2**14, 8, 1, 32
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_COUNTER = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@dataclass(frozen=True)
class Staff:
    id: str
    login: str
    name: str
    role: str
    counters: tuple[str, ...]
    disabled: bool = False

    def may_use(self, counter: str) -> bool:
        """Managers and admins may use every counter; a clerk those listed (or `*`)."""
        if self.role in ("manager", "admin"):
            return True
        return ALL_COUNTERS in self.counters or counter in self.counters

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "login": self.login,
            "name": self.name,
            "role": self.role,
            "counters": list(self.counters),
            "disabled": self.disabled,
        }


@dataclass(frozen=True)
class StaffSession:
    staff: Staff
    csrf: str
    expires_at: datetime


@dataclass(frozen=True)
class SignIn:
    """What a successful sign-in hands the browser: the cookie token and the CSRF token."""

    staff: Staff
    token: str
    csrf: str
    expires_at: datetime


# --- passwords -------------------------------------------------------------------------------
def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=SCRYPT_LEN
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=128 * int(n) * int(r) * (int(p) + 1) + 1024 * 1024,
        )
    except (ValueError, TypeError):
        log.error("a stored staff password hash is malformed")
        return False
    return hmac.compare_digest(got, expected)


# Checked for unknown logins too, so the reply time does not tell which logins exist.
_DUMMY_HASH = hash_password(secrets.token_hex(8))


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise KioskError(VALIDATION, f"password: at least {MIN_PASSWORD} characters")
    if len(password) > 256:
        raise KioskError(VALIDATION, "password: at most 256 characters")


# --- accounts --------------------------------------------------------------------------------
def normalize_login(login: str) -> str:
    return login.strip().lower()


def _check_login(login: str) -> str:
    login = normalize_login(login)
    if not _LOGIN.match(login):
        raise KioskError(
            VALIDATION, "login: 2-64 of a-z 0-9 . _ - (starting with a letter or digit)"
        )
    return login


def parse_counters(counters: list[str] | str) -> list[str]:
    """A list, or "01,02,03" from the command line; `*` means every counter."""
    items = counters.split(",") if isinstance(counters, str) else list(counters)
    out: list[str] = []
    for item in (c.strip() for c in items):
        if not item:
            continue
        if item != ALL_COUNTERS and not _COUNTER.match(item):
            raise KioskError(VALIDATION, "counters: names of 1-32 of A-Z a-z 0-9 _ - or *")
        if item not in out:
            out.append(item)
    return out


def _from_row(row: Any) -> Staff:
    return Staff(
        id=row.id,
        login=row.login,
        name=row.name,
        role=row.role,
        counters=tuple(json.loads(row.counters)),
        disabled=bool(row.disabled),
    )


def get_staff(conn: Connection, login: str) -> Staff:
    row = conn.execute(select(staff).where(staff.c.login == normalize_login(login))).first()
    if row is None:
        raise KioskError(NOT_FOUND, "no staff account with that login")
    return _from_row(row)


def add_staff(
    conn: Connection,
    *,
    login: str,
    name: str,
    role: str,
    counters: list[str],
    password: str,
    now: datetime,
) -> Staff:
    login = _check_login(login)
    name = name.strip()
    if not name or len(name) > 100:
        raise KioskError(VALIDATION, "name: 1-100 characters")
    if role not in ROLES:
        raise KioskError(VALIDATION, f"role: one of {', '.join(ROLES)}")
    counters = parse_counters(counters)
    if role == "clerk" and not counters:
        raise KioskError(VALIDATION, "counters: a clerk needs at least one counter (or *)")
    check_new_password(password)
    if conn.execute(select(staff.c.id).where(staff.c.login == login)).first() is not None:
        raise KioskError(VALIDATION, "login: already taken")
    row = dict(
        id=str(uuid.uuid4()),
        login=login,
        name=name,
        role=role,
        counters=json.dumps(counters),
        password_hash=hash_password(password),
        disabled=False,
        created_at=now,
        updated_at=now,
    )
    conn.execute(staff.insert().values(**row))
    log.info("staff account %s added (role %s)", login, role)
    return _from_row(select_row(conn, login))


def select_row(conn: Connection, login: str) -> Any:
    return conn.execute(select(staff).where(staff.c.login == login)).first()


def set_password(conn: Connection, login: str, password: str, *, now: datetime) -> Staff:
    """New password; the account's browser sign-ins end (a reset is often a suspicion)."""
    account = get_staff(conn, login)
    check_new_password(password)
    conn.execute(
        update(staff)
        .where(staff.c.id == account.id)
        .values(password_hash=hash_password(password), updated_at=now)
    )
    conn.execute(delete(staff_sessions).where(staff_sessions.c.staff_id == account.id))
    conn.execute(delete(staff_login_failures).where(staff_login_failures.c.login == account.login))
    log.info("staff account %s: password changed, sign-ins ended", account.login)
    return account


def set_disabled(conn: Connection, login: str, disabled: bool, *, now: datetime) -> Staff:
    """Disable (signs the account out everywhere) or enable again."""
    account = get_staff(conn, login)
    conn.execute(
        update(staff).where(staff.c.id == account.id).values(disabled=disabled, updated_at=now)
    )
    if disabled:
        conn.execute(delete(staff_sessions).where(staff_sessions.c.staff_id == account.id))
    log.info("staff account %s %s", account.login, "disabled" if disabled else "enabled")
    return get_staff(conn, login)


def list_staff(conn: Connection) -> list[Staff]:
    return [_from_row(r) for r in conn.execute(select(staff).order_by(staff.c.login))]


# --- sign-in ---------------------------------------------------------------------------------
def _failure_upsert(
    database: Database, *, login: str, address: str, now: datetime, window: timedelta
):
    """+1 wrong password for (login, address); a count older than the window starts over."""
    fresh = staff_login_failures.c.first_at >= now - window
    stmt = database.insert(staff_login_failures).values(
        login=login, address=address, failures=1, first_at=now, locked_until=None
    )
    return stmt.on_conflict_do_update(
        index_elements=["login", "address"],
        set_={
            "failures": case((fresh, staff_login_failures.c.failures + 1), else_=1),
            "first_at": case((fresh, staff_login_failures.c.first_at), else_=now),
        },
    ).returning(staff_login_failures.c.failures)


def _purge_failures(conn: Connection, now: datetime, window: timedelta) -> None:
    """Counts that can no longer lock anything (guessed logins would pile up otherwise)."""
    f = staff_login_failures.c
    conn.execute(
        delete(staff_login_failures).where(
            f.first_at < now - window, or_(f.locked_until.is_(None), f.locked_until < now)
        )
    )


def _locked_for(conn: Connection, login: str, address: str, now: datetime) -> float | None:
    until = conn.execute(
        select(staff_login_failures.c.locked_until).where(
            staff_login_failures.c.login == login, staff_login_failures.c.address == address
        )
    ).scalar()
    if until is None:
        return None
    left = (as_utc(until) - now).total_seconds()
    return left if left > 0 else None


def sign_in(
    database: Database,
    *,
    login: str,
    password: str,
    address: str,
    now: datetime,
    attempts: int,
    lockout: timedelta,
    session_length: timedelta,
) -> SignIn:
    """Check a password and open a browser sign-in; raises E-AUTH-05 / E-AUTH-06."""
    login = normalize_login(login)[:64]
    address = address[:64]
    with database.read() as conn:
        wait = _locked_for(conn, login, address, now)
        row = select_row(conn, login)
    if wait is not None:
        raise KioskError(STAFF_LOCKED, "try again later", retry_after=wait)
    # scrypt runs outside the write transaction: SQLite's one write lock is not held for it
    ok = verify_password(password, row.password_hash if row is not None else _DUMMY_HASH)
    if not ok or row is None or row.disabled:
        with database.write() as conn:
            _purge_failures(conn, now, lockout)
            stmt = _failure_upsert(database, login=login, address=address, now=now, window=lockout)
            failures = conn.execute(stmt).scalar_one()
            if failures >= attempts:
                conn.execute(
                    update(staff_login_failures)
                    .where(
                        staff_login_failures.c.login == login,
                        staff_login_failures.c.address == address,
                    )
                    .values(locked_until=now + lockout)
                )
        log.warning("staff sign-in refused for a login from %s (%d wrong)", address, failures)
        if failures >= attempts:
            raise KioskError(
                STAFF_LOCKED, f"{failures} wrong passwords", retry_after=lockout.total_seconds()
            )
        raise KioskError(STAFF_LOGIN_INVALID)
    account = _from_row(row)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires_at = now + session_length
    with database.write() as conn:
        conn.execute(
            delete(staff_login_failures).where(
                staff_login_failures.c.login == login, staff_login_failures.c.address == address
            )
        )
        conn.execute(delete(staff_sessions).where(staff_sessions.c.expires_at < now))
        conn.execute(
            staff_sessions.insert().values(
                token_hash=sha256_hex(token),
                staff_id=account.id,
                csrf=csrf,
                address=address,
                created_at=now,
                expires_at=expires_at,
            )
        )
    log.info("staff %s signed in from %s until %s", account.login, address, iso_utc(expires_at))
    return SignIn(staff=account, token=token, csrf=csrf, expires_at=expires_at)


def session_for(conn: Connection, token: str, now: datetime) -> StaffSession | None:
    """The live sign-in of a cookie token; None when unknown, expired or the account disabled."""
    row = conn.execute(
        select(staff, staff_sessions.c.csrf, staff_sessions.c.expires_at)
        .join(staff, staff.c.id == staff_sessions.c.staff_id)
        .where(staff_sessions.c.token_hash == sha256_hex(token))
    ).first()
    if row is None or row.disabled or as_utc(row.expires_at) <= now:
        return None
    return StaffSession(staff=_from_row(row), csrf=row.csrf, expires_at=as_utc(row.expires_at))


def sign_out(conn: Connection, token: str) -> None:
    conn.execute(delete(staff_sessions).where(staff_sessions.c.token_hash == sha256_hex(token)))


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())
