"""The kiosk side never imports the server stack; the server never imports the UI stack."""

import json
import subprocess
import sys

KIOSK_SIDE = ["kiosk.core", "kiosk.cli", "kiosk.cli.kiosk_cmds", "kiosk.tickets", "kiosk.progress",
              "kiosk.ops.provisioning", "offline_cache.sync", "offline_cache.catalog", "common.wire"]


def _loaded_after(imports: list[str]) -> set[str]:
    code = ("import importlib, json, sys\n"
            f"for m in {imports!r}: importlib.import_module(m)\n"
            "print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def test_kiosk_side_imports_no_server_stack():
    loaded = _loaded_after(KIOSK_SIDE)
    for forbidden in ("fastapi", "sqlalchemy", "uvicorn", "alembic", "psycopg", "pypinyin", "jieba",
                      "sqlite_utils"):
        assert forbidden not in loaded, forbidden


def test_cli_parser_builds_without_heavy_imports():
    code = ("import json, sys; from kiosk.cli import build_parser; build_parser(); "
            "print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    for heavy in ("kivy", "fastapi", "sqlalchemy", "requests", "usb", "serial", "smartcard"):
        assert heavy not in loaded, heavy
