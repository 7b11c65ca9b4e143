"""A command whose extra is not installed names the extra (E-DEP-02, exit 17).

The installed-wheel test (test_installed_wheel.py) checks this on real partial installs; here
the checkout's venv (every extra installed) hides a module from a child interpreter the
standard way (`sys.modules[name] = None` makes `import name` raise ModuleNotFoundError).
"""

from __future__ import annotations

import importlib.metadata as md
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from kiosk.cli.extras import EXTRA_OF_MODULE

ROOT = Path(__file__).resolve().parents[2]


def _run_without(module: str, *argv: str, tmp_path: Path) -> subprocess.CompletedProcess:
    code = (
        f"import sys; sys.modules[{module!r}] = None\n"
        "from kiosk.cli import main\n"
        f"sys.exit(main({list(argv)!r}))\n"
    )
    env = {"KIOSK_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "KIOSK_ETC": str(tmp_path / "etc")}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=60)


@pytest.mark.parametrize(
    ("module", "argv", "extra"),
    [
        ("alembic", ["admin", "migrate", "--json"], "server"),
        ("sqlalchemy", ["admin", "devices", "--json"], "server"),
        ("requests", ["sync", "--json"], "kiosk"),
    ],
)
def test_missing_extra_names_it(module, argv, extra, tmp_path):
    proc = _run_without(module, *argv, tmp_path=tmp_path)
    assert proc.returncode == 17, proc.stdout + proc.stderr
    err = json.loads(proc.stdout)["error"]
    assert err["code"] == "E-DEP-02"
    assert f"pip install 'hall-kiosk[{extra}]'" in err["message"]
    assert "Traceback" not in proc.stderr


def test_missing_extra_without_json_is_one_line(tmp_path):
    proc = _run_without("fastapi", "serve", "--port", "0", tmp_path=tmp_path)
    assert proc.returncode == 17
    assert "E-DEP-02" in proc.stderr and "hall-kiosk[server]" in proc.stderr
    assert "Traceback" not in proc.stderr and "unexpected" not in proc.stderr.lower()


# pinned in both extras, mapped to either (zstandard: the server builds the kiosk's catalog store)
BOTH_SIDES = {"qrcode", "cryptography", "tqdm", "zstandard"}


def test_every_pinned_dependency_of_an_extra_is_mapped():
    """EXTRA_OF_MODULE follows pyproject.toml: each distribution an extra pins has one of its
    import names mapped to that extra (qrcode and cryptography, in both, to either)."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    imports_of: dict[str, set[str]] = {}
    for top, dists in md.packages_distributions().items():
        for dist in dists:
            imports_of.setdefault(re.sub(r"[-_.]+", "-", dist).lower(), set()).add(top)
    missing = []
    for extra in ("kiosk", "server"):
        for pin in extras[extra]:
            dist = re.sub(r"[-_.]+", "-", re.split(r"[\[=<>~ ]", pin)[0]).lower()
            tops = imports_of.get(dist, set())
            if not any(top in EXTRA_OF_MODULE for top in tops):
                missing.append(f"{extra}: {dist} (imports {sorted(tops)})")
            elif dist not in BOTH_SIDES and extra not in {EXTRA_OF_MODULE.get(t) for t in tops}:
                missing.append(f"{extra}: {dist} mapped to another extra")
    assert not missing, missing


def test_ui_without_kivy_names_the_kiosk_extra(tmp_path):
    proc = _run_without("kivy", "run", tmp_path=tmp_path)
    assert proc.returncode == 17, proc.stderr[-2000:]
    assert "E-DEP-02" in proc.stderr and "hall-kiosk[kiosk]" in proc.stderr
    assert "Traceback" not in proc.stderr and "E-UI-02" not in proc.stderr
