"""Installing the systemd units in kiosk/data/systemd/ (`kiosk install-units` on a terminal,
`kiosk admin install-units` on a hall server): fill in user, paths and ports, write them to
/etc/systemd/system (or --target DIR), and say which systemctl commands enable them. Nothing
here runs systemctl: the command prints them, so it also works in an image build (chroot).
"""

from __future__ import annotations

import getpass
import shutil
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from common.errors import UNITS_INSTALL_FAILED, KioskError

# Shipped in the package (kiosk/data/systemd/), read through importlib.resources.
TEMPLATES = resources.files("kiosk").joinpath("data", "systemd")
SYSTEM_DIR = Path("/etc/systemd/system")
UNITS = {"kiosk": "kiosk.service", "server": "hall-server.service"}
# A system service's state (KIOSK_HOME) when the unit runs as another user than the one
# installing it: `sudo kiosk install-units --user kiosk` must not write root's home into it.
SERVICE_HOMES = {"kiosk": Path("/var/lib/hall-kiosk"), "server": Path("/var/lib/hall-server")}
VAR_LIB = Path("/var/lib")


def unit_home(which: str, *, home: Path | None, user: str | None, environ: dict[str, str]) -> Path:
    """KIOSK_HOME written into the unit: --home, else KIOSK_HOME from the environment (the
    integrator chose it), else /var/lib/hall-kiosk|hall-server for another user, else ours."""
    if home is not None:
        return home
    if environ.get("KIOSK_HOME"):
        return Path(environ["KIOSK_HOME"]).expanduser()
    if user and user != getpass.getuser():
        return SERVICE_HOMES[which]
    from common.paths import kiosk_home

    return kiosk_home()


def _state_directory(home: Path) -> str:
    """systemd creates /var/lib/NAME for the unit's user before it starts (and before
    ProtectSystem= makes the rest read-only); other homes are the integrator's to create."""
    resolved = home.resolve()
    if resolved.parent == VAR_LIB:
        return f"StateDirectory={resolved.name}\nStateDirectoryMode=0700"
    return f"# KIOSK_HOME {resolved} is not under /var/lib: create it for the unit's user"


@dataclass(frozen=True)
class UnitOptions:
    user: str
    home: Path
    kiosk: str  # the `kiosk` executable
    cage: str = "/usr/bin/cage"
    data_dir: Path | None = None  # hall server
    host: str = "127.0.0.1"
    port: int = 8470


def default_options(
    home: Path,
    *,
    user: str | None = None,
    data_dir: Path | None = None,
    host: str = "127.0.0.1",
    port: int = 8470,
) -> UnitOptions:
    exe = shutil.which("kiosk") or str(Path(sys.executable).with_name("kiosk"))
    return UnitOptions(
        user=user or getpass.getuser(),
        home=home.resolve(),
        kiosk=exe,
        cage=shutil.which("cage") or "/usr/bin/cage",
        data_dir=(data_dir or home / "server").resolve(),
        host=host,
        port=port,
    )


def render(which: str, options: UnitOptions) -> str:
    template = TEMPLATES.joinpath(UNITS[which])
    try:
        text = template.read_text(encoding="utf-8")
    except OSError as exc:
        raise KioskError(UNITS_INSTALL_FAILED, f"template {template}: {exc.strerror}") from exc
    values = {
        "user": options.user,
        "home": str(options.home),
        "kiosk": options.kiosk,
        "cage": options.cage,
        "data_dir": str(options.data_dir or options.home / "server"),
        "host": options.host,
        "port": str(options.port),
        "state_directory": _state_directory(options.home),
    }
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def install(which: list[str], options: UnitOptions, target: Path = SYSTEM_DIR) -> dict:
    """Write the units; returns the paths and the commands that enable them."""
    written = []
    for name in which:
        path = target / UNITS[name]
        try:
            target.mkdir(parents=True, exist_ok=True)
            path.write_text(render(name, options), encoding="utf-8")
            path.chmod(0o644)
        except OSError as exc:
            raise KioskError(UNITS_INSTALL_FAILED, f"{path}: {exc.strerror}") from exc
        written.append(str(path))
    units = " ".join(UNITS[n] for n in which)
    return {
        "written": written,
        "next": ["systemctl daemon-reload", f"systemctl enable --now {units}"],
    }
