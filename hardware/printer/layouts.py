"""What the kiosk prints: queue tickets, one-time notices of materials (一次性告知单) and
application receipts. Pure functions from data to ESC/POS bytes; no device involved."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from hardware.printer.document import DEFAULT_PROFILE, Document, PrintProfile
from hardware.printer.raster import FontChain


@dataclass(frozen=True)
class TicketSlip:
    hall_name: str
    number: str  # "A001" or an offline number like "A-K3-017"
    service_name: str
    service_name_en: str
    people_ahead: int
    issued_at: str  # already formatted local time "2026-11-23 09:15"
    url: str  # the QR payload: the ticket's public status URL
    offline: bool = False  # printed prominently, with a line explaining it
    priority_label: str = ""  # e.g. "优先 · 残疾人" (ticket_marks)
    footer: str = ""  # e.g. "请留意叫号，过号需重新取号"
    marks: Sequence[str] = ()  # what else kind of ticket it is: "预约 / appointment" …
    hall_display: bool = False  # the hall has a call display the slip may send people to


def sample_slip(url: str, issued_at: str) -> TicketSlip:
    """The printer test's slip: Chinese, English, a rare name character (raster) and ¥."""
    return TicketSlip(
        hall_name="政务服务中心 打印测试",
        number="T001",
        service_name="社会保障卡补办",
        service_name_en="Social security card replacement",
        people_ahead=3,
        issued_at=issued_at,
        url=url,
        priority_label="优先",
        footer="生僻字：王䶮  金额：¥12.50\n请留意叫号，过号需重新取号",
    )


@dataclass(frozen=True)
class MaterialLine:
    name: str
    form: str  # "原件", "复印件", "电子" or a combination such as "原件及复印件"
    copies: int = 1
    required: bool = True
    note: str = ""


@dataclass(frozen=True)
class SituationLine:
    """A 情形 of the guide: when it applies and what it adds to the materials."""

    name: str
    description: str = ""
    materials: Sequence[str] = ()


@dataclass(frozen=True)
class ChecklistSlip:
    """一次性告知单: everything a citizen must bring, so one visit is enough — the same
    elements as the guide page: conditions, materials, situations, time limits, fee, place."""

    hall_name: str
    item_title: str
    materials: Sequence[MaterialLine]
    place: str
    hours: str
    phone: str
    guide_url: str  # QR payload: the item's public guide page
    item_code: str = ""
    printed_at: str = ""
    footer: str = ""
    conditions: Sequence[str] = ()
    situations: Sequence[SituationLine] = ()
    time_limit: str = ""  # e.g. "法定 20 个工作日，承诺 5 个工作日" or "即办件，当场办结"
    fee: str = ""  # e.g. "不收费" or "20元/证（依据…）"


@dataclass(frozen=True)
class ReceiptSlip:
    hall_name: str
    application_number: str
    item_title: str
    submitted_at: str
    status: str  # e.g. "已提交", "待受理"
    url: str  # QR payload: the application's public progress page
    promised_days: int | None = None
    footer: str = ""
    extra_lines: Sequence[str] = field(default_factory=tuple)


# The offline notice: a citizen holding this slip must understand why it looks different.
OFFLINE_TITLE = "离线取号 / issued offline"
OFFLINE_EXPLAIN = (
    "网络暂时中断，本号由本机离线签发，叫号顺序以大厅显示屏为准。\n"
    "The hall network was down when this ticket was issued; "
    "watch the display for your number."
)
# the same where the hall has no call display (settings kiosk.hall_display = false)
OFFLINE_EXPLAIN_NO_DISPLAY = (
    "网络暂时中断，本号由本机离线签发，联网后扫码可查看排队进度，请留意叫号。\n"
    "The hall network was down when this ticket was issued; "
    "scan the code later to follow it, and listen for your number."
)
OFFLINE_AHEAD = "等候人数请看大厅显示屏 / see the hall display"
OFFLINE_AHEAD_NO_DISPLAY = "等候人数联网后扫码可查看 / scan later for people ahead"
PRIORITY_WORDS = {  # wire.PriorityReason → the slip's words
    "elderly": "老年人 / senior",
    "disabled": "残疾人 / disability",
    "pregnant": "孕妇 / pregnancy",
    "military": "军人 / military",
}


def ticket_marks(
    priority: str | None, *, appointment: bool = False, real_name: bool = False
) -> tuple[str, list[str]]:
    """(the priority line, the other marks) a slip prints for what kind of ticket it is."""
    label = ""
    if priority:
        label = f"优先 Priority · {PRIORITY_WORDS.get(priority, priority)}"
    marks = []
    if appointment:
        marks.append("预约签到 / appointment")
    if real_name:
        marks.append("实名取号 / real name")
    return label, marks
TICKET_QR_CAPTION = "扫码查看排队进度 / Scan to follow your ticket"


def _number_size(number: str, profile: PrintProfile) -> int:
    """The largest GS ! magnification (up to 4) at which the number fits on one line."""
    for size in (4, 3, 2):
        if len(number) * size <= profile.columns:
            return size
    return 1


def render_ticket(
    slip: TicketSlip, *, profile: PrintProfile = DEFAULT_PROFILE, fonts: FontChain | None = None
) -> bytes:
    """The exact ESC/POS bytes of a queue ticket."""
    doc = Document(profile, fonts)
    doc.text(slip.hall_name, align="center", bold=True)
    doc.rule()
    if slip.offline:
        doc.text(OFFLINE_TITLE, align="center", size=(1, 2), bold=True)
    if slip.priority_label:
        doc.text(slip.priority_label, align="center", size=(1, 2), bold=True)
    if slip.marks:
        doc.text(" · ".join(slip.marks), align="center", bold=True)
    doc.text(slip.number, align="center", size=_number_size(slip.number, profile), bold=True)
    doc.text(slip.service_name, align="center", size=2)
    if slip.service_name_en:
        doc.text(slip.service_name_en, align="center")
    doc.blank()
    if slip.offline:  # the kiosk cannot know the queue while offline: say so, not a guess
        doc.text(OFFLINE_AHEAD if slip.hall_display else OFFLINE_AHEAD_NO_DISPLAY, align="center")
    else:
        doc.text(
            f"您前面还有 {slip.people_ahead} 人 / {slip.people_ahead} ahead of you", align="center"
        )
    doc.text(f"取号时间 {slip.issued_at}", align="center")
    if slip.offline:
        doc.rule()
        doc.text(OFFLINE_EXPLAIN if slip.hall_display else OFFLINE_EXPLAIN_NO_DISPLAY)
        doc.rule()
    doc.qr(slip.url)
    doc.text(TICKET_QR_CAPTION, align="center")
    if slip.footer:
        doc.text(slip.footer, align="center")
    return doc.cut().to_bytes()


def render_checklist(
    slip: ChecklistSlip, *, profile: PrintProfile = DEFAULT_PROFILE, fonts: FontChain | None = None
) -> bytes:
    """The exact ESC/POS bytes of a one-time notice of materials (一次性告知单)."""
    doc = Document(profile, fonts)
    doc.text(slip.hall_name, align="center")
    doc.text("一次性告知单", align="center", size=2, bold=True)
    doc.rule()
    doc.text(f"事项：{slip.item_title}", bold=True)
    if slip.item_code:
        doc.text(f"事项编码：{slip.item_code}")
    doc.rule()
    if slip.conditions:
        doc.text("受理条件：", bold=True)
        for n, condition in enumerate(slip.conditions, start=1):
            doc.text(f"{n}. {condition}")
        doc.rule()
    doc.text("申请材料：", bold=True)
    for n, material in enumerate(slip.materials, start=1):
        mark = "" if material.required else "（如有）"
        doc.text(f"{n}. {material.name}{mark}")
        detail = f"   {material.form} {material.copies} 份"
        if material.note:
            detail += f"；{material.note}"
        doc.text(detail)
    if any(s.materials for s in slip.situations):
        doc.blank()
        doc.text("不同情形另需材料：", bold=True)
        for situation in slip.situations:
            if not situation.materials:
                continue
            doc.text(f"【{situation.name}】")
            if situation.description:
                doc.text(situation.description)
            for material in situation.materials:
                doc.text(f"□ {material}")
    doc.rule()
    if slip.time_limit:
        doc.text(f"办理时限：{slip.time_limit}")
    if slip.fee:
        doc.text(f"收费：{slip.fee}")
    doc.text(f"办理地点：{slip.place}")
    doc.text(f"办理时间：{slip.hours}")
    doc.text(f"咨询电话：{slip.phone}")
    doc.blank()
    doc.qr(slip.guide_url)
    doc.text("扫码查看办事指南 / Scan for the full guide", align="center")
    if slip.printed_at:
        doc.text(f"打印时间 {slip.printed_at}", align="center")
    if slip.footer:
        doc.text(slip.footer, align="center")
    return doc.cut().to_bytes()


def render_receipt(
    slip: ReceiptSlip, *, profile: PrintProfile = DEFAULT_PROFILE, fonts: FontChain | None = None
) -> bytes:
    """The exact ESC/POS bytes of an application receipt (办件回执)."""
    doc = Document(profile, fonts)
    doc.text(slip.hall_name, align="center")
    doc.text("办件回执", align="center", size=2, bold=True)
    doc.rule()
    doc.text("受理编号 / Application number")
    doc.text(slip.application_number, size=(1, 2), bold=True)
    doc.text(f"事项：{slip.item_title}")
    doc.text(f"提交时间：{slip.submitted_at}")
    doc.text(f"当前状态：{slip.status}")
    if slip.promised_days is not None:
        doc.text(f"承诺办结时限：{slip.promised_days} 个工作日")
    for line in slip.extra_lines:
        doc.text(line)
    doc.rule()
    doc.qr(slip.url)
    doc.text("扫码查询办件进度 / Scan to follow your application", align="center")
    if slip.footer:
        doc.text(slip.footer, align="center")
    return doc.cut().to_bytes()
