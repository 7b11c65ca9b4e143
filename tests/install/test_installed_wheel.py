"""The product outside the checkout: the sdist and the wheel built from it, installed with one
extra each into fresh virtual environments (not editable, no system site-packages), then a
smoke test of each side against the other.

Slow (venv creation + pip install; pip's cache makes it minutes, not tens of minutes), so
one build and one venv per side serve the whole module. Every command runs from a temporary
folder with a clean environment, so nothing can be imported from the checkout: each side
also checks that its packages live inside its venv.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.support.docs_assets import docs_assets
from tests.support.server import TEST_HOURS_ENV

REPO = Path(__file__).resolve().parents[2]
RUNNER = REPO / "tests" / "ui" / "kivy_runner.py"
ARTIFACTS = REPO / "tests" / "artifacts"

pytestmark = [pytest.mark.install, pytest.mark.timeout(1200)]

# what the code reads besides modules: the wheel and the sdist must both carry them
PACKAGE_DATA = [
    "common/defaults/default.toml",
    "common/defaults/schedule.toml",
    "common/defaults/devices.toml",
    "common/defaults/card_profiles.toml",
    "common/defaults/evaluation_reasons.toml",
    "common/defaults/forms/F-SBK-01.toml",
    "common/defaults/hardware_profiles/sim.toml",
    "common/defaults/demo/catalog.jsonl",
    "common/defaults/demo/queue_services.toml",
    "common/defaults/udev/99-hall-kiosk.rules",
    "kiosk/data/systemd/kiosk.service",
    "kiosk/data/systemd/hall-server.service",
    "screens/data/pinyin_lexicon.txt",
    "screens/views/search.kv",
    "screens/widgets/keyboard.kv",
    "screens/locale/zh_CN/LC_MESSAGES/kiosk.mo",
    "hall_server/migrations/script.py.mako",
    "hall_server/migrations/versions/0001_initial.py",
]

# the search scenario: the real app, the real on-screen keyboard, real taps (see tests/ui)
SCENARIO = '''
from screens.automation import Script


def search_by_keyboard(s: Script):
    app = s.app
    yield s.screen_is("home")
    s.tap(s.widget("tile_guide", "home"))
    yield s.screen_is("guide")
    s.tap(s.widget("search_box", "guide"))
    yield s.screen_is("search")
    vm = app.session.vm("search")
    kb = s.widget("keyboard")
    for key in "yyzz":
        yield s.until(lambda k=key: kb.key(k) is not None, f"key {key!r}")
        s.tap(kb.key(key))
        yield s.frames(1)
    yield s.until(lambda: vm.results_for == "yyzz", "results for yyzz")
    candidates = kb.ids.candidates
    s.results["first_candidate"] = candidates.children[-1].word
    s.tap(candidates.children[-1])
    yield s.until(lambda: vm.results_for == s.results["first_candidate"], "results for the word")
    yield s.frames(2)
    s.results["titles"] = [r.title for r in reversed(s.widget("rows").children)]
    yield s.shot(s.params["artifacts"] / "installed_search.png")
'''


@dataclass
class Venv:
    root: Path
    extra: str
    work: Path  # cwd of every command: not the checkout

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            "PATH": f"{self.bin}:/usr/bin:/bin",
            "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8",
            "KIOSK_HOME": str(self.work / "home"),
            "KIOSK_ETC": str(self.work / "no-etc"),
            "PYTHONUNBUFFERED": "1",
            # the demo hall's opening hours would refuse tickets over lunch and at night
            **TEST_HOURS_ENV,
        }
        env.update(extra)
        return env

    def run(self, *argv: str, check: bool = True, timeout: float = 120, **env: str):
        proc = subprocess.run([str(self.bin / "kiosk"), *argv], capture_output=True, text=True,
                              cwd=self.work, env=self.env(**env), timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"kiosk {' '.join(argv)} → {proc.returncode}\n"
                                 f"stdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-2000:]}")
        return proc

    def json(self, *argv: str, **env: str):
        return json.loads(self.run(*argv, "--json", **env).stdout)

    def python(self, code: str, **env: str) -> str:
        proc = subprocess.run([str(self.bin / "python"), "-c", code], capture_output=True,
                              text=True, cwd=self.work, env=self.env(**env), timeout=60)
        assert proc.returncode == 0, proc.stderr[-2000:]
        return proc.stdout


TIMES: dict[str, float] = {}


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict[str, Path]:
    """The sdist, and the wheel `build` makes from it (so the sdist must be complete)."""
    out = tmp_path_factory.mktemp("dist")
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    TIMES["build sdist + wheel"] = time.monotonic() - started
    return {"wheel": next(out.glob("*.whl")), "sdist": next(out.glob("*.tar.gz"))}


def _venv(tmp_path_factory, dist: dict[str, Path], extra: str) -> Venv:
    root = tmp_path_factory.mktemp(f"venv-{extra}")
    work = tmp_path_factory.mktemp(f"work-{extra}")
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=120)
    proc = subprocess.run(
        [str(root / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         f"{dist['wheel']}[{extra}]"],
        capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    TIMES[f"venv + pip install .[{extra}]"] = time.monotonic() - started
    venv = Venv(root, extra, work)
    # the packages come from the venv, not from the checkout
    where = venv.python("import common, kiosk; print(common.__file__); print(kiosk.__file__)")
    assert all(line.startswith(str(root)) for line in where.split()), where
    return venv


@pytest.fixture(scope="module")
def server_venv(tmp_path_factory, dist) -> Venv:
    return _venv(tmp_path_factory, dist, "server")


@pytest.fixture(scope="module")
def kiosk_venv(tmp_path_factory, dist) -> Venv:
    return _venv(tmp_path_factory, dist, "kiosk")


@pytest.fixture(scope="module")
def hall(server_venv: Venv):
    """`kiosk serve --demo` from the server venv on a free port."""
    data = server_venv.work / "server-data"
    log = (server_venv.work / "server.log").open("ab")
    proc = subprocess.Popen(
        [str(server_venv.bin / "kiosk"), "serve", "--host", "127.0.0.1", "--port", "0",
         "--data-dir", str(data), "--demo"],
        stdout=subprocess.PIPE, stderr=log, text=True, cwd=server_venv.work,
        env=server_venv.env(),
    )
    url = ""
    deadline = time.monotonic() + 60
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while not url and time.monotonic() < deadline and proc.poll() is None:
            if sel.select(timeout=0.2):
                line = proc.stdout.readline()
                if line.startswith("serving on "):
                    url = line.split()[-1].strip()
    if not url:
        proc.kill()
        pytest.fail("installed `kiosk serve` did not start:\n"
                    + (server_venv.work / "server.log").read_text(errors="replace")[-3000:])
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.1)
    yield {"url": url, "data": data}
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
    log.close()


# --- the package ------------------------------------------------------------------------------
def test_wheel_and_sdist_carry_every_file_the_code_reads(dist):
    wheel = set(zipfile.ZipFile(dist["wheel"]).namelist())
    with tarfile.open(dist["sdist"]) as tar:
        top = tar.getnames()[0].split("/")[0]
        sdist = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    assert [p for p in PACKAGE_DATA if p not in wheel] == []
    assert [p for p in PACKAGE_DATA if p not in sdist] == []
    assert {"README.md", "pyproject.toml", "docs/api.md", "tests/conftest.py"} <= sdist, top
    # nothing of the checkout's state goes out
    assert not [n for n in wheel | sdist if "__pycache__" in n or n.endswith(".pyc")]


# --- the server side --------------------------------------------------------------------------
def test_installed_server_serves_health_and_offline_docs(hall):
    health = requests.get(f"{hall['url']}/api/v1/health", timeout=10)
    assert health.status_code == 200 and health.json()["status"] == "ok", health.text
    sizes = docs_assets(hall["url"])
    assert any(u.endswith("swagger-ui-bundle.js") for u in sizes)


def test_server_install_without_the_kiosk_extra_says_which_to_install(server_venv):
    proc = server_venv.run("run", check=False)
    assert proc.returncode == 17, proc.stdout + proc.stderr
    assert "E-DEP-02" in proc.stderr and "pip install 'hall-kiosk[kiosk]'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_installed_units_pass_systemd_analyze(server_venv, kiosk_venv, tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not installed (apt-get install systemd)")
    units = tmp_path / "units"
    server_venv.json("admin", "install-units", "--target", str(units), "--user", "root")
    kiosk_venv.json("install-units", "--target", str(units), "--user", "root")
    files = sorted(units.glob("*.service"))
    assert [f.name for f in files] == ["hall-server.service", "kiosk.service"]
    proc = subprocess.run(["systemd-analyze", "verify", *map(str, files)],
                          capture_output=True, text=True, timeout=60)
    # verify also checks that every executable exists: cage is not installed on a test box
    problems = [line for line in proc.stderr.splitlines()
                if line.strip() and "cage" not in line and "Command /usr/bin/cage" not in line]
    assert problems == [], proc.stderr


# --- the kiosk side ---------------------------------------------------------------------------
def test_installed_kiosk_provisions_syncs_searches_prints_and_renders(hall, server_venv,
                                                                       kiosk_venv):
    code = server_venv.json("admin", "enroll-code", "--role", "kiosk", "--data-dir",
                            str(hall["data"]))["code"]
    printer = kiosk_venv.work / "printer.bin"
    env = {"KIOSK_PRINTER_TARGET": f"file:{printer}", "KIOSK_DEVICES_IDCARD": "sim:resident"}
    kiosk_venv.json("provision", "--server", hall["url"], "--code", code, "--name", "PKG-K1",
                    "--hardware", "sim", "--noinput", **env)
    synced = kiosk_venv.json("sync", **env)
    assert synced["state"] == "online", synced
    found = kiosk_venv.json("search", "yingyezhizhao", **env)
    assert any("营业执照" in r["title"] for r in found["results"]), found
    ticket = kiosk_venv.json("ticket", "take", "ZHSL", "--print", **env)
    assert ticket["printed"] and not ticket["offline"] and ticket["number"], ticket
    assert ticket["number"].encode("ascii") in printer.read_bytes()

    # the touch UI, offscreen: the home screen, then a pinyin query typed on the keyboard
    shot = ARTIFACTS / "installed_home.png"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    ui_env = {**env, "SDL_VIDEODRIVER": "offscreen"}
    kiosk_venv.run("run", "--screenshot", str(shot), "--exit-after-screenshot", timeout=120,
                   **ui_env)
    assert shot.stat().st_size > 10_000
    runner_dir = kiosk_venv.work / "ui"
    runner_dir.mkdir(exist_ok=True)
    shutil.copy(RUNNER, runner_dir / "kivy_runner.py")  # imports only the installed packages
    (runner_dir / "scenarios.py").write_text(SCENARIO, encoding="utf-8")
    result = kiosk_venv.work / "search.result.json"
    proc = subprocess.run(
        [str(kiosk_venv.bin / "python"), str(runner_dir / "kivy_runner.py"),
         "search_by_keyboard", "--home", str(kiosk_venv.work / "home"), "--artifacts",
         str(ARTIFACTS), "--result", str(result), "--timeout", "60"],
        capture_output=True, text=True, cwd=kiosk_venv.work, env=kiosk_venv.env(**ui_env),
        timeout=120,
    )
    assert result.exists(), proc.stderr[-3000:]
    outcome = json.loads(result.read_text())
    assert outcome["ok"], f"{outcome['error']}\n{proc.stderr[-3000:]}"
    assert outcome["results"]["first_candidate"] == "营业执照"
    assert any("营业执照" in t for t in outcome["results"]["titles"])


def test_kiosk_install_without_the_server_extra_says_which_to_install(kiosk_venv):
    proc = kiosk_venv.run("serve", "--port", "0", check=False)
    assert proc.returncode == 17, proc.stdout + proc.stderr
    assert "E-DEP-02" in proc.stderr and "pip install 'hall-kiosk[server]'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_zz_report_times():
    """Prints how long building and installing took (read with -s; the README quotes it)."""
    for step, seconds in TIMES.items():
        print(f"{step}: {seconds:.1f} s")
