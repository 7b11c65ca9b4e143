"""Write the demo data of the fictional 示例市政务服务中心 (sample data, not a real hall):

    common/defaults/demo/catalog.jsonl       service items, one common.wire.CatalogItemIn per line
    common/defaults/demo/applications.jsonl  applications in every status, for progress lookups
    common/defaults/demo/appointments.toml   today's appointments, for check-in at the kiosk

Deterministic: the same tables give byte-identical files (tests regenerate and compare).
The item tables live in tools/demo_items.py; forms come from common/defaults/forms/*.toml and must
name exactly the items that name them (checked here before anything is written).

    .venv/bin/python tools/make_demo_catalog.py          # write the files
    .venv/bin/python tools/make_demo_catalog.py --check  # exit 1 if the files are stale
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))
TOOLS = Path(__file__).resolve().parent
if str(TOOLS) not in sys.path:
    sys.path.insert(0, str(TOOLS))

from demo_items import ITEMS, Spec  # noqa: E402

from common.forms import FormDef, fill_from_card, load_forms, validate_fields  # noqa: E402
from common.validators import id_check_char  # noqa: E402
from common.wire import APPLICATION_STATUSES, CatalogItemIn  # noqa: E402
from hall_server.synthetic import (  # noqa: E402
    COMPLAINT_PHONE,
    DEPARTMENTS_BY_CODE,
    ONLINE_BASE,
    counter_location,
    demo_queue_services,
)

DEMO_DIR = ROOT / "common" / "defaults" / "demo"
FORMS_DIR = ROOT / "common" / "defaults" / "forms"
CST = timezone(timedelta(hours=8))
# Every history entry of the demo applications happened before this moment.
AS_OF = datetime(2026, 11, 20, 18, 0, tzinfo=CST)
MARRIAGE_HOURS = (
    "周一至周五 上午9:00-12:00，下午13:30-17:30；5月20日、七夕节等特殊日期遇周末照常办理"
)


# --- catalog ---------------------------------------------------------------------------------
def _agent_situation(spec: Spec) -> dict:
    if "法人" in spec.who and "个人" not in spec.who:
        if spec.t == "行政许可":
            return {
                "name": "告知承诺制办理",
                "description": "申请人书面承诺已符合许可条件的，可当场作出许可决定，事后核查",
                "materials": ["告知承诺书"],
            }
        return {
            "name": "委托经办人办理",
            "description": "法定代表人不到场，由单位委托经办人办理",
            "materials": ["授权委托书（加盖公章）", "经办人居民身份证"],
        }
    return {
        "name": "委托代理人办理",
        "description": "申请人因故不能到场，委托他人代为办理",
        "materials": ["授权委托书", "受托人居民身份证"],
    }


def _conditions(spec: Spec) -> list[str]:
    if spec.cond:
        return list(spec.cond)
    first_law = spec.law.split("》")[0] + "》"
    if "个人" in spec.who:
        return [f"符合{first_law}规定的申请条件", "申请人具有完全民事行为能力，或由监护人代为申请",
                "申请材料真实、完整、有效"]  # fmt: skip
    return [f"符合{first_law}规定的申请条件", "申请人依法设立并取得主体资格",
            "申请材料真实、完整、有效"]  # fmt: skip


def _steps(spec: Spec) -> list[str]:
    if spec.steps:
        return list(spec.steps)
    if spec.h == "即办件":
        return ["取号后到窗口申请，或在自助终端、网上办事大厅提交", "窗口核验身份和材料",
                "符合条件的当场办结", "当场领取结果，或在线下载电子证照、证明"]  # fmt: skip
    if spec.t == "行政许可":
        return ["申请：窗口、自助终端或网上办事大厅提交材料",
                "受理：材料齐全、符合法定形式的当场受理，出具受理通知书（含受理编号）",
                "审查：承办科室审查材料，需要时现场核查", "决定：在承诺时限内作出准予或不予许可的决定",
                "送达：证照窗口领取或免费邮寄"]  # fmt: skip
    if spec.t == "行政给付":
        return ["申请：提交申请表和材料", "受理：窗口审核材料并受理，出具受理编号",
                "审核：承办科室审核，必要时调查核实", "核定：核定待遇标准并告知申请人",
                "发放：按月或一次性发放到本人账户"]  # fmt: skip
    return ["申请：窗口、自助终端或网上提交申请", "受理：窗口核验材料，出具受理编号",
            "审核：承办科室审核", "办结：出具办理结果", "领取：窗口领取或邮寄送达"]  # fmt: skip


def _faq(spec: Spec, index: int) -> list[dict]:
    fee = (
        (
            "办理需要收费吗？",
            f"需要。收费标准：{spec.fee[0]}，可使用微信、支付宝、银联卡或现金缴纳。",
        )
        if spec.fee
        else ("办理需要收费吗？", "不收费。")
    )
    agent = (
        ("可以委托他人办理吗？", "可以。受托人须携带授权委托书和本人身份证件原件。")
        if spec.agent
        else ("可以委托他人办理吗？", "不可以。本事项须本人到场（需现场采集信息或当面签字确认）。")
    )
    generic = [
        ("怎样查询办理进度？",
         "凭受理编号或本人身份证，在大厅自助终端“办件查询”、网上办事大厅查询，或拨打咨询电话。"),
        fee,
        agent,
        ("材料不齐怎么办？", "窗口一次性告知需补齐补正的材料，补齐后凭受理编号继续办理，无需重新排队取号。"),
    ]  # fmt: skip
    out = list(spec.faq)
    for k in range(len(generic)):
        if len(out) >= 3:
            break
        out.append(generic[(index + k) % len(generic)])
    return [{"q": q, "a": a} for q, a in out]


def _popularity(spec: Spec, code: str) -> int:
    if spec.pop is not None:
        return spec.pop
    rng = random.Random(code)  # str seeds hash with SHA-512: stable across runs
    return min(int(6 * rng.paretovariate(1.2)) - 4, 1500)


def build_catalog() -> list[dict]:
    services = {s["code"]: s for s in demo_queue_services(DEMO_DIR / "queue_services.toml")}
    items: list[dict] = []
    index = 0
    for dept_code, specs in ITEMS.items():
        dept = DEPARTMENTS_BY_CODE[dept_code]
        for number, spec in enumerate(specs, start=1):
            index += 1
            code = f"{dept_code}-{number:04d}"
            queue = spec.queue or dept.queue
            situations = [
                {"name": n, "description": d, "materials": list(m)} for n, d, m in spec.sit
            ]
            if spec.agent:
                situations.append(_agent_situation(spec))
            item = {
                "code": code,
                "title": spec.title,
                "title_en": spec.en,
                "department": dept.zh,
                "department_en": dept.en,
                "item_type": spec.t,
                "handling_type": spec.h,
                "audience": spec.who.split(","),
                "life_events": list(spec.ev),
                "aliases": list(spec.alias),
                "legal_basis": spec.law,
                "conditions": _conditions(spec),
                "materials": [_material(m) for m in spec.mats],
                "steps": _steps(spec),
                "situations": situations,
                "legal_days": spec.days[0],
                "promised_days": spec.days[1],
                "fee": {"charged": True, "amount": spec.fee[0], "basis": spec.fee[1]}
                if spec.fee
                else {"charged": False, "amount": "", "basis": ""},
                "location": counter_location(services[queue]["counters"]),
                "hours": MARRIAGE_HOURS if queue == "HYDJ" else dept.hours,
                "phone": dept.phone,
                "complaint_phone": COMPLAINT_PHONE,
                "visits": spec.visits,
                "online_url": f"{ONLINE_BASE}/guide/{code}",
                "faq": _faq(spec, index),
                "forms": list(spec.forms),
                "queue_service": queue,
                "popularity": _popularity(spec, code),
            }
            CatalogItemIn.model_validate(item)  # fail here, not in the hall server
            items.append(item)
    return items


def _material(text: str) -> dict:
    """'[?]name|form|copies|note' → Material dict; '?' marks a material that is not required."""
    required = not text.startswith("?")
    parts = text.lstrip("?").split("|")
    name = parts[0]
    form = parts[1] if len(parts) > 1 and parts[1] else "原件"
    copies = int(parts[2]) if len(parts) > 2 and parts[2] else 1
    note = parts[3] if len(parts) > 3 else ""
    return {"name": name, "form": form, "copies": copies, "required": required, "note": note}


def check_form_links(items: list[dict], forms: dict[str, FormDef]) -> list[str]:
    """Problems where an item names a form that does not name it back, or the reverse."""
    problems = []
    by_code = {i["code"]: i for i in items}
    for item in items:
        for form_code in item["forms"]:
            if form_code not in forms:
                problems.append(f"{item['code']} names unknown form {form_code}")
            elif item["code"] not in forms[form_code].items:
                problems.append(f"{form_code} should list {item['code']} ({item['title']})")
    for form in forms.values():
        for code in form.items:
            if code not in by_code:
                problems.append(f"{form.code} lists unknown item {code}")
            elif form.code not in by_code[code]["forms"]:
                problems.append(f"{form.code} lists {code} ({by_code[code]['title']}) "
                                "which does not name it")  # fmt: skip
    return problems


# --- people, applications, appointments ------------------------------------------------------
# Fictional people. ID numbers use real-format region codes so the region and check-digit
# rules pass; names, addresses and phones (1370000xxxx) are made up.
PEOPLE = {
    # key: (name, gender code, nation, birth YYYYMMDD, region, sequence, address, phone)
    "zhang": ("张明华", "1", "汉", "19660715", "110105", "031", "示例市东湖区滨江路18号院3号楼2单元501室", "13700000101"),
    "wang": ("王秀兰", "2", "汉", "19581102", "110108", "024", "示例市西山区青石巷7号", "13700000102"),
    "li": ("李建国", "1", "汉", "19720520", "110105", "057", "示例市东湖区建设大道266号2栋1203室", "13700000103"),
    "liu": ("刘晓燕", "2", "汉", "19900808", "110105", "082", "示例市高新区科创路9号6栋702室", "13700000104"),
    "chen": ("陈志强", "1", "汉", "19881201", "110108", "013", "示例市西山区文化街45号", "13700000105"),
    "yang": ("杨静怡", "2", "汉", "19950418", "110105", "046", "示例市东湖区梧桐苑12栋301室", "13700000106"),
    "huang": ("黄文斌", "1", "汉", "19930927", "110108", "075", "示例市经开区星河湾5栋1802室", "13700000107"),
    "ma": ("马永福", "1", "回", "19800109", "110105", "119", "示例市西山区清真寺巷3号", "13700000108"),
    "ayi": ("阿依古丽·买买提", "2", "维吾尔", "19860630", "110108", "028", "示例市高新区丝路花园8栋502室", "13700000109"),
    "zhou": ("周玉梅", "2", "汉", "19620214", "110105", "066", "示例市东湖区桂花巷21号", "13700000110"),
    "wu": ("吴海涛", "1", "汉", "19851010", "110108", "093", "示例市临港新区海韵路88号1栋901室", "13700000111"),
    "sun": ("孙丽娟", "2", "汉", "19790303", "110105", "108", "示例市经开区锦绣家园3栋602室", "13700000112"),
    "zhao": ("赵桂芝", "2", "汉", "19550906", "110108", "040", "示例市西山区老街社区15号", "13700000113"),
}  # fmt: skip


def id_number(key: str) -> str:
    _, _, _, birth, region, seq, _, _ = PEOPLE[key]
    first17 = f"{region}{birth}{seq}"
    return first17 + id_check_char(first17)


def _ymd(birth: str) -> str:
    return f"{birth[:4]}-{birth[4:6]}-{birth[6:]}"


NATION_CODES = {"汉": "01", "回": "03", "维吾尔": "05"}  # GB 3304


def card_read(key: str) -> dict:
    """The person's ID card as the reader's JSON gives it (what fill_from_card takes)."""
    name, gender, nation, birth, _, _, address, _ = PEOPLE[key]
    return {
        "name": name,
        "gender": {"code": gender, "label": "男" if gender == "1" else "女"},
        "nation": {"code": NATION_CODES[nation], "label": nation},
        "birth": birth,
        "address": address,
        "id_number": id_number(key),
        "authority": "示例市公安局东湖分局",
    }


def add_working_days(day: date, n: int) -> date:
    """Monday–Friday only; the demo ignores public holidays."""
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


PATHS = {
    "submitted": ["submitted"],
    "pending_acceptance": ["submitted", "pending_acceptance"],
    "accepted": ["submitted", "pending_acceptance", "accepted"],
    "correction_requested": ["submitted", "pending_acceptance", "correction_requested"],
    "under_review": ["submitted", "pending_acceptance", "accepted", "under_review"],
    "suspended": ["submitted", "pending_acceptance", "accepted", "under_review", "suspended"],
    "approved": ["submitted", "pending_acceptance", "accepted", "under_review", "approved"],
    "rejected": ["submitted", "pending_acceptance", "accepted", "under_review", "rejected"],
    "not_accepted": ["submitted", "pending_acceptance", "not_accepted"],
    "returned": ["submitted", "pending_acceptance", "accepted", "returned"],
    "ready_for_pickup": ["submitted", "pending_acceptance", "accepted", "under_review",
                         "approved", "ready_for_pickup"],
    "delivered": ["submitted", "pending_acceptance", "accepted", "under_review", "approved",
                  "delivered"],
}  # fmt: skip
DEFAULT_NOTES = {
    "submitted": "通过自助终端提交申请",
    "pending_acceptance": "已收件，等待窗口受理",
    "accepted": "材料齐全，符合法定形式，予以受理",
    "under_review": "承办科室审核中",
    "approved": "审核通过，准予办理",
}
# (status, person, item title, form, submitted at, form fields beyond the person's, last note)
APPLICATIONS: list[tuple[str, str, str, str, str, dict, str]] = [
    ("submitted", "chen", "个体工商户设立登记", "F-GTGSH-01", "2026-11-20T15:42",
     {"business_name": "示例市西山区志强便利店", "composition": "individual",
      "business_scope": "食品销售（仅销售预包装食品）；日用百货销售；文具用品零售",
      "premises": "示例市西山区文化街45号一层", "postal_code": "999002", "capital": 10,
      "employees": 2}, "通过自助终端提交申请"),
    ("submitted", "sun", "提取住房公积金（租赁住房）", "F-GJJTQ-01", "2026-11-20T10:05",
     {"account_no": "210012345678", "reason": "rent", "amount": 18000, "bank_name": "中国建设银行",
      "bank_account": "6217000010012345678", "employer": "示例市锦绣物业服务有限公司"},
     "通过网上办事大厅提交申请"),
    ("pending_acceptance", "wu", "存量房转移登记（二手房买卖）", "F-BDC-01", "2026-11-19T09:31",
     {"kind": "transfer", "location": "示例市临港新区海韵路88号1栋901室", "area": 96.5,
      "use": "residential", "ownership": "single", "counterpart_name": "钱卫东",
      "cert_no": "示（2019）示例市不动产权第0031245号"}, "已收件，等待窗口受理"),
    ("pending_acceptance", "ayi", "异地就医备案（跨省）", "F-YDJY-01", "2026-11-20T11:20",
     {"insured_type": "employee", "category": "posted", "province": "新疆维吾尔自治区",
      "city": "乌鲁木齐市", "start": "2026-12-01", "local_address": "乌鲁木齐市示例路10号"},
     "已收件，等待医保经办机构受理"),
    ("accepted", "li", "提取住房公积金（购买自住住房）", "F-GJJTQ-01", "2026-11-18T14:10",
     {"account_no": "210087654321", "reason": "purchase", "amount": 120000,
      "bank_name": "中国工商银行", "bank_account": "6222020000123456789",
      "employer": "示例市建工集团有限公司"}, "材料齐全，予以受理"),
    ("accepted", "liu", "《出生医学证明》补发", "F-CSYX-01", "2026-11-17T10:45",
     {"kind": "reissue", "baby_name": "郭子轩", "baby_gender": "1", "baby_birth": "2025-06-18",
      "birth_place": "示例市妇幼保健院", "father_name": "郭振宇",
      "reason": "搬家时遗失，已在示例市日报刊登遗失声明"}, "材料齐全，予以受理，需核对原始分娩记录"),
    ("correction_requested", "wang", "最低生活保障审核确认", "F-DB-01", "2026-11-10T09:15",
     {"household_size": 2, "monthly_income": 1300, "housing": "own", "reason": "illness",
      "reason_detail": "本人患慢性肾病需长期透析，配偶无固定收入，家庭生活困难。",
      "consent": "yes"}, "补齐补正：请补充提交共同生活家庭成员的收入证明和近6个月银行流水"),
    ("correction_requested", "zhou", "社会保障卡补领、换领", "F-SBK-01", "2026-11-16T15:30",
     {"kind": "reissue", "insured_type": "employee", "employer": "示例市第三中学", "bank": "BOC",
      "collect": "mail", "mail_address": "示例市东湖区桂花巷21号", "postal_code": "999001"},
     "补齐补正：请补充提交近期免冠白底照片（或社保卡照片回执）"),
    ("under_review", "zhang", "职工基本养老保险待遇申领（退休）", "F-TX-01", "2026-11-11T10:20",
     {"kind": "normal", "work_start": "1986-07-01", "retire_date": "2026-12-15",
      "employer": "示例市机床厂有限公司", "bank_account": "6216600100012345678",
      "postal_code": "999001"}, "承办科室审核档案及缴费年限"),
    ("under_review", "huang", "抵押权首次登记", "F-BDC-01", "2026-11-18T16:02",
     {"kind": "mortgage", "location": "示例市经开区星河湾5栋1802室", "area": 89.2,
      "use": "residential", "ownership": "single", "counterpart_name": "示例市商业银行",
      "cert_no": "示（2024）示例市不动产权第0102938号"}, "登记机构审核中"),
    ("suspended", "wu", "继承、受遗赠转移登记", "F-BDC-01", "2026-11-02T09:40",
     {"kind": "inherit", "location": "示例市东湖区老城路6号2单元301室", "area": 72.3,
      "use": "residential", "ownership": "shares", "remark": "法定继承，继承人二人按份共有"},
     "特殊程序：继承公告期（15个工作日）内暂停计时"),
    ("suspended", "zhao", "最低生活保障审核确认", "F-DB-01", "2026-10-26T10:30",
     {"household_size": 1, "monthly_income": 600, "housing": "own", "reason": "disability",
      "reason_detail": "本人独居，肢体二级残疾，无劳动能力，仅有少量土地流转收入。",
      "bank_account": "6216600100098765432", "consent": "yes"},
     "特殊程序：入户调查结果公示期（7天）内暂停计时"),
    ("approved", "huang", "提取住房公积金（租赁住房）", "F-GJJTQ-01", "2026-11-03T13:50",
     {"account_no": "210011122233", "reason": "rent", "amount": 15000,
      "bank_name": "招商银行", "bank_account": "6225880011112222", "employer": "示例市星河科技有限公司"},
     "准予提取，资金将于1个工作日内转入本人银行账户"),
    ("approved", "sun", "不动产变更登记（权利人姓名、身份证号码变更）", "F-BDC-01",
     "2026-11-09T10:10",
     {"kind": "change", "location": "示例市经开区锦绣家园3栋602室", "area": 110.4,
      "use": "residential", "ownership": "joint", "cert_no": "示（2021）示例市不动产权第0056781号"},
     "准予变更登记，新证书已记载变更事项"),
    ("rejected", "zhao", "最低生活保障审核确认", "F-DB-01", "2026-09-14T09:20",
     {"household_size": 2, "monthly_income": 2600, "housing": "own", "reason": "low_income",
      "reason_detail": "子女外出务工收入不稳定，家庭开支较大，申请低保。", "consent": "yes"},
     "不予批准：经家庭经济状况核对，共同生活家庭成员人均收入高于本市最低生活保障标准"),
    ("rejected", "yang", "提取住房公积金（租赁住房）", "F-GJJTQ-01", "2026-10-27T11:00",
     {"account_no": "210044455566", "reason": "rent", "amount": 20000,
      "bank_name": "中国农业银行", "bank_account": "6228480012345678901"},
     "不予提取：经核查，本人名下在本市有自有住房，不符合租房提取条件"),
    ("not_accepted", "chen", "个体工商户设立登记", "F-GTGSH-01", "2026-11-05T14:25",
     {"business_name": "示例市东湖区强哥小吃店", "composition": "family",
      "business_scope": "小餐饮；食品销售", "premises": "示例市东湖区月湖路3号", "capital": 5,
      "employees": 3}, "不予受理：经营场所位于东湖区，请向东湖区市场监督管理局申请"),
    ("not_accepted", "liu", "《出生医学证明》首次签发", "F-CSYX-01", "2026-11-12T09:05",
     {"kind": "first", "baby_name": "郭子涵", "baby_gender": "2", "baby_birth": "2026-11-08",
      "birth_place": "邻省某县人民医院", "father_name": "郭振宇"},
     "不予受理：新生儿在外省助产机构出生，请向出生地的签发机构申请"),
    ("returned", "wu", "存量房转移登记（二手房买卖）", "F-BDC-01", "2026-10-19T10:00",
     {"kind": "transfer", "location": "示例市西山区枫林小区4栋203室", "area": 65.0,
      "use": "residential", "ownership": "single", "counterpart_name": "冯晓东"},
     "退件：买卖双方协商解除合同，申请人撤回申请，材料已退还"),
    ("returned", "ayi", "异地就医备案（跨省）", "F-YDJY-01", "2026-10-21T16:40",
     {"insured_type": "employee", "category": "temporary", "province": "广东省",
      "city": "广州市", "start": "2026-10-25", "end": "2027-04-24"},
     "退件：已有有效期内的跨省备案，重复申请已退回"),
    ("ready_for_pickup", "zhang", "社会保障卡补领、换领", "F-SBK-01", "2026-11-06T09:50",
     {"kind": "renew", "insured_type": "employee", "employer": "示例市机床厂有限公司",
      "bank": "ICBC",
      "collect": "counter"}, "社会保障卡已制作完成，请携带本人身份证到二楼23-28号窗口领取"),
    ("ready_for_pickup", "ma", "居民身份证换领（有效期满、证件损坏、信息变更）", "F-SFZ-01",
     "2026-10-28T10:15",
     {"reason": "expiry", "old_valid_to": "2026-11-30", "collect": "counter"},
     "新证已制作完成，请本人携带旧证到一楼13-16号窗口领取"),
    ("delivered", "zhang", "抵押权注销登记", "F-BDC-01", "2026-10-22T14:30",
     {"kind": "mortgage_release", "location": "示例市东湖区滨江路18号院3号楼2单元501室",
      "area": 88.6, "use": "residential", "ownership": "joint",
      "counterpart_name": "示例市商业银行", "cert_no": "示（2012）示例市不动产权第0009876号"},
     "已办结，不动产登记证明已邮寄送达（EMS，收件人已签收）"),
    ("delivered", "ayi", "居民身份证换领（有效期满、证件损坏、信息变更）", "F-SFZ-01",
     "2026-10-20T09:25",
     {"reason": "damaged", "old_valid_to": "2034-06-30", "collect": "mail",
      "mail_address": "示例市高新区丝路花园8栋502室", "postal_code": "999003"},
     "新证已邮寄送达，本人已签收"),
    ("approved", "yang", "内地居民结婚登记", "F-HYDJ-01", "2026-11-16T20:12",
     {"kind": "marriage", "partner_name": "黄文斌", "partner_id_number": "@huang",
      "date": "2026-11-27", "period": "am"},
     "预约成功：请双方于2026-11-27上午携带身份证原件和合影照片到三楼44-45号窗口办理"),
    ("under_review", "zhou", "异地就医备案（跨省）", "F-YDJY-01", "2026-11-17T09:00",
     {"insured_type": "employee", "category": "retiree", "province": "海南省", "city": "三亚市",
      "start": "2026-12-01", "local_address": "三亚市示例湾小区2栋1101室"}, "医保经办机构审核中"),
]  # fmt: skip


def _crockford(rng: random.Random, n: int) -> str:
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
    return "".join(rng.choice(alphabet) for _ in range(n))


def _history(path: list[str], start: datetime, last_note: str, rng: random.Random) -> list[dict]:
    at = start
    out = []
    for k, status in enumerate(path):
        if k:
            if status in ("pending_acceptance", "accepted", "correction_requested", "not_accepted"):
                at += timedelta(minutes=rng.randint(8, 50))
            else:  # review steps and results come on a later working day, in office hours
                day = add_working_days(at.date(), rng.randint(1, 2))
                at = datetime(day.year, day.month, day.day, rng.randint(9, 16),
                              rng.randint(0, 59), tzinfo=CST)  # fmt: skip
        note = last_note if k == len(path) - 1 else DEFAULT_NOTES.get(status, "")
        out.append({"status": status, "at": at.isoformat(), "note": note})
    return out


def build_applications(catalog: list[dict], forms: dict[str, FormDef]) -> list[dict]:
    by_title = {i["title"]: i for i in catalog}
    rng = random.Random("demo-applications")
    out = []
    for status, person, title, form_code, submitted, extra, note in APPLICATIONS:
        item = by_title[title]
        form = forms[form_code]
        fields = fill_from_card(form, card_read(person))
        if form.field("phone") is not None:
            fields["phone"] = PEOPLE[person][7]
        for key, value in extra.items():
            fields[key] = (
                id_number(value[1:]) if isinstance(value, str) and value[:1] == "@" else value
            )
        errors = validate_fields(form, fields)
        if errors:
            raise SystemExit(f"demo application {title}/{person}: {errors}")
        start = datetime.fromisoformat(submitted).replace(tzinfo=CST)
        history = _history(PATHS[status], start, note, rng)
        if datetime.fromisoformat(history[-1]["at"]) > AS_OF:
            raise SystemExit(f"demo application {title}/{person}: history ends after {AS_OF}")
        out.append({
            "number": f"SQ{start:%Y%m%d}{_crockford(rng, 10)}",
            "item": item["code"],
            "form": form_code,
            "status": status,
            "fields": fields,
            "holder_id_number": id_number(person),
            "submitted_at": start.isoformat(),
            "promised_by": add_working_days(start.date(), item["promised_days"]).isoformat(),
            "history": history,
        })  # fmt: skip
    return out


# (code, queue service, person, slot): the date is "today" when the hall server loads them.
APPOINTMENTS = [
    ("402817", "HZ", "ma", "09:00-10:00"),
    ("518364", "SBYB", "zhou", "09:00-10:00"),
    ("630152", "BDC", "wu", "10:00-11:00"),
    ("745209", "GJJ", "li", "10:00-11:00"),
    ("859631", "HYDJ", "yang", "14:00-15:00"),
    ("963048", "SSDJ", "chen", "15:00-16:00"),
    ("217590", "SW", "sun", "16:00-17:00"),
]


# Booked for the simulated reader's default card (sim:resident, 韩梅梅), so that check-in by ID
# card can be tried in `./dev demo` without a real card.
SIMULATOR_APPOINTMENT = ("306415", "SBYB", "11:00-12:00")


def render_appointments() -> str:
    from hardware.idcard.samples import sample

    lines = [
        "# Demo appointments (预约) of the fictional 示例市政务服务中心 — sample data, fictional people.",
        "# Written by tools/make_demo_catalog.py. No date: the hall server books them for the day",
        "# it loads them, so check-in at the kiosk can always be tried.",
    ]
    booked = [(code, service, id_number(person), slot) for code, service, person, slot in APPOINTMENTS]
    code, service, slot = SIMULATOR_APPOINTMENT
    booked.append((code, service, sample("resident").id_number, slot))
    for code, service, holder, slot in booked:
        lines += ["", "[[appointment]]", f'code = "{code}"', f'service = "{service}"',
                  f'holder_id_number = "{holder}"', f'slot = "{slot}"']  # fmt: skip
    return "\n".join(lines) + "\n"


# --- output ----------------------------------------------------------------------------------
def _jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in rows)


def render_all() -> dict[Path, str]:
    """Every generated file's path and exact content."""
    forms = load_forms(FORMS_DIR)
    catalog = build_catalog()
    problems = check_form_links(catalog, forms)
    if problems:
        raise SystemExit("form links out of step:\n  " + "\n  ".join(problems))
    applications = build_applications(catalog, forms)
    missing = set(APPLICATION_STATUSES) - {a["status"] for a in applications}
    if missing:
        raise SystemExit(f"no demo application in status {sorted(missing)}")
    return {
        DEMO_DIR / "catalog.jsonl": _jsonl(catalog),
        DEMO_DIR / "applications.jsonl": _jsonl(applications),
        DEMO_DIR / "appointments.toml": render_appointments(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is out of date")
    args = parser.parse_args(argv)
    stale = []
    for path, text in render_all().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            path.write_text(text, encoding="utf-8")
    verb = "out of date" if args.check else "written"
    for path in stale:
        sys.stderr.write(f"{verb}: {path.relative_to(ROOT)}\n")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
