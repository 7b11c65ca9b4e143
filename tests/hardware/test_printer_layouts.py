"""Tickets, notices and receipts: content, offline marking, and QR codes that decode."""

import shutil
import subprocess

import pytest

from hardware.printer import (
    ChecklistSlip,
    MaterialLine,
    PrintProfile,
    ReceiptSlip,
    TicketSlip,
    open_printer,
    render_checklist,
    render_receipt,
    render_ticket,
)
from hardware.printer.layouts import ticket_marks
from hardware.printer.readback import parse_escpos, printed_lines, qr_payloads, raster_images

URL = "https://hall.example.cn/t/7f3a9c1e-2b4d"

SLIP = TicketSlip(
    hall_name="杭州市民之家",
    number="A001",
    service_name="社会保障卡补办",
    service_name_en="Social security card replacement",
    people_ahead=4,
    issued_at="2026-11-23 09:15",
    url=URL,
    footer="请留意叫号，过号需重新取号",
)


def zbar_decode(image, tmp_path) -> list[str]:
    if shutil.which("zbarimg") is None:
        pytest.skip("zbarimg not installed: apt install zbar-tools (./dev setup does)")
    path = tmp_path / "qr.png"
    image.save(path)
    out = subprocess.run(
        ["zbarimg", "-q", "--raw", str(path)], capture_output=True, text=True, timeout=20
    )
    return out.stdout.splitlines()


def test_ticket_has_the_number_large_and_the_facts_a_citizen_needs():
    data = render_ticket(SLIP)
    lines = printed_lines(data)
    assert lines[0] == "杭州市民之家"
    assert "A001" in lines and "社会保障卡补办" in lines
    assert "Social security card replacement" in lines
    assert "您前面还有 4 人 / 4 ahead of you" in lines
    assert "取号时间 2026-11-23 09:15" in lines
    assert "请留意叫号，过号需重新取号" in lines
    commands = parse_escpos(data)
    number_at = next(i for i, c in enumerate(commands) if c.name == "text" and c.value == "A001")
    size = [c.value for c in commands[:number_at] if c.name == "size"][-1]
    assert size == 0x33  # 4× width and height
    assert commands[-1].name == "cut"
    assert "离线取号 / issued offline" not in lines


def test_offline_ticket_says_so_prominently_and_explains_instead_of_a_count():
    slip = TicketSlip(
        **{**SLIP.__dict__, "number": "A-K3-017", "offline": True, "priority_label": "优先"}
    )
    lines = printed_lines(render_ticket(slip))
    assert lines.index("离线取号 / issued offline") < lines.index("A-K3-017")
    assert "优先" in lines
    assert any("网络暂时中断" in line for line in lines)
    assert not any("ahead of you" in line for line in lines)  # no stale guess offline
    # no call display configured (the default): the slip sends nobody to one
    assert not any("display" in line or "显示屏" in line for line in lines)
    assert any("listen for your number" in line for line in lines)
    shown = printed_lines(render_ticket(TicketSlip(**{**slip.__dict__, "hall_display": True})))
    assert any("watch the display" in line for line in shown)


def test_priority_appointment_and_real_name_tickets_say_so_on_the_slip():
    label, marks = ticket_marks("disabled", appointment=True, real_name=True)
    slip = TicketSlip(**{**SLIP.__dict__, "priority_label": label, "marks": marks})
    text = "\n".join(printed_lines(render_ticket(slip)))
    assert "优先 Priority · 残疾人 / disability" in text
    assert "预约签到 / appointment · 实名取号 / real name" in text
    assert ticket_marks(None) == ("", [])  # a normal ticket prints neither


def test_native_qr_store_command_carries_the_exact_url_bytes():
    assert qr_payloads(render_ticket(SLIP)) == [URL.encode("ascii")]


def test_ticket_printed_to_a_file_target_decodes_back_with_zbar(tmp_path):
    out = tmp_path / "ticket.bin"
    with open_printer(f"file:{out}?qr=raster") as printer:
        printer.print_ticket(SLIP)
    data = out.read_bytes()
    assert data == render_ticket(SLIP, profile=PrintProfile(qr="raster"))
    assert qr_payloads(data) == []  # raster variant: no native QR command
    (qr,) = [img for img in raster_images(data) if img.height > 100]
    assert zbar_decode(qr, tmp_path) == [URL]


def test_file_target_appends(tmp_path):
    out = tmp_path / "t.bin"
    for _ in range(2):
        with open_printer(f"file:{out}") as printer:
            printer.print_ticket(SLIP)
    data = out.read_bytes()
    assert data == render_ticket(SLIP) * 2
    assert sum(c.name == "init" for c in parse_escpos(data)) == 2


def test_58mm_profile_wraps_to_32_columns_and_still_decodes(tmp_path):
    profile = PrintProfile(width_dots=384, qr="raster", qr_module=4)
    data = render_ticket(SLIP, profile=profile)
    images = raster_images(data)
    assert all(img.width == 384 for img in images)
    assert all(
        len(line.encode("gbk")) <= 32
        for line in printed_lines(data)
        if line != "[raster]" and line not in ("A001",)
    )
    (qr,) = [img for img in images if img.height > 100]
    assert zbar_decode(qr, tmp_path) == [URL]


def test_rare_name_character_goes_as_raster_among_normal_lines():
    slip = TicketSlip(**{**SLIP.__dict__, "footer": "王䶮 请到3号窗口"})
    data = render_ticket(slip)
    lines = printed_lines(data)
    assert lines[-1] == "[raster]" and "A001" in lines
    assert all("䶮" not in line for line in lines)


def test_checklist_lists_every_material_with_form_and_copies(tmp_path):
    slip = ChecklistSlip(
        hall_name="杭州市民之家",
        item_title="城乡居民养老保险参保登记",
        item_code="330100-000-XK-0001",
        materials=[
            MaterialLine("居民身份证", "原件", 1),
            MaterialLine("户口簿", "复印件", 2),
            MaterialLine("委托书", "原件", 1, required=False, note="代办时提供"),
        ],
        place="一楼 12 号窗口",
        hours="工作日 9:00-17:00",
        phone="0571-12345",
        guide_url="https://hall.example.cn/g/330100-000-XK-0001",
        printed_at="2026-11-23 09:20",
    )
    data = render_checklist(slip, profile=PrintProfile(qr="raster"))
    lines = printed_lines(data)
    assert "一次性告知单" in lines
    assert "1. 居民身份证" in lines and "   原件 1 份" in lines
    assert "2. 户口簿" in lines and "   复印件 2 份" in lines
    assert "3. 委托书（如有）" in lines and "   原件 1 份；代办时提供" in lines
    assert "办理地点：一楼 12 号窗口" in lines and "咨询电话：0571-12345" in lines
    (qr,) = [img for img in raster_images(data) if img.height > 100]
    assert zbar_decode(qr, tmp_path) == [slip.guide_url]


def test_receipt_carries_number_status_and_progress_qr():
    slip = ReceiptSlip(
        hall_name="杭州市民之家",
        application_number="SB20261123000042",
        item_title="社会保障卡补办",
        submitted_at="2026-11-23 10:02",
        status="已提交",
        url="https://hall.example.cn/a/SB20261123000042",
        promised_days=5,
    )
    data = render_receipt(slip)
    lines = printed_lines(data)
    assert "SB20261123000042" in lines
    assert "当前状态：已提交" in lines and "承诺办结时限：5 个工作日" in lines
    assert qr_payloads(data) == [slip.url.encode()]
