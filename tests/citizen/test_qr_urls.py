"""Every address a kiosk puts in a QR code opens a page on a running hall server (real HTTP):
tickets issued online and offline (before and after sync), guides, application receipts.
The addresses come from the kiosk itself (kiosk.core / kiosk.tickets → common/urls.py)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import requests

from common import urls
from common.paths import config_dir


def fetch(url: str, **kw) -> requests.Response:
    resp = requests.get(url, timeout=10, **kw)
    assert resp.headers["content-type"].startswith("text/html"), (url, resp.text[:200])
    assert '{"error"' not in resp.text and "Traceback" not in resp.text
    return resp


def demo_item_codes() -> list[str]:
    lines = (config_dir() / "demo" / "catalog.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["code"] for line in lines if line.strip()]


def test_every_qr_the_kiosk_prints_opens_a_page(rig):
    core = rig.core
    # ticket issued online: the server's address
    online = core.take_ticket("ZHSL", print_slip=False)
    assert not online.offline and "/t/pending/" not in online.url
    page = fetch(online.url)
    assert page.status_code == 200 and online.number in page.text and 'id="state"' in page.text

    # ticket issued offline: the kiosk's address, known to the server only after sync
    rig.offline()
    offline = core.take_ticket("ZHSL", print_slip=False)
    assert offline.offline
    assert urlsplit(offline.url).path.startswith("/t/pending/")
    before = fetch(offline.url)
    assert (
        before.status_code == 200
        and "尚未同步" in before.text
        and offline.number not in before.text
    )
    assert "keep your slip" in fetch(offline.url, params={"lang": "en"}).text
    rig.sync()
    after = fetch(offline.url)
    assert after.status_code == 200 and offline.number in after.text, after.text
    assert urlsplit(after.url).path == urls.TICKET_PATH.format(
        ticket_id=after.url.rsplit("/", 1)[1]
    )
    # the kiosk's own view keeps the printed address; it still works
    assert core.store.query("SELECT url FROM ticket WHERE number = ?", (offline.number,))

    # guides: every item of the demo catalog
    for code in demo_item_codes():
        url = core.guide_url(code)
        assert urlsplit(url).path == f"/guide/{code}"
        item = core.get_item(code)
        page = fetch(url)
        assert page.status_code == 200 and item["title"] in page.text, code

    # application receipt: /a/{number}?t={token}, token issued by the server
    demo = json.loads(
        (config_dir() / "demo" / "applications.jsonl").read_text(encoding="utf-8").splitlines()[0]
    )
    sub = core.submit_application(demo["form"], demo["fields"], item=demo["item"])
    assert sub.number and sub.receipt_url
    token = parse_qs(urlsplit(sub.receipt_url).query)[urls.APPLICATION_TOKEN_PARAM][0]
    assert len(token) >= 16
    page = fetch(sub.receipt_url)
    assert page.status_code == 200 and sub.number in page.text
    assert demo["fields"]["id_number"] not in page.text
    name = demo["fields"].get("operator_name") or demo["fields"].get("name")
    assert name not in page.text and name[0] + "*" in page.text
    # without the token: no data at all
    bare = fetch(sub.receipt_url.split("?")[0])
    assert bare.status_code == 403 and sub.number not in bare.text and "自助终端" in bare.text


def test_offline_application_receipt_opens_after_sync(rig):
    """Queued while offline, the application's number and token arrive with the sync reply."""
    core = rig.core
    demo = json.loads(
        (config_dir() / "demo" / "applications.jsonl").read_text(encoding="utf-8").splitlines()[0]
    )
    rig.offline()
    sub = core.submit_application(demo["form"], demo["fields"], item=demo["item"])
    assert sub.status == "queued" and sub.number is None
    # the receipt's QR: the kiosk's key, known to the server only after sync
    assert urlsplit(sub.receipt_url).path == f"/a/pending/{sub.local_id}"
    before = fetch(sub.receipt_url)
    assert before.status_code == 200 and "尚未同步" in before.text
    assert "keep your receipt" in fetch(sub.receipt_url, params={"lang": "en"}).text
    rig.sync()
    after = fetch(sub.receipt_url)  # redirected to /a/{number}?t={token}
    row = core.store.query("SELECT number FROM submission WHERE key = ?", (sub.local_id,))[0]
    assert after.status_code == 200 and row["number"] in after.text, after.text
    assert urlsplit(after.url).path == f"/a/{row['number']}"
    assert demo["fields"]["id_number"] not in after.text
    # a made-up key shows the same "not yet" page: it never tells whether a key exists
    made_up = urls.offline_application_url(core.public_base_url(), "0" * 32)
    assert "尚未同步" in fetch(made_up).text
    assert fetch(urls.offline_application_url(core.public_base_url(), "x")).status_code == 404
    assert row["number"]
    reply = json.loads(
        core.store.query("SELECT result FROM outbox WHERE key = ?", (sub.local_id,))[0]["result"]
    )
    assert reply["number"] == row["number"] and reply["token"]
    page = fetch(urls.application_url(core.public_base_url(), row["number"], reply["token"]))
    assert page.status_code == 200 and row["number"] in page.text


def test_the_kiosk_reads_back_the_receipt_codes_it_prints():
    number = "SQ20261207P72DJB4HBC"
    for text in (
        urls.application_url("http://hall.example:8080/", number, "ee64xdt5p7x44bsa"),
        urls.application_url("https://hall.example", number),
        number,
        number.lower(),
        f"https://hall.example/a/{number}/",
    ):
        assert urls.application_number_from(text) == number, text
    for text in (
        "a random QR that is not ours",
        "https://hall.example/guide/SQ20261207P72DJB4HBC",
        urls.offline_ticket_url("http://h", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"),
    ):
        assert urls.application_number_from(text) is None, text


def test_addresses_are_built_under_any_base():
    assert urls.ticket_url("http://h:1/", "abc") == "http://h:1/t/abc"
    assert urls.offline_ticket_url("http://h", "k-1") == "http://h/t/pending/k-1"
    assert urls.guide_url("http://h/", "GA-0001") == "http://h/guide/GA-0001"
    assert urls.application_url("http://h", "SQ1", "tok") == "http://h/a/SQ1?t=tok"
    assert urls.offline_application_url("http://h/", "k-1") == "http://h/a/pending/k-1"
    assert urls.guide_url("http://h", "a/b") == "http://h/guide/a%2Fb"  # one path segment


def test_offline_application_local_number_is_found_by_the_progress_query(rig):
    """Queued offline, the done screen's 登记号 finds the application in the kiosk's progress
    query: waiting while offline, then under the server's 受理编号 once synced."""
    core = rig.core
    demo = json.loads(
        (config_dir() / "demo" / "applications.jsonl").read_text(encoding="utf-8").splitlines()[0]
    )
    rig.offline()
    sub = core.submit_application(demo["form"], demo["fields"], item=demo["item"])
    assert sub.status == "queued" and len(sub.local_number) == 8
    waiting = core.progress(sub.local_number.lower())
    assert waiting.status == "queued" and waiting.number == sub.local_number
    assert waiting.item == sub.item and waiting.item_title == sub.item_title
    from screens.viewmodels.progress import progress_detail

    shown = progress_detail(waiting)  # the progress screen: a 登记号, waiting to be sent
    assert shown["detail_number"] == f"登记号：{sub.local_number}"
    assert shown["detail_status"].startswith("待提交")
    rig.sync()
    synced = core.progress(sub.local_number)
    assert synced.number.startswith("SQ") and synced.status == "submitted"
    assert synced.item == sub.item
