"""`kiosk config init`: the hall's own folder (/etc/hall-kiosk or /etc/hall-server) with a
commented starting set, so that everything a hall edits lives outside the package and
survives an upgrade.

Written once, never overwritten: running it again (an upgrade) adds what is new and keeps
every file the hall has edited.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from common.errors import CONFIG_UNREADABLE, HALL_DIR_UNWRITABLE, KioskError
from common.paths import HALL_SETTINGS_FILE, config_dir

HEADER = """\
# This hall's settings: a layer between the defaults shipped in the package and each
# machine's $KIOSK_HOME/site.toml (then remote configuration, KIOSK_* variables, flags).
# Every line below is the packaged default, commented out: uncomment and change what this
# hall needs. `kiosk config check` shows the result; `kiosk config spec` explains each key.
# Written by `kiosk config init`; upgrades never touch this file.
"""

HOLIDAYS = """\
# Public holidays and make-up working days (调休) of this hall, one list each; the opening
# hours in schedule.toml are closed on `holidays` and open on `workdays` (a weekend day that
# is worked). Deadlines in working days (promised_days) count with them on the hall server.
# holidays = [2027-01-01, 2027-02-05, 2027-02-06]
# workdays = [2027-02-14]
holidays = []
workdays = []
"""

README = """\
The hall's own files. Each one here replaces the packaged default of the same name:
  config.toml           settings (a layer; see its header)
  schedule.toml         opening hours of each touch-screen function (kiosk)
  holidays.toml         public holidays and make-up working days
  evaluation_reasons.toml, devices.toml, card_profiles.toml: copy the packaged file from
                        `python -c "from common.paths import config_dir; print(config_dir())"`
                        when this hall needs its own.
  forms/NAME.toml, hardware_profiles/NAME.toml: a file here replaces the packaged one of the
                        same name; a new name adds a form / a profile.
Package upgrades never touch this folder.
"""


def _commented(text: str) -> str:
    """Every setting line commented out, comments and section headers kept as comments."""
    lines = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            lines.append(line)
        else:
            lines.append("# " + line)
    return "\n".join(lines) + "\n"


def starting_set() -> dict[str, str]:
    """File name (relative) → content."""
    defaults = config_dir()
    try:
        settings = (defaults / "default.toml").read_text(encoding="utf-8")
        schedule = (defaults / "schedule.toml").read_text(encoding="utf-8")
    except OSError as exc:
        raise KioskError(CONFIG_UNREADABLE, f"{exc.filename}: {exc.strerror}") from exc
    body = settings.split("\n\n", 1)[1] if "\n\n" in settings else settings
    return {
        HALL_SETTINGS_FILE: HEADER + "\n" + _commented(body),
        "schedule.toml": schedule,
        "holidays.toml": HOLIDAYS,
        "README": README,
        "forms/": "",
        "hardware_profiles/": "",
    }


def init_hall_dir(target: Path) -> dict[str, list[str]]:
    """Write the starting set into `target`; files already there are kept as they are."""
    written, kept = [], []
    try:
        target.mkdir(parents=True, exist_ok=True, mode=0o755)
        for name, content in starting_set().items():
            path = target / name
            if name.endswith("/"):
                path.mkdir(exist_ok=True, mode=0o755)
                continue
            if path.exists():
                kept.append(str(path))
                continue
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(content, encoding="utf-8")
            tmp.chmod(0o644)
            tmp.replace(path)
            written.append(str(path))
    except OSError as exc:
        where = exc.filename or target
        raise KioskError(HALL_DIR_UNWRITABLE, f"{where}: {exc.strerror or exc}") from exc
    return {"dir": [str(target)], "written": written, "kept": kept}


def copy_default(name: str, target: Path) -> Path:
    """A packaged default copied into the hall's folder (for `--copy NAME`)."""
    source = config_dir() / name
    if not source.is_file() or ".." in Path(name).parts:
        raise KioskError(CONFIG_UNREADABLE, f"{name}: no such packaged file")
    dest = target / name
    dest.parent.mkdir(parents=True, exist_ok=True)
    if not dest.exists():
        shutil.copyfile(source, dest)
    return dest
