"""今日剩余 N 个号 (#12): a service under its daily cap says how many tickets are left today once
few are (kiosk.few_left), counted from the hall server's list at the last sync; offline the
count may be stale, so the screen says nothing rather than a wrong number."""

from __future__ import annotations

import pytest

from tests.ui.test_viewmodels import Rig

pytestmark = pytest.mark.ui


@pytest.fixture
def few_rig(hall, tmp_path):
    r = Rig(hall, tmp_path, extra_env={"KIOSK_KIOSK_FEW_LEFT": "1000"})  # every cap is "few"
    yield r
    r.close()


def _details(rig) -> dict[str, str]:
    services = rig.vm("services")
    services.load()
    rig.settle(lambda: not services.loading)
    services.show_tab("")
    rows = services._service_rows()  # every service, not one page
    return {r["code"]: r["detail"] for r in rows}


def test_few_left_counts_down_from_the_servers_list_and_says_nothing_offline(few_rig):
    rig = few_rig
    rig.session.go("services")
    capped = {s.code: s.left_today for s in rig.core.list_services() if s.left_today is not None}
    assert capped, "the demo hall caps some services"
    code, left = next((c, n) for c, n in capped.items() if n > 1)
    assert _details(rig)[code].endswith(f"今日剩余 {left} 个号")
    services = rig.vm("services")
    services.pick(code)
    rig.settle(lambda: rig.session.current == "ticket")
    rig.core.sync_once()  # the server's list now counts the ticket just taken
    rig.session.go("services")
    assert _details(rig)[code].endswith(f"今日剩余 {left - 1} 个号")
    uncapped = [s.code for s in rig.core.list_services() if s.left_today is None and s.open]
    assert all("今日剩余" not in _details(rig)[c] for c in uncapped)
    rig.session.connectivity = "offline"
    assert not any("今日剩余" in d for d in _details(rig).values())

