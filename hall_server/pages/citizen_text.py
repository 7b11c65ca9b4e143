"""Words of the citizens' phone pages, Chinese and English (hall_server/pages/citizen.py)."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "lang_other": ("English", "中文"),
    "as_of": ("更新于", "As of"),
    # ticket
    "ticket": ("排队号", "Ticket"),
    "state": ("状态", "State"),
    "ahead": ("前面还有", "People ahead"),
    "ahead_unit": ("人", ""),
    "estimate": ("预计等候约 {m} 分钟", "About {m} min wait"),
    "no_estimate": ("暂无等候时间估计", "No wait estimate yet"),
    "counter": ("请到窗口", "Go to counter"),
    "counter_at": ("{counter}号窗口", "{counter}"),
    "waiting": ("等候中", "Waiting"),
    "called": ("请到窗口办理", "Please go to the counter"),
    "served": ("已办理", "Served"),
    "expired": ("已过期", "Expired"),
    "ticket_hint": (
        "请留意叫号，过号需重新取号。",
        "Watch the display: a missed number must take a new ticket.",
    ),
    "priority": ("优先", "Priority"),
    # offline ticket not yet known
    "pending_title": ("号码尚未同步", "Ticket not yet known"),
    "pending_body": (
        "这张号票是在自助终端断网时取的，大厅系统还没有收到它。号码有效，请保管好号票；"
        "终端恢复联网后，本页会显示排队情况。",
        "This ticket was issued while the kiosk was offline and the hall's system has not "
        "received it yet. Your number is valid: keep your slip. Once the kiosk is back online "
        "this page shows your place in the queue.",
    ),
    # offline application not yet known
    "app_pending_title": ("申请尚未同步", "Application not yet received"),
    "app_pending_body": (
        "这份申请是在自助终端断网时提交的，大厅系统还没有收到它。申请已保存在终端上，请保管好回执；"
        "终端恢复联网后，本页会显示受理编号和办理进度。",
        "This application was submitted while the kiosk was offline and the hall's system has "
        "not received it yet. It is saved on the kiosk: keep your receipt. Once the kiosk is back "
        "online this page shows the application number and its progress.",
    ),
    # guide
    "guide": ("办事指南", "Service guide"),
    "item_code": ("事项编码", "Item code"),
    "department": ("实施主体", "Department"),
    "item_type": ("事项类型", "Type"),
    "handling": ("办件类型", "Handling"),
    "same_day": ("即办件（当场办结）", "Same day"),
    "promised_type": ("承诺件", "Promised"),
    "conditions": ("受理条件", "Conditions"),
    "materials": ("申请材料", "Materials"),
    "required": ("必交", "required"),
    "optional": ("视情况", "if applicable"),
    "copy": ("份", "copy"),
    "copies": ("份", "copies"),
    "situations": ("不同情形", "Situations"),
    "extra_materials": ("另需材料", "Also bring"),
    "steps": ("办理流程", "Steps"),
    "limits": ("办理时限", "Time limits"),
    "legal_days": ("法定办结时限", "Legal time limit"),
    "promised_days": ("承诺办结时限", "Promised time limit"),
    "working_days": ("个工作日", "working days"),
    "fee": ("收费", "Fee"),
    "free": ("不收费", "Free of charge"),
    "place": ("办理地点", "Place"),
    "hours": ("办理时间", "Hours"),
    "phone": ("咨询电话", "Enquiries"),
    "complaint_phone": ("监督投诉电话", "Complaints"),
    "visits": ("到现场次数", "Visits in person"),
    "online": ("网上办理", "Apply online"),
    "legal_basis": ("设定依据", "Legal basis"),
    "faq": ("常见问题", "FAQ"),
    # application
    "application": ("办件进度", "Application progress"),
    "app_number": ("受理编号", "Application number"),
    "item": ("事项", "Service item"),
    "applicant": ("申请人", "Applicant"),
    "promised_by": ("承诺办结日期", "Promised by"),
    "days_left": ("剩余 {n} 个工作日", "{n} working days left"),
    "due_today": ("今天到期", "Due today"),
    "overdue": ("已超过承诺时限", "Past the promised date"),
    "history": ("办理记录", "History"),
    "sms_to": ("短信提醒", "SMS to"),
    "collect": ("领取地点", "Where to collect"),
    "submitted_on": ("提交时间", "Submitted"),
    # messages
    "unknown_title": ("未找到", "Not found"),
    "unknown_body": (
        "没有找到这个号码或编码，请核对二维码或号票上的内容。",
        "There is nothing under this code. Check the QR code or the number on your slip.",
    ),
    "deleted_title": ("该事项已停止办理", "This service is no longer offered"),
    "deleted_body": (
        "这个事项已从本大厅的目录中移除。请到自助终端查询或咨询工作人员。",
        "This service item was removed from the hall's catalog. Search at a kiosk or ask staff.",
    ),
    "token_title": ("请到自助终端查询", "Please check at a kiosk"),
    "token_body": (
        "为保护您的信息，本页只能通过回执上的二维码打开。请扫描回执上的二维码，"
        "或在大厅自助终端用受理编号或身份证查询办件进度。",
        "To protect your data this page opens only from the QR code on your receipt. Scan the "
        "code on the receipt, or check the progress at a kiosk in the hall with your "
        "application number or ID card.",
    ),
    "app_unknown_title": ("本大厅没有这个办件", "No such application in this hall"),
    "app_unknown_body": (
        "本大厅的系统中没有这个受理编号，它可能属于其他大厅，或已被撤销。请咨询办理窗口。",
        "This hall has no application with this number: it may belong to another hall or "
        "have been withdrawn. Please ask at a counter.",
    ),
}

STATUS_EN: dict[str, str] = {
    "submitted": "Submitted",
    "pending_acceptance": "Awaiting acceptance",
    "accepted": "Accepted",
    "correction_requested": "Missing materials requested",
    "under_review": "Under review",
    "suspended": "Suspended (special procedure)",
    "approved": "Done: approved",
    "rejected": "Done: not approved",
    "not_accepted": "Not accepted",
    "returned": "Returned",
    "ready_for_pickup": "Ready for pickup",
    "delivered": "Delivered",
}

MATERIAL_FORM_EN: dict[str, str] = {
    "原件": "original",
    "复印件": "copy",
    "电子": "electronic",
    "原件和复印件": "original and copy",
}
