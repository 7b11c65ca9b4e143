"""`kiosk printer|scanner|voice …` through the real CLI entry point."""

import json

from hardware.printer.readback import qr_payloads
from kiosk.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr().out
    return code, out


def test_printer_test_prints_chinese_and_a_qr_to_a_file_target(tmp_path, capsys):
    out = tmp_path / "test.bin"
    code, text = run(
        capsys,
        "printer",
        "test",
        "--printer",
        f"file:{out}",
        "--url",
        "https://hall.example.cn/t/CLI1",
        "--json",
    )
    assert code == 0
    result = json.loads(text)
    assert result["target"] == f"file:{out}" and result["status"]["status_name"] == "ok"
    assert "社会保障卡补办" in result["lines"] and "[raster]" in result["lines"]  # 王䶮 line
    data = out.read_bytes()
    assert result["bytes"] == len(data)
    assert qr_payloads(data) == [b"https://hall.example.cn/t/CLI1"]


def test_printer_test_defaults_to_the_simulator(capsys):
    code, text = run(capsys, "printer", "test")
    assert code == 0 and "printed a test ticket on sim" in text


def test_printer_test_on_a_faulty_printer_exits_with_the_printer_code(capsys):
    code, text = run(capsys, "printer", "test", "--printer", "sim?fault=cover_open", "--json")
    assert code == 62
    assert json.loads(text)["error"]["code"] == "E-PRN-03"


def test_printer_status_json_has_the_status_report_and_target(capsys):
    code, text = run(capsys, "printer", "status", "--printer", "sim?fault=paper_low", "--json")
    assert code == 0
    assert json.loads(text) == {
        "target": "sim?fault=paper_low",
        "status": 1,
        "status_name": "warning",
        "message": "paper low",
        "code": "E-PRN-05",
    }


def test_printer_status_bad_target_is_e_hw_01(capsys):
    code, text = run(capsys, "printer", "status", "--printer", "lpt:1", "--json")
    assert code == 30 and json.loads(text)["error"]["code"] == "E-HW-01"


def test_printer_decode_reads_back_a_capture(tmp_path, capsys):
    out = tmp_path / "cap.bin"
    assert run(capsys, "printer", "test", "--printer", f"sim?file={out}")[0] == 0
    code, text = run(capsys, "printer", "decode", str(out), "--json")
    result = json.loads(text)
    assert code == 0 and result["documents"] == 1 and result["cuts"] == 1
    assert result["qr"] == ["https://hall.example.cn/t/TEST0001"]
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"\x1b@\xff\xff")
    code, text = run(capsys, "printer", "decode", str(garbage), "--json")
    assert code == 8 and "offset 2" in json.loads(text)["error"]["message"]


def test_scanner_read_and_voice_say_on_simulators(capsys):
    code, text = run(
        capsys,
        "scanner",
        "read",
        "--scanner",
        "sim?code=https://a.cn/x",
        "--count",
        "2",
        "--timeout",
        "0.2",
        "--json",
    )
    assert code == 0 and json.loads(text)["codes"] == ["https://a.cn/x", None]
    code, text = run(capsys, "voice", "say", "请到三号窗口", "--voice", "sim", "--json")
    assert code == 0 and json.loads(text)["finished"] is True
