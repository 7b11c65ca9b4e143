import io
import json
import logging

from common.redact import mask_id_number, mask_name, mask_phone, redact, redact_mapping
from kiosk.ops.logs import RedactingFilter, setup_logging


def test_masks_follow_the_house_format():
    assert mask_id_number("410105199001011234") == "410105********1234"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_phone("13812345678") == "138****5678"


def test_free_text_is_scanned_for_id_numbers_and_phones():
    text = "holder 11010519491231002X called from 13912345678 about A001"
    out = redact(text)
    assert "11010519491231002X" not in out and "110105********002X" in out
    assert "13912345678" not in out and "139****5678" in out
    assert "A001" in out


def test_structured_data_is_masked_by_key_recursively():
    data = {"card": {"name": "王䶮", "id_number": "11010519491231002X", "address": "北京市东城区某街道1号"},
            "fields": [{"phone": "13812345678"}], "n": 3}
    out = redact_mapping(data)
    assert out["card"]["name"] == "王*"
    assert out["card"]["id_number"] == "110105********002X"
    assert "某街道" not in out["card"]["address"]
    assert out["fields"][0]["phone"] == "138****5678"
    assert out["n"] == 3
    assert data["card"]["name"] == "王䶮"  # the original is untouched


def test_log_records_are_redacted_before_they_are_written():
    stream = io.StringIO()
    root = logging.getLogger()
    for h in [h for h in root.handlers if getattr(h, "_kiosk", False)]:
        root.removeHandler(h)
    setup_logging("info", stream=stream)
    logging.getLogger("test").warning("read card %s", "11010519491231002X",
                                      extra={"data": {"name": "张三"}})
    entry = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert "11010519491231002X" not in entry["msg"]
    assert entry["data"]["name"] == "张*"
    assert any(isinstance(f, RedactingFilter) for h in root.handlers for f in h.filters)
