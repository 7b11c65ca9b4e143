"""Synthetic but plausible service items for load tests and benchmarks (and the department
table the demo catalog tool shares).

`generate_catalog(n, seed)` yields `common.wire.CatalogItemIn`-shaped dicts: titles composed from
real department objects and verbs (道路货物运输经营许可 + 变更 + （跨省通办）), with aliases,
materials, conditions, steps, situations, deadlines and FAQs. Deterministic for a seed; standard
library only, about 25 µs an item. Codes are `SYN-<DEPT>-<7 digits>`, apart from the demo
catalog's `<DEPT>-<4 digits>`, so both can be loaded into one hall.

    python -m hall_server.synthetic --count 100000 --seed 1 > big.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HALL = "示例市政务服务中心"
HALL_EN = "Example City Government Service Center"
COMPLAINT_PHONE = "12345"
ONLINE_BASE = "https://zwfw.example.gov.cn"  # example.gov.cn: a host that can never be real
STANDARD_HOURS = "周一至周五 上午9:00-12:00，下午13:30-17:30（法定节假日除外）"


@dataclass(frozen=True)
class Department:
    code: str  # prefix of item codes: GA-0001
    zh: str
    en: str
    queue: str  # default queue service (common/defaults/demo/queue_services.toml)
    phone: str  # invented numbers of the fictional hall
    hours: str = STANDARD_HOURS


DEPARTMENTS: tuple[Department, ...] = (
    Department("GA", "示例市公安局", "Example City Public Security Bureau", "HZ", "0999-86100110",
               "周一至周六 上午9:00-12:00，下午13:30-17:30（周六仅办理户籍、身份证业务）"),
    Department("SCJG", "示例市市场监督管理局", "Example City Administration for Market Regulation",
               "SSDJ", "0999-86112315"),
    Department("BDC", "示例市不动产登记中心", "Example City Real Estate Registration Center", "BDC",
               "0999-86120560"),
    Department("RS", "示例市人力资源和社会保障局",
               "Example City Human Resources and Social Security Bureau", "SBYB", "0999-86112333",
               "周一至周六 上午9:00-12:00，下午13:30-17:30（法定节假日除外）"),
    Department("YB", "示例市医疗保障局", "Example City Healthcare Security Administration", "SBYB",
               "0999-86130611"),
    Department("MZ", "示例市民政局", "Example City Civil Affairs Bureau", "MZCL", "0999-86131345"),
    Department("GJJ", "示例市住房公积金管理中心", "Example City Housing Provident Fund Center", "GJJ",
               "0999-86112329"),
    Department("WJ", "示例市卫生健康委员会", "Example City Health Commission", "SHSY",
               "0999-86112320"),
    Department("CL", "示例市残疾人联合会", "Example City Disabled Persons' Federation", "MZCL",
               "0999-86140701"),
    Department("SW", "国家税务总局示例市税务局", "Example City Taxation Bureau, State Taxation Administration",
               "SW", "0999-86112366"),
    Department("ZJ", "示例市住房和城乡建设局", "Example City Housing and Urban-Rural Development Bureau",
               "GCJS", "0999-86150318"),
    Department("JT", "示例市交通运输局", "Example City Transport Bureau", "JTYS", "0999-86112328"),
    Department("JY", "示例市教育局", "Example City Education Bureau", "SHSY", "0999-86160915"),
    Department("ZR", "示例市自然资源和规划局", "Example City Natural Resources and Planning Bureau",
               "GCJS", "0999-86112336"),
    Department("STHJ", "示例市生态环境局", "Example City Ecology and Environment Bureau", "GCJS",
               "0999-86112369"),
    Department("WL", "示例市文化广电旅游局", "Example City Culture, Radio, Television and Tourism Bureau",
               "SHSY", "0999-86112318"),
)  # fmt: skip
DEPARTMENTS_BY_CODE = {d.code: d for d in DEPARTMENTS}


def demo_queue_services(path: Path | None = None) -> list[dict]:
    """The `[[service]]` tables of the demo hall's queue_services.toml (common/defaults/demo/)."""
    if path is None:
        from common.paths import config_dir

        path = config_dir() / "demo" / "queue_services.toml"
    with path.open("rb") as fh:
        return tomllib.load(fh)["service"]


def counter_location(counters: list[str]) -> str:
    """Where a service's counters are: 示例市政务服务中心二楼 23-28号窗口 (floor by counter range)."""
    first, last = counters[0], counters[-1]
    floor = "一楼" if int(first) <= 22 else "二楼" if int(first) <= 43 else "三楼"
    span = first if first == last else f"{first}-{last}"
    return f"{HALL}{floor} {span}号窗口"


# --- pools for synthetic items ---------------------------------------------------------------
# (object zh, object en, item type, audience) per department.
_OBJECTS: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "GA": (("居民户口", "household registration", "行政确认", "个人"),
           ("居民身份证", "resident ID card", "行政确认", "个人"),
           ("居住证", "residence permit", "公共服务", "个人"),
           ("机动车驾驶证", "driving licence", "行政许可", "个人"),
           ("机动车登记", "motor vehicle registration", "行政确认", "个人"),
           ("普通护照", "ordinary passport", "行政许可", "个人"),
           ("往来港澳通行证", "Mainland travel permit for HK and Macao", "行政许可", "个人"),
           ("保安员证", "security guard certificate", "行政许可", "个人"),
           ("剧毒化学品购买许可证", "toxic chemicals purchase permit", "行政许可", "法人")),
    "SCJG": (("有限责任公司", "limited liability company", "行政许可", "法人"),
             ("个体工商户", "individual business", "行政许可", "个人"),
             ("食品经营许可证", "food business licence", "行政许可", "法人"),
             ("药品零售企业许可", "retail pharmacy licence", "行政许可", "法人"),
             ("特种设备使用登记", "special equipment use registration", "行政许可", "法人"),
             ("工业产品生产许可证", "industrial product production licence", "行政许可", "法人"),
             ("第二类医疗器械经营", "class II medical device trading", "其他行政权力", "法人"),
             ("计量器具型式批准", "measuring instrument pattern approval", "行政许可", "法人"),
             ("农民专业合作社", "farmers' cooperative", "行政许可", "法人")),
    "BDC": (("国有建设用地使用权及房屋所有权", "state land use right and house ownership", "行政确认", "个人"),
            ("抵押权", "mortgage", "行政确认", "法人"),
            ("宅基地使用权及房屋所有权", "rural homestead and house ownership", "行政确认", "个人"),
            ("预告登记", "advance notice registration", "行政确认", "个人"),
            ("居住权", "right of habitation", "行政确认", "个人"),
            ("地役权", "easement", "行政确认", "法人"),
            ("不动产权证书", "real estate title certificate", "行政确认", "个人")),
    "RS": (("社会保障卡", "social security card", "公共服务", "个人"),
           ("失业保险金", "unemployment insurance benefit", "行政给付", "个人"),
           ("职工基本养老保险", "employees' basic pension insurance", "行政给付", "个人"),
           ("城乡居民基本养老保险", "urban and rural residents' pension", "行政给付", "个人"),
           ("工伤保险待遇", "work injury insurance benefit", "行政给付", "个人"),
           ("就业创业证", "employment and entrepreneurship certificate", "公共服务", "个人"),
           ("职业技能等级证书", "vocational skill level certificate", "公共服务", "个人"),
           ("人力资源服务许可", "human resources service licence", "行政许可", "法人"),
           ("劳务派遣经营许可", "labour dispatch business licence", "行政许可", "法人")),
    "YB": (("城乡居民基本医疗保险", "residents' basic medical insurance", "公共服务", "个人"),
           ("异地就医", "medical treatment in another region", "公共服务", "个人"),
           ("门诊慢特病待遇", "chronic and special disease outpatient benefit", "行政确认", "个人"),
           ("生育津贴", "maternity allowance", "行政给付", "个人"),
           ("医疗救助", "medical assistance", "行政给付", "个人"),
           ("医保定点医药机构", "designated medical insurance institution", "其他行政权力", "法人")),
    "MZ": (("结婚登记", "marriage registration", "行政确认", "个人"),
           ("最低生活保障", "minimum living allowance", "行政给付", "个人"),
           ("特困人员救助供养", "support for persons in extreme poverty", "行政给付", "个人"),
           ("临时救助", "temporary assistance", "行政给付", "个人"),
           ("高龄津贴", "old-age allowance", "行政给付", "个人"),
           ("社会团体", "social organisation", "行政许可", "法人"),
           ("民办非企业单位", "private non-enterprise unit", "行政许可", "法人"),
           ("养老机构", "elderly care institution", "其他行政权力", "法人"),
           ("收养登记", "adoption registration", "行政确认", "个人")),
    "GJJ": (("住房公积金", "housing provident fund", "公共服务", "个人"),
            ("住房公积金个人贷款", "provident fund home loan", "公共服务", "个人"),
            ("住房公积金单位缴存", "employer provident fund contribution", "公共服务", "法人"),
            ("住房公积金缴存证明", "provident fund contribution certificate", "公共服务", "个人")),
    "WJ": (("出生医学证明", "medical birth certificate", "公共服务", "个人"),
           ("医师执业", "physician practice", "行政许可", "个人"),
           ("护士执业", "nurse practice", "行政许可", "个人"),
           ("医疗机构执业", "medical institution practice", "行政许可", "法人"),
           ("公共场所卫生许可", "public place hygiene licence", "行政许可", "法人"),
           ("放射诊疗许可", "radiological diagnosis and treatment licence", "行政许可", "法人"),
           ("生育登记", "birth registration service", "公共服务", "个人")),
    "CL": (("残疾人证", "disability certificate", "行政确认", "个人"),
           ("困难残疾人生活补贴", "living allowance for needy disabled persons", "行政给付", "个人"),
           ("重度残疾人护理补贴", "care allowance for severely disabled persons", "行政给付", "个人"),
           ("残疾人辅助器具适配", "assistive device fitting", "公共服务", "个人")),
    "SW": (("增值税", "value-added tax", "行政征收", "法人"),
           ("个人所得税", "individual income tax", "行政征收", "个人"),
           ("契税", "deed tax", "行政征收", "个人"),
           ("车辆购置税", "vehicle purchase tax", "行政征收", "个人"),
           ("发票", "invoices", "行政许可", "法人"),
           ("税收完税证明", "tax payment certificate", "公共服务", "个人"),
           ("纳税信用", "tax credit rating", "其他行政权力", "法人")),
    "ZJ": (("建筑工程施工许可", "construction permit", "行政许可", "法人"),
           ("商品房预售许可", "pre-sale permit for commodity housing", "行政许可", "法人"),
           ("建筑业企业资质", "construction enterprise qualification", "行政许可", "法人"),
           ("公共租赁住房", "public rental housing", "公共服务", "个人"),
           ("房屋租赁登记备案", "housing lease registration", "其他行政权力", "个人"),
           ("燃气经营许可", "gas business licence", "行政许可", "法人"),
           ("房屋建筑工程竣工验收备案", "completion acceptance filing", "其他行政权力", "法人")),
    "JT": (("道路货物运输经营许可", "road freight transport licence", "行政许可", "法人"),
           ("道路旅客运输经营许可", "road passenger transport licence", "行政许可", "法人"),
           ("道路运输从业资格证", "road transport qualification certificate", "行政许可", "个人"),
           ("网络预约出租汽车驾驶员证", "ride-hailing driver licence", "行政许可", "个人"),
           ("超限运输车辆通行许可", "oversize vehicle road permit", "行政许可", "法人"),
           ("机动车维修经营", "motor vehicle repair business", "其他行政权力", "法人")),
    "JY": (("义务教育入学", "compulsory education enrolment", "公共服务", "个人"),
           ("教师资格", "teacher qualification", "行政许可", "个人"),
           ("民办学校", "private school", "行政许可", "法人"),
           ("学籍", "student status", "公共服务", "个人"),
           ("学生资助", "student financial aid", "行政给付", "个人")),
    "ZR": (("建设用地规划许可", "land use planning permit", "行政许可", "法人"),
           ("建设工程规划许可", "construction project planning permit", "行政许可", "法人"),
           ("乡村建设规划许可", "rural construction planning permit", "行政许可", "个人"),
           ("测绘资质", "surveying and mapping qualification", "行政许可", "法人"),
           ("临时用地", "temporary land use", "行政许可", "法人")),
    "STHJ": (("建设项目环境影响评价", "environmental impact assessment", "行政许可", "法人"),
             ("排污许可", "pollutant discharge permit", "行政许可", "法人"),
             ("危险废物经营许可", "hazardous waste business licence", "行政许可", "法人"),
             ("辐射安全许可", "radiation safety licence", "行政许可", "法人")),
    "WL": (("娱乐场所经营许可", "entertainment venue licence", "行政许可", "法人"),
           ("营业性演出", "commercial performance", "行政许可", "法人"),
           ("互联网上网服务营业场所", "internet café", "行政许可", "法人"),
           ("旅行社业务经营许可", "travel agency licence", "行政许可", "法人"),
           ("导游证", "tour guide certificate", "行政许可", "个人"),
           ("艺术品经营单位", "art dealer", "其他行政权力", "法人")),
}  # fmt: skip
# What people call the long objects (aliases); an object not listed is its own short name.
_SHORT = {
    "居民户口": "户口", "居民身份证": "身份证", "机动车驾驶证": "驾照", "机动车登记": "车辆登记",
    "往来港澳通行证": "港澳通行证", "剧毒化学品购买许可证": "剧毒品购买证", "有限责任公司": "公司",
    "个体工商户": "个体户", "食品经营许可证": "食品许可证", "药品零售企业许可": "药店许可",
    "特种设备使用登记": "特种设备", "工业产品生产许可证": "生产许可证", "第二类医疗器械经营": "二类器械",
    "计量器具型式批准": "计量器具", "农民专业合作社": "合作社",
    "国有建设用地使用权及房屋所有权": "房产证", "宅基地使用权及房屋所有权": "宅基地",
    "不动产权证书": "房本", "社会保障卡": "社保卡", "失业保险金": "失业金",
    "职工基本养老保险": "养老保险", "城乡居民基本养老保险": "居民养老", "工伤保险待遇": "工伤",
    "职业技能等级证书": "技能证书", "人力资源服务许可": "人力资源许可", "劳务派遣经营许可": "劳务派遣",
    "城乡居民基本医疗保险": "居民医保", "异地就医": "异地医保", "门诊慢特病待遇": "慢特病",
    "医保定点医药机构": "医保定点", "最低生活保障": "低保", "特困人员救助供养": "特困供养",
    "民办非企业单位": "民非", "住房公积金": "公积金", "住房公积金个人贷款": "公积金贷款",
    "住房公积金单位缴存": "公积金缴存", "住房公积金缴存证明": "公积金证明",
    "出生医学证明": "出生证", "公共场所卫生许可": "卫生许可证", "放射诊疗许可": "放射许可",
    "困难残疾人生活补贴": "残疾人补贴", "重度残疾人护理补贴": "护理补贴", "残疾人辅助器具适配": "辅具",
    "个人所得税": "个税", "税收完税证明": "完税证明", "建筑工程施工许可": "施工许可证",
    "商品房预售许可": "预售证", "建筑业企业资质": "建筑资质", "公共租赁住房": "公租房",
    "房屋租赁登记备案": "租赁备案", "房屋建筑工程竣工验收备案": "竣工备案",
    "道路货物运输经营许可": "货运许可", "道路旅客运输经营许可": "客运许可",
    "道路运输从业资格证": "从业资格证", "网络预约出租汽车驾驶员证": "网约车驾驶证",
    "超限运输车辆通行许可": "超限许可", "机动车维修经营": "汽修经营", "义务教育入学": "入学报名",
    "建设用地规划许可": "用地规划许可", "建设工程规划许可": "工程规划许可",
    "乡村建设规划许可": "乡村规划许可", "建设项目环境影响评价": "环评", "危险废物经营许可": "危废许可",
    "娱乐场所经营许可": "娱乐场所许可", "互联网上网服务营业场所": "网吧", "旅行社业务经营许可": "旅行社许可",
    "艺术品经营单位": "艺术品经营",
}  # fmt: skip
# (verb zh, verb en, handling type, legal days, promised days)
_VERBS = (
    ("核发", "Issuance of", "承诺件", 20, 10), ("变更", "Change of", "承诺件", 20, 5),
    ("延续", "Renewal of", "承诺件", 20, 10), ("注销", "Cancellation of", "即办件", 10, 0),
    ("补办", "Replacement of", "承诺件", 15, 5), ("备案", "Filing of", "即办件", 5, 0),
    ("首次登记", "First registration of", "承诺件", 30, 5), ("审核确认", "Confirmation of", "承诺件", 30, 15),
    ("申领", "Application for", "承诺件", 15, 7), ("证明开具", "Certificate of", "即办件", 5, 0),
    ("信息查询", "Inquiry about", "即办件", 1, 0), ("转移接续", "Transfer of", "承诺件", 45, 15),
)  # fmt: skip
_SCOPES = (
    ("", ""), ("", ""), ("", ""), ("（跨省通办）", " (inter-provincial)"),
    ("（全程网办）", " (fully online)"), ("（告知承诺制）", " (notification and commitment)"),
    ("（东湖区）", " (Donghu District)"), ("（西山区）", " (Xishan District)"),
    ("（高新区）", " (High-tech Zone)"), ("（经开区）", " (Economic Development Zone)"),
    ("（临港新区）", " (Lingang New Area)"), ("（个人）", " (individuals)"), ("（企业）", " (enterprises)"),
)  # fmt: skip
_LIFE_EVENTS = {
    "GA": ("户口迁移一件事", "出生一件事", "身后一件事"),
    "SCJG": ("开办企业一件事", "企业信息变更一件事", "企业注销一件事", "开办餐饮店一件事"),
    "BDC": ("二手房转移登记及水电气网联合过户一件事", "身后一件事"),
    "RS": ("退休一件事", "就业一件事", "灵活就业一件事"),
    "YB": ("医疗费用报销一件事", "出生一件事"),
    "MZ": ("结婚一件事", "身后一件事", "养老服务一件事"),
    "GJJ": ("退休一件事", "二手房转移登记及水电气网联合过户一件事"),
    "WJ": ("出生一件事",),
    "CL": ("残疾人服务一件事",),
    "SW": ("开办企业一件事", "企业注销一件事"),
    "ZJ": ("申请公租房一件事", "项目建设一件事"),
    "JT": ("开办运输企业一件事", "大件运输一件事"),
    "JY": ("入学一件事",),
    "ZR": ("项目建设一件事",),
    "STHJ": ("项目建设一件事",),
    "WL": ("开办企业一件事",),
}
_LEGAL = {
    "GA": "《中华人民共和国居民身份证法》《中华人民共和国户口登记条例》",
    "SCJG": "《中华人民共和国市场主体登记管理条例》《中华人民共和国行政许可法》",
    "BDC": "《中华人民共和国民法典》《不动产登记暂行条例》",
    "RS": "《中华人民共和国社会保险法》《中华人民共和国就业促进法》",
    "YB": "《中华人民共和国社会保险法》《医疗保障基金使用监督管理条例》",
    "MZ": "《社会救助暂行办法》《婚姻登记条例》",
    "GJJ": "《住房公积金管理条例》",
    "WJ": "《中华人民共和国母婴保健法》《医疗机构管理条例》",
    "CL": "《中华人民共和国残疾人保障法》",
    "SW": "《中华人民共和国税收征收管理法》",
    "ZJ": "《中华人民共和国建筑法》《中华人民共和国城市房地产管理法》",
    "JT": "《中华人民共和国道路运输条例》",
    "JY": "《中华人民共和国义务教育法》《教师资格条例》",
    "ZR": "《中华人民共和国城乡规划法》《中华人民共和国土地管理法》",
    "STHJ": "《中华人民共和国环境影响评价法》《排污许可管理条例》",
    "WL": "《娱乐场所管理条例》《旅行社条例》",
}
_PERSON_MATERIALS = (
    ("申请人有效身份证件", "原件", 1, True, "现场核验，无需复印"),
    ("申请表", "原件", 1, True, "可在自助终端填写打印"),
    ("户口簿", "原件和复印件", 1, False, "户籍信息可共享的免于提交"),
    ("近期免冠证件照片", "原件", 2, False, "白底，2寸"),
    ("银行卡或社会保障卡（金融账户）", "原件", 1, False, "用于待遇发放"),
    ("结婚证", "原件和复印件", 1, False, "涉及配偶时提供"),
    ("收入情况说明", "原件", 1, False, "本人签字"),
    ("医疗机构诊断证明", "原件", 1, False, "二级及以上医疗机构出具"),
)
_COMPANY_MATERIALS = (
    ("申请书", "原件", 1, True, "法定代表人签字并加盖公章"),
    ("营业执照", "电子", 1, True, "电子营业执照可替代纸质"),
    ("法定代表人身份证件", "复印件", 1, True, ""),
    ("经办人身份证件及授权委托书", "原件", 1, True, ""),
    ("场所使用证明", "复印件", 1, False, "租赁合同或产权证明"),
    ("相关专业技术人员资格证明", "复印件", 1, False, ""),
    ("设备设施清单", "原件", 1, False, "加盖公章"),
    ("安全管理制度文本", "电子", 1, False, ""),
)
_CONDITIONS_PERSON = (
    "申请人具有完全民事行为能力",
    "申请人户籍或常住地在本市",
    "按规定参加相应社会保险",
    "申请材料真实、完整、有效",
    "未重复享受同类待遇",
)
_CONDITIONS_COMPANY = (
    "申请人依法取得营业执照或登记证书",
    "具有与经营活动相适应的场所和设施",
    "具有健全的管理制度",
    "配备符合要求的专业技术人员",
    "申请材料真实、完整、有效",
)
_STEPS = {
    "承诺件": ("申请：通过窗口、自助终端或网上提交申请", "受理：窗口核验材料，当场作出是否受理决定",
               "审查：承办科室审查，必要时现场核查", "决定：在承诺时限内作出决定",
               "送达：窗口领取或免费邮寄送达"),
    "即办件": ("申请：窗口或自助终端提交申请", "受理并审核：材料齐全、符合条件的当场办理",
               "办结：当场出具结果"),
}  # fmt: skip
_FAQ = (
    ("可以委托他人办理吗？", "可以，受托人需携带本人身份证件和委托书原件。"),
    ("怎样查询办理进度？", "凭受理编号或身份证在自助终端“办件查询”或网上办事大厅查询。"),
    ("办理结果如何领取？", "可选择窗口领取或免费邮寄，邮寄的请准确填写收件地址。"),
    ("材料不全怎么办？", "窗口将一次性告知需补正的材料，补齐后继续办理，无需重新排队取号。"),
    ("周末可以办理吗？", "大厅24小时自助区可查询和预约，窗口业务请在工作时间办理。"),
)


def _build_pools() -> list[tuple]:
    counters = {s["code"]: s["counters"] for s in demo_queue_services()}
    pools = []
    for dept in DEPARTMENTS:
        location = counter_location(counters[dept.queue])
        for obj in _OBJECTS[dept.code]:
            pools.append((dept, location, obj))
    return pools


def generate_catalog(n: int, seed: int = 1) -> Iterator[dict]:
    """`n` synthetic items, each a valid `CatalogItemIn` dict; the same for the same seed."""
    if n < 0:
        raise ValueError("n must not be negative")
    rng = random.Random(seed)
    pools = _build_pools()
    for i in range(1, n + 1):
        dept, location, (obj, obj_en, item_type, audience) = rng.choice(pools)
        verb, verb_en, handling, legal_days, promised_days = rng.choice(_VERBS)
        scope, scope_en = rng.choice(_SCOPES)
        code = f"SYN-{dept.code}-{i:07d}"
        title = f"{obj}{verb}{scope}"
        person = audience == "个人"
        material_pool = _PERSON_MATERIALS if person else _COMPANY_MATERIALS
        materials = [
            {"name": m[0], "form": m[1], "copies": m[2], "required": m[3], "note": m[4]}
            for m in material_pool[:2] + tuple(rng.sample(material_pool[2:], rng.randint(1, 4)))
        ]
        conditions = rng.sample(_CONDITIONS_PERSON if person else _CONDITIONS_COMPANY, 3)
        charged = rng.random() < 0.06
        short = _SHORT.get(obj, obj)
        yield {
            "code": code,
            "title": title,
            "title_en": f"{verb_en} {obj_en}{scope_en}",
            "department": dept.zh,
            "department_en": dept.en,
            "item_type": item_type,
            "handling_type": handling,
            "audience": [audience],
            "life_events": [rng.choice(_LIFE_EVENTS[dept.code])],
            "aliases": [f"{short}{verb}", f"办{short}"],
            "legal_basis": _LEGAL[dept.code],
            "conditions": conditions,
            "materials": materials,
            "steps": list(_STEPS[handling]),
            "situations": [
                {
                    "name": "委托代理人办理",
                    "description": "申请人不能到场，委托他人代为办理",
                    "materials": ["授权委托书", "受托人身份证件"],
                }
            ],
            "legal_days": legal_days,
            "promised_days": promised_days,
            "fee": {"charged": True, "amount": "工本费10元/证", "basis": "省级价格主管部门核定标准"}
            if charged
            else {"charged": False, "amount": "", "basis": ""},
            "location": location,
            "hours": dept.hours,
            "phone": dept.phone,
            "complaint_phone": COMPLAINT_PHONE,
            "visits": 0 if scope == "（全程网办）" else 1,
            "online_url": f"{ONLINE_BASE}/guide/{code}",
            "faq": [{"q": q, "a": a} for q, a in rng.sample(_FAQ, 2)],
            "forms": [],
            "queue_service": dept.queue,
            # Pareto: a few items are asked for all the time, most rarely (as in real halls).
            "popularity": min(int(rng.paretovariate(1.2) * 10) - 10, 100_000),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write synthetic catalog items as JSON Lines")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.count < 0:
        parser.error("--count must not be negative")
    out = sys.stdout
    for item in generate_catalog(args.count, args.seed):
        out.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
        out.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
