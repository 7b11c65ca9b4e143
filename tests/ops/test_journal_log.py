"""Under systemd the kiosk logs to the journal with priorities (issue 14): when stderr is the
stream JOURNAL_STREAM names (device:inode, systemd.exec(5)), every line starts with its
syslog priority `<N>` (sd-daemon(3)); anywhere else the logs stay JSON lines."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

from kiosk.ops.logs import JournalFormatter, RedactingFilter


def _kiosk_logging_to(args: list[str], tmp_path, journal: bool) -> list[str]:
    """Run `kiosk …` with stderr on a pipe whose device:inode is (or is not) JOURNAL_STREAM."""
    read_fd, write_fd = os.pipe()
    st = os.fstat(write_fd)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env.update(KIOSK_HOME=str(tmp_path / "home"),
               JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino + (0 if journal else 1)}")
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", *args], stderr=write_fd,
                            stdout=subprocess.DEVNULL, env=env)
    os.close(write_fd)
    with os.fdopen(read_fd, encoding="utf-8") as fh:
        err = fh.read()
    proc.wait(timeout=60)
    return err.splitlines()


def test_a_kiosk_command_under_systemd_prefixes_each_line_with_its_priority(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"code": "X"}\n', encoding="utf-8")
    args = ["--log-level", "info", "admin", "import-catalog", str(bad),
            "--data-dir", str(tmp_path / "data")]
    lines = _kiosk_logging_to(args, tmp_path, journal=True)
    info = [line for line in lines if line.startswith("<6>")]
    warning = [line for line in lines if line.startswith("<4>kiosk.cli: E-IMP-01")]
    assert info and warning, lines  # migrations at info, the refused import at warning
    # the one human line for the technician is not a log record: it carries no prefix
    assert [line for line in lines if not line.startswith("<")] == [
        line for line in lines if line.startswith("kiosk: E-IMP-01")]

    lines = _kiosk_logging_to(args, tmp_path, journal=False)  # another stream: JSON lines
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert {"info", "warning"} <= {r["level"] for r in records}
    assert not any(line.startswith("<") for line in lines)


def test_every_level_and_every_line_of_a_traceback_gets_its_priority():
    formatter, redacting = JournalFormatter(), RedactingFilter()
    expected = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3,
                logging.CRITICAL: 2}
    for level, prio in expected.items():
        record = logging.LogRecord("kiosk.x", level, __file__, 1, "paper %s", ("out",), None)
        redacting.filter(record)
        assert formatter.format(record) == f"<{prio}>kiosk.x: paper out"
    try:
        raise ValueError("身份证 11010519491231002X")
    except ValueError:
        record = logging.LogRecord("kiosk.x", logging.ERROR, __file__, 1, "failed", None,
                                   sys.exc_info())
    text = formatter.format(record)
    assert all(line.startswith("<3>") for line in text.splitlines())
    assert "Traceback" in text and "11010519491231002X" not in text  # still redacted
