"""Sample cards for the simulator: fictional people, valid check digits, one per kind.

Names are textbook placeholders and addresses say 示例 ("example"), so a sample that leaks
into a real record is obvious. Photos are a fixed non-WLT pattern (there is no public WLT
encoder); they only stand for the 1024-byte blob.
"""

from __future__ import annotations

from hardware.idcard.idnumber import gb11643_check_char, icao9303_check_digit
from hardware.idcard.model import LONG_TERM, CodeLabel, IdCard
from hardware.idcard.tables import gender_label, nation_label

SAMPLE_PHOTO = (b"SIMULATED-WLT-PHOTO-" * 52)[:1024]
SAMPLE_FINGERPRINTS = (b"SIMULATED-FINGERPRINT-" * 47)[:1024]


def _gb(first17: str) -> str:
    return first17 + gb11643_check_char(first17)


def _g(code: str) -> CodeLabel:
    return CodeLabel(code, gender_label(code))


def _n(code: str) -> CodeLabel:
    return CodeLabel(code, nation_label(code))


SAMPLES: dict[str, IdCard] = {
    "resident": IdCard(
        kind="resident_id",
        name="韩梅梅",
        gender=_g("2"),
        nation=_n("01"),
        birth="1990-03-07",
        address="北京市东城区示例胡同1号院2号楼401室",
        id_number=_gb("11010119900307002"),
        id_number_valid=True,
        authority="北京市公安局东城分局",
        valid_from="2016-05-20",
        valid_to="2036-05-20",
        photo=SAMPLE_PHOTO,
    ),
    "resident_elderly": IdCard(
        kind="resident_id",
        name="李雷",
        gender=_g("1"),
        nation=_n("46"),
        birth="1950-01-15",
        address="云南省德宏傣族景颇族自治州芒市示例路8号",
        id_number=_gb("53310219500115003"),
        id_number_valid=True,
        authority="芒市公安局",
        valid_from="2012-10-08",
        valid_to=LONG_TERM,
        photo=SAMPLE_PHOTO,
        appended_address="云南省芒市示例新村12号",
    ),
    "hkmt": IdCard(
        kind="hkmt_permit",
        name="陈大文",
        gender=_g("1"),
        nation=None,
        birth="1994-08-23",
        address="广东省深圳市福田区示例路88号",
        id_number=_gb("81000019940823001"),
        id_number_valid=True,
        authority="深圳市公安局",
        valid_from="2023-09-01",
        valid_to="2028-09-01",
        permit_number="H12345678",
        issue_count=1,
        photo=SAMPLE_PHOTO,
    ),
    "foreign2017": IdCard(
        kind="foreign_permanent_2017",
        name="多伊简",
        gender=_g("2"),
        nation=None,
        birth="1990-05-21",
        address="",
        id_number="CAN11009005212" + icao9303_check_digit("CAN11009005212"),
        id_number_valid=True,
        authority="",
        valid_from="2018-03-01",
        valid_to="2028-03-01",
        name_en="DOE, JANE",
        nationality="CAN",
        card_version="01",
        authority_code="1100",
        photo=SAMPLE_PHOTO,
    ),
    "foreign2023": IdCard(
        kind="foreign_permanent_2023",
        name="马丁",
        gender=_g("1"),
        nation=None,
        birth="1985-11-12",
        address="",
        id_number=_gb("91112419851112003"),
        id_number_valid=True,
        authority="",
        valid_from="2023-12-01",
        valid_to="2033-12-01",
        name_en="MONTGOMERY-WORTHINGTON, ALEXANDER JONATHAN",
        nationality="CAN",
        renewal_count=0,
        photo=SAMPLE_PHOTO,
    ),
}

# `sim:<kind>` accepts these names; the JSON kinds are accepted too.
ALIASES = {
    "resident_id": "resident",
    "hkmt_permit": "hkmt",
    "foreign_permanent_2017": "foreign2017",
    "foreign_permanent_2023": "foreign2023",
}


def sample(name: str) -> IdCard:
    """A sample card by short name (resident, resident_elderly, hkmt, foreign2017,
    foreign2023) or by kind; KeyError names the choices."""
    key = ALIASES.get(name, name)
    if key not in SAMPLES:
        raise KeyError(f"no sample card {name!r}; choose from {', '.join(SAMPLES)}")
    return SAMPLES[key]
