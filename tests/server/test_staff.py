"""Staff accounts and browser sign-in: scrypt passwords, cookie sign-in with expiry, CSRF,
lock-out shared through the database, and `kiosk admin staff …`. Real server over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.server.conftest import DATA
from tests.support.server import REPO, isolated_settings, start_server_thread

START = datetime(2025, 3, 14, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
ATTEMPTS = 3
LOCK_MINUTES = 10
SESSION_HOURS = 2
PASSWORD = "correct-horse-1"
OVERRIDES = {
    "server": {
        "staff_login_attempts": ATTEMPTS,
        "staff_lockout_minutes": LOCK_MINUTES,
        "staff_session_hours": SESSION_HOURS,
    }
}


def _start(path: Path, db_url: str | None, clock):
    from hall_server.services_import import import_services

    server = start_server_thread(path, db_url=db_url, clock=clock, overrides=OVERRIDES)
    import_services(server.database, DATA / "services.toml", clock=clock)
    return server


@pytest.fixture
def hall(tmp_path: Path, db_url: str | None):
    from hall_server import staff
    from hall_server.clock import SettableClock

    server = _start(tmp_path / "hall", db_url, SettableClock(START))
    with server.database.write() as conn:
        staff.add_staff(
            conn,
            login="Han",
            name="韩梅梅",
            role="clerk",
            counters=["01"],
            password=PASSWORD,
            now=server.clock.now(),
        )
        staff.add_staff(
            conn,
            login="boss",
            name="Manager",
            role="manager",
            counters=[],
            password=PASSWORD,
            now=server.clock.now(),
        )
    yield server
    server.stop()


def login(url: str, user: str = "han", password: str = PASSWORD, session=None):
    s = session or requests.Session()
    return s, s.post(f"{url}/staff/login", json={"login": user, "password": password}, timeout=30)


def code(resp: requests.Response) -> str:
    return resp.json()["error"]["code"]


def test_passwords_are_salted_scrypt_and_checked():
    from hall_server.staff import hash_password, verify_password

    first, second = hash_password("s3cret-pass"), hash_password("s3cret-pass")
    assert first.startswith("scrypt$16384$8$1$") and first != second  # a salt per hash
    assert verify_password("s3cret-pass", first) and verify_password("s3cret-pass", second)
    assert not verify_password("s3cret-pasS", first)
    assert not verify_password("s3cret-pass", "md5$abc")  # unknown scheme: refused, not a crash


def test_sign_in_sets_cookies_and_me_answers(hall):
    s, resp = login(hall.url, "HAN ")  # logins are case- and space-insensitive
    assert resp.status_code == 200
    body = resp.json()
    assert body["staff"]["login"] == "han" and body["staff"]["counters"] == ["01"]
    assert s.cookies.get("hall_csrf") == body["csrf"]
    raw = resp.headers.get("set-cookie", "")
    assert "HttpOnly" in raw and "SameSite=strict" in raw and "Max-Age=7200" in raw
    me = s.get(f"{hall.url}/api/v1/staff/me", timeout=10)
    assert me.status_code == 200 and me.json()["staff"]["name"] == "韩梅梅"
    # the stored session is a hash of the cookie, never the cookie itself
    from sqlalchemy import select

    from hall_server.schema_staff import staff_sessions

    with hall.database.read() as conn:
        stored = conn.execute(select(staff_sessions.c.token_hash)).scalars().all()
    assert stored and s.cookies.get("hall_staff") not in stored


def test_wrong_password_unknown_login_and_disabled_answer_alike(hall):
    from hall_server import staff

    _, wrong = login(hall.url, password="nope-nope")
    _, unknown = login(hall.url, user="ghost")
    with hall.database.write() as conn:
        staff.set_disabled(conn, "boss", True, now=hall.clock.now())
    _, disabled = login(hall.url, user="boss")
    for resp in (wrong, unknown, disabled):
        assert resp.status_code == 401 and code(resp) == "E-AUTH-05"
        assert "ghost" not in resp.text and "boss" not in resp.text


def test_lock_out_after_repeated_failures_then_unlocks(hall):
    for _ in range(ATTEMPTS - 1):
        assert code(login(hall.url, password="wrong-pass")[1]) == "E-AUTH-05"
    locked = login(hall.url, password="wrong-pass")[1]
    assert locked.status_code == 429 and code(locked) == "E-AUTH-06"
    assert int(locked.headers["Retry-After"]) == LOCK_MINUTES * 60
    right = login(hall.url)[1]  # the right password is refused while locked
    assert right.status_code == 429 and code(right) == "E-AUTH-06"
    assert 0 < int(right.headers["Retry-After"]) <= LOCK_MINUTES * 60
    # another login from the same address is not locked
    assert login(hall.url, user="boss")[1].status_code == 200
    hall.clock.advance(LOCK_MINUTES * 60 + 1)
    assert login(hall.url)[1].status_code == 200


def test_failures_older_than_the_window_start_over(hall):
    for _ in range(ATTEMPTS - 1):
        login(hall.url, password="wrong-pass")
    hall.clock.advance(LOCK_MINUTES * 60 + 1)
    assert code(login(hall.url, password="wrong-pass")[1]) == "E-AUTH-05"  # count is 1 again
    assert login(hall.url)[1].status_code == 200


def test_lock_out_is_shared_by_two_servers_on_one_database(hall, tmp_path, db_url):
    """A second server process (here: a second server on the same database) sees the count."""
    second = start_server_thread(
        tmp_path / "hall", db_url=db_url, clock=hall.clock, overrides=OVERRIDES
    )
    try:
        urls = [hall.url, second.url]
        for i in range(ATTEMPTS):
            resp = login(urls[i % 2], password="wrong-pass")[1]
        assert code(resp) == "E-AUTH-06"
        assert code(login(hall.url)[1]) == "E-AUTH-06"
        assert code(login(second.url)[1]) == "E-AUTH-06"
    finally:
        second.stop()


def test_sign_in_expires(hall):
    s, _ = login(hall.url)
    assert s.get(f"{hall.url}/api/v1/staff/me", timeout=10).status_code == 200
    hall.clock.advance(SESSION_HOURS * 3600 + 1)
    expired = s.get(f"{hall.url}/api/v1/staff/me", timeout=10)
    assert expired.status_code == 401 and code(expired) == "E-AUTH-07"
    never = requests.get(f"{hall.url}/api/v1/staff/me", timeout=10)
    assert never.status_code == 401 and code(never) == "E-AUTH-07"


def test_logout_needs_the_csrf_token(hall):
    s, resp = login(hall.url)
    csrf = resp.json()["csrf"]
    accept = {"Accept": "application/json"}
    missing = s.post(f"{hall.url}/staff/logout", headers=accept, timeout=10)
    assert missing.status_code == 403 and code(missing) == "E-AUTH-08"
    forged = s.post(
        f"{hall.url}/staff/logout", headers={**accept, "X-CSRF-Token": csrf[:-2] + "xx"}, timeout=10
    )
    assert forged.status_code == 403 and code(forged) == "E-AUTH-08"
    assert s.get(f"{hall.url}/api/v1/staff/me", timeout=10).status_code == 200  # still signed in
    done = s.post(f"{hall.url}/staff/logout", headers={**accept, "X-CSRF-Token": csrf}, timeout=10)
    assert done.status_code == 200
    assert s.get(f"{hall.url}/api/v1/staff/me", timeout=10).status_code == 401


def test_password_change_and_disable_end_sign_ins(hall):
    from hall_server import staff

    s, _ = login(hall.url)
    with hall.database.write() as conn:
        staff.set_password(conn, "han", "a-new-password", now=hall.clock.now())
    assert code(s.get(f"{hall.url}/api/v1/staff/me", timeout=10)) == "E-AUTH-07"
    assert code(login(hall.url)[1]) == "E-AUTH-05"
    s, resp = login(hall.url, password="a-new-password")
    assert resp.status_code == 200
    with hall.database.write() as conn:
        staff.set_disabled(conn, "han", True, now=hall.clock.now())
    assert code(s.get(f"{hall.url}/api/v1/staff/me", timeout=10)) == "E-AUTH-07"


def test_counter_board_checks_the_clerks_counters(hall):
    s, _ = login(hall.url)
    ok = s.get(f"{hall.url}/counter/board", params={"counter": "01"}, timeout=10)
    assert ok.status_code == 200 and ok.json()["counter"] == "01"
    other = s.get(f"{hall.url}/counter/board", params={"counter": "02"}, timeout=10)
    assert other.status_code == 403 and code(other) == "E-QUE-12"
    boss, _ = login(hall.url, user="boss")  # a manager may use every counter
    assert boss.get(f"{hall.url}/counter/board", params={"counter": "02"}, timeout=10).ok
    unknown = boss.get(f"{hall.url}/counter/board", params={"counter": "99"}, timeout=10)
    assert unknown.status_code == 404 and code(unknown) == "E-QUE-11"
    anonymous = requests.get(f"{hall.url}/counter/board", params={"counter": "01"}, timeout=10)
    assert anonymous.status_code == 401 and code(anonymous) == "E-AUTH-07"


def test_form_sign_in_redirects_and_never_to_another_site(hall):
    s = requests.Session()
    form = {"login": "han", "password": PASSWORD, "next": "//evil.example/x"}
    resp = s.post(f"{hall.url}/staff/login", data=form, allow_redirects=False, timeout=30)
    assert resp.status_code == 303 and resp.headers["location"] == "/counter"
    page = s.get(f"{hall.url}/counter", timeout=10)
    assert page.status_code == 200 and 'data-counter="01"' in page.text
    bad = requests.post(
        f"{hall.url}/staff/login", data={"login": "han", "password": "x" * 9}, timeout=30
    )
    assert bad.status_code == 401 and "E-AUTH-05" in bad.text and "<form" in bad.text
    empty = requests.post(f"{hall.url}/staff/login", json={"login": "han"}, timeout=10)
    assert empty.status_code == 422 and code(empty) == "E-API-02"


def test_account_rules(hall):
    from common.errors import KioskError
    from hall_server import staff

    now = hall.clock.now()
    cases = [
        dict(login="han", name="x", role="clerk", counters=["01"], password=PASSWORD),  # taken
        dict(login="a b", name="x", role="clerk", counters=["01"], password=PASSWORD),
        dict(login="new", name="x", role="boss", counters=["01"], password=PASSWORD),
        dict(login="new", name="x", role="clerk", counters=[], password=PASSWORD),
        dict(login="new", name="x", role="clerk", counters=["01"], password="short"),
        dict(login="new", name="x", role="clerk", counters=["01;drop"], password=PASSWORD),
    ]
    for case in cases:
        with pytest.raises(KioskError) as err, hall.database.write() as conn:
            staff.add_staff(conn, now=now, **case)
        assert err.value.code == "E-API-02", case


def test_cli_manages_staff(tmp_path: Path):
    env = {"KIOSK_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    where = ["--data-dir", str(tmp_path / "data")]

    def kiosk(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "kiosk", "admin", "staff", *args, *where, "--json"],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=REPO,
            env=env,
            timeout=120,
        )

    added = kiosk(
        "add",
        "clerk07",
        "--name",
        "韩梅梅",
        "--counters",
        "07,08",
        "--password-stdin",
        stdin="secret-pass-1\n",
    )
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["counters"] == ["07", "08"]
    no_tty = kiosk("add", "clerk08", "--name", "x", "--counters", "07", stdin="")
    assert no_tty.returncode == 2 and "--password-stdin" in no_tty.stdout
    short = kiosk("passwd", "clerk07", "--password-stdin", stdin="short\n")
    assert short.returncode == 8 and json.loads(short.stdout)["error"]["code"] == "E-API-02"
    assert kiosk("passwd", "clerk07", "--password-stdin", stdin="another-pass\n").returncode == 0
    assert json.loads(kiosk("disable", "clerk07").stdout)["disabled"] is True
    listed = json.loads(kiosk("list").stdout)["staff"]
    assert [(s["login"], s["disabled"]) for s in listed] == [("clerk07", True)]
    assert "password" not in json.dumps(listed)
    assert kiosk("disable", "nobody").returncode == 6

    from hall_server.admin import database_for
    from hall_server.staff import get_staff, select_row, verify_password

    settings = isolated_settings(tmp_path)
    with database_for(settings, tmp_path / "data", None) as db, db.read() as conn:
        assert verify_password("another-pass", select_row(conn, "clerk07").password_hash)
        assert get_staff(conn, "clerk07").disabled


def test_a_signed_in_clerk_works_the_counter_routes(hall):
    """Cookie + X-CSRF-Token is a counter actor; tickets and events record the clerk."""
    from sqlalchemy import select

    from hall_server.schema import ticket_events, tickets

    kiosk = hall.api("kiosk", "K-1")
    assert kiosk.ticket("ZH").status_code == 201
    s, resp = login(hall.url)
    csrf, clerk_id = resp.json()["csrf"], resp.json()["staff"]["id"]
    url = f"{hall.url}/api/v1/queue/counters/01"
    no_csrf = s.post(f"{url}/call-next", json={}, timeout=10)
    assert no_csrf.status_code == 403 and code(no_csrf) == "E-AUTH-08"
    forged = s.post(f"{url}/call-next", json={}, headers={"X-CSRF-Token": "x" * 43}, timeout=10)
    assert forged.status_code == 403 and code(forged) == "E-AUTH-08"
    other = s.post(
        f"{hall.url}/api/v1/queue/counters/02/call-next",
        json={}, headers={"X-CSRF-Token": csrf}, timeout=10,
    )
    assert other.status_code == 403 and code(other) == "E-QUE-12"
    with hall.database.read() as conn:  # nothing was half-applied by the refusals
        assert conn.execute(select(tickets.c.status)).scalars().all() == ["waiting"]
    called = s.post(f"{url}/call-next", json={}, headers={"X-CSRF-Token": csrf}, timeout=10)
    assert called.status_code == 200 and called.json()["status"] == "called"
    started = s.post(f"{url}/start", headers={"X-CSRF-Token": csrf}, timeout=10)
    assert started.json()["status"] == "serving"
    view = s.get(url, timeout=10)  # a GET needs no CSRF token
    assert view.status_code == 200 and view.json()["current"]["number"] == called.json()["number"]
    with hall.database.read() as conn:
        row = conn.execute(select(tickets)).one()
        events = conn.execute(
            select(ticket_events.c.to_state, ticket_events.c.actor_kind, ticket_events.c.actor_id)
            .where(ticket_events.c.ticket_id == row.id)
            .order_by(ticket_events.c.pk)
        ).all()
    assert row.staff == clerk_id
    assert [tuple(e) for e in events[1:]] == [
        ("called", "staff", clerk_id),
        ("serving", "staff", clerk_id),
    ]
    hall.clock.advance(SESSION_HOURS * 3600 + 1)
    expired = s.post(f"{url}/finish", headers={"X-CSRF-Token": csrf}, timeout=10)
    assert expired.status_code == 401 and code(expired) == "E-AUTH-07"


def test_serve_demo_prints_the_counter_page_and_a_working_demo_clerk(tmp_path: Path):
    from hall_server.demo import DEMO_CLERK
    from tests.support.server import start_server_process

    with start_server_process(tmp_path / "hall", demo=True) as server:
        line = server.proc.stdout.readline().strip()  # the line after "serving on …"
        assert line.startswith(f"counter page: {server.url}/counter")
        assert f"{DEMO_CLERK['login']} / {DEMO_CLERK['password']}" in line
        s, resp = login(server.url, DEMO_CLERK["login"], DEMO_CLERK["password"])
        assert resp.status_code == 200 and resp.json()["staff"]["counters"] == ["01", "02", "03"]
        page = s.get(f"{server.url}/counter", params={"counter": "01"}, timeout=10)
        assert page.status_code == 200 and "/static/counter.js" in page.text
        assert s.get(f"{server.url}/static/counter.js", timeout=10).status_code == 200
        server.restart()  # loading the demo again keeps the clerk (and its password)
        assert login(server.url, DEMO_CLERK["login"], DEMO_CLERK["password"])[1].ok


def test_stale_wrong_password_counts_are_purged(hall):
    from sqlalchemy import select

    from hall_server.schema_staff import staff_login_failures

    for name in ("ghost1", "ghost2", "ghost3"):
        login(hall.url, user=name, password="wrong-pass")
    hall.clock.advance(LOCK_MINUTES * 60 + 1)
    login(hall.url, user="ghost4", password="wrong-pass")
    with hall.database.read() as conn:
        logins = conn.execute(select(staff_login_failures.c.login)).scalars().all()
    assert logins == ["ghost4"]


def test_pages_use_only_their_own_assets_and_both_languages_are_complete(hall):
    import re

    from hall_server.pages.i18n import STRINGS

    assert STRINGS["zh"].keys() == STRINGS["en"].keys()
    s, _ = login(hall.url)
    pages = [
        requests.get(f"{hall.url}/counter", timeout=10).text,  # sign-in form
        s.get(f"{hall.url}/counter", timeout=10).text,  # choice of counter
        s.get(f"{hall.url}/counter", params={"counter": "01", "lang": "en"}, timeout=10).text,
    ]
    for html in pages:
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert assets and all(a.startswith(("/", "#")) for a in assets), assets  # no CDN
        for asset in (a.split("?")[0] for a in assets if a.startswith("/static/")):
            assert s.get(f"{hall.url}{asset}", timeout=10).status_code == 200, asset
    assert "Call next" in pages[2] and 'lang="en"' in pages[2]
    assert s.cookies.get("hall_lang") == "en"  # remembered for the next page
    assert "叫下一号" in s.get(f"{hall.url}/counter?counter=01&lang=zh", timeout=10).text
