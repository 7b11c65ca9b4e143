"""The printed one-time checklist (一次性告知单) of a catalog item: the same elements as the
guide page (conditions, materials, situations with their extra materials, time limits, fee,
place, hours, phone), so the slip a citizen takes home is the whole guide in short."""

from __future__ import annotations

from typing import Any

from hardware.printer import ChecklistSlip, MaterialLine, SituationLine


def time_limit_text(item: dict[str, Any]) -> str:
    if item.get("handling_type") == "即办件":
        return "即办件，当场办结"
    parts = []
    if item.get("legal_days"):
        parts.append(f"法定 {item['legal_days']} 个工作日")
    if item.get("promised_days"):
        parts.append(f"承诺 {item['promised_days']} 个工作日")
    return "，".join(parts)


def fee_text(item: dict[str, Any]) -> str:
    fee = item.get("fee") or {}
    if not fee.get("charged"):
        return "不收费"
    text = fee.get("amount") or "收费"
    return f"{text}（{fee['basis']}）" if fee.get("basis") else text


def checklist_slip(
    item: dict[str, Any], *, hall_name: str, guide_url: str, printed_at: str = ""
) -> ChecklistSlip:
    """The slip for a catalog item (the mirrored catalog's JSON, common.wire.CatalogItem)."""
    return ChecklistSlip(
        hall_name=hall_name,
        item_title=item["title"],
        item_code=item.get("code", ""),
        conditions=tuple(item.get("conditions", ())),
        materials=[
            MaterialLine(name=m["name"], form=m.get("form", "原件"), copies=m.get("copies", 1),
                         required=m.get("required", True), note=m.get("note", ""))
            for m in item.get("materials", ())
        ],
        situations=[
            SituationLine(name=s["name"], description=s.get("description", ""),
                          materials=tuple(s.get("materials", ())))
            for s in item.get("situations", ())
        ],
        time_limit=time_limit_text(item),
        fee=fee_text(item),
        place=item.get("location", ""),
        hours=item.get("hours", ""),
        phone=item.get("phone", ""),
        guide_url=guide_url,
        printed_at=printed_at,
    )
