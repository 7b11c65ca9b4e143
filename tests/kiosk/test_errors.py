import re

from common import errors


def test_codes_are_well_formed_and_exit_codes_stay_in_their_family():
    families = {"GEN": (1, 1), "CLI": (2, 2), "CFG": (3, 3), "NET": (4, 4), "SRV": (5, 5),
                "AUTH": (7, 7), "API": (6, 8), "QUE": (6, 8), "APP": (6, 6), "VAL": (8, 8),
                "STO": (9, 9), "PRV": (14, 14), "UI": (15, 15), "DOC": (16, 16), "DEP": (17, 17), "NTF": (18, 18), "EVA": (6, 8), "IMP": (8, 8), "HW": (30, 39), "IDC": (40, 49), "SC": (50, 59),
                "PRN": (60, 69), "SCN": (70, 79), "VOI": (80, 89)}
    for code, entry in errors.REGISTRY.items():
        m = re.fullmatch(r"E-([A-Z]+)-(\d{2})", code)
        assert m, code
        lo, hi = families[m.group(1)]
        assert lo <= entry.exit_code <= hi, code
        assert entry.en and entry.zh, code
        assert 100 <= entry.http_status <= 599


def test_kiosk_error_renders_the_json_contract():
    err = errors.KioskError(errors.SERVICE_UNKNOWN, "Z")
    body = err.to_json()
    assert body["error"]["code"] == "E-QUE-01"
    assert body["error"]["message"].endswith(": Z")
    assert err.screen_text == "没有该业务"
