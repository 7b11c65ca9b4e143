"""Long admin work shows progress on a terminal and stays quiet with --json or when stderr
is not a terminal (issue 14): a 3,000-item catalog import and a kiosk's first sync, each run
under a real pseudo-terminal."""

from __future__ import annotations

import json
import sys

import pytest

from tests.support.kiosk_cli import KioskCli
from tests.support.pty_run import run_on_pty

ITEMS = 2000  # two progress reports per stage (every 1,000 lines)


@pytest.fixture(scope="module")
def catalog_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("catalog") / "catalog.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(ITEMS):
            fh.write(json.dumps({"code": f"T-{i:05d}", "title": f"测试事项{i}号",
                                 "department": "测试局"}, ensure_ascii=False) + "\n")
    return path


def _kiosk(cli: KioskCli, *args: str) -> tuple[int, str]:
    return run_on_pty([sys.executable, "-m", "kiosk", *args], cli.env)


def test_catalog_import_draws_a_bar_on_a_terminal_and_none_with_json(tmp_path, catalog_file):
    cli = KioskCli(tmp_path / "home")
    where = ("--data-dir", str(tmp_path / "data"))
    code, out = _kiosk(cli, "admin", "import-catalog", str(catalog_file), *where)
    assert code == 0, out
    assert "检查 checking" in out and "写入 writing" in out, out
    assert f"{ITEMS}/{ITEMS}" in out and "\r" in out  # redrawn in place, run to its end
    assert f"imported {ITEMS} items: {ITEMS} added" in out

    code, out = _kiosk(cli, "admin", "import-catalog", str(catalog_file), *where, "--json")
    assert code == 0, out
    assert json.loads(out)["unchanged"] == ITEMS  # the whole output is the one document


def test_first_sync_draws_a_bar_on_a_terminal_and_none_off_one(server, tmp_path):
    cli = KioskCli(tmp_path / "k")
    code, out = _kiosk(cli, "provision", "--server", server.url, "--code", server.enroll_code(),
                       "--name", "PROG1", "--hardware", "sim", "--noinput")
    assert code == 0, out
    synced = next(line for line in out.splitlines() if "catalog items synced" in line)
    count = synced.split("catalog items synced")[0].rsplit(";", 1)[1].strip()
    assert f"同步事项目录 catalog: {count} items" in out.replace("\r", "\n"), out

    code, out = _kiosk(cli, "sync")
    assert code == 0, out
    assert "同步事项目录 catalog: 0 items" in out and "network online" in out, out

    proc = cli.run("sync")  # stderr a pipe (systemd, cron, a script): no bar
    assert proc.stderr == "" and "network online" in proc.stdout
