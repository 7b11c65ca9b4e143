"""Which extra of the `hall-kiosk` package brings a missing module, so that a command run on
an install without it says what to install (E-DEP-02) instead of "unexpected internal error".

Kept in step with pyproject.toml's [project.optional-dependencies]: the import names of what
each extra pins (a test compares them).
"""

from __future__ import annotations

from common.errors import EXTRA_MISSING, KioskError

PACKAGE = "hall-kiosk"

# import name (top level) → the extra that installs it
EXTRA_OF_MODULE = {
    # kiosk: UI, devices, local store, HTTP client
    "kivy": "kiosk",
    "requests": "kiosk",
    "PIL": "kiosk",
    "fontTools": "kiosk",
    "escpos": "kiosk",
    "serial": "kiosk",
    "usb": "kiosk",
    "smartcard": "kiosk",
    "cryptography": "kiosk",
    "tomlkit": "kiosk",
    "zstandard": "kiosk",
    # both sides draw progress bars of long admin work on a terminal; a kiosk is the commoner
    "tqdm": "kiosk",
    # server: API, database, migrations, pinyin, pages
    "fastapi": "server",
    "starlette": "server",
    "uvicorn": "server",
    "sqlalchemy": "server",
    "alembic": "server",
    "psycopg": "server",
    "pypinyin": "server",
    "jinja2": "server",
    "fastapi_offline": "server",
    "sqlite_utils": "server",
    "uvloop": "server",
    "httptools": "server",
    # both sides use qrcode and cryptography; a kiosk is the commoner install of the two
    "qrcode": "kiosk",
}


def missing_extra(exc: ModuleNotFoundError) -> KioskError | None:
    """E-DEP-02 naming the extra when `exc` is about a module one of our extras installs."""
    top = (exc.name or "").split(".")[0]
    extra = EXTRA_OF_MODULE.get(top)
    if extra is None:
        return None
    return KioskError(
        EXTRA_MISSING,
        f"this command needs {top!r}, which comes with the {extra!r} extra: "
        f"pip install '{PACKAGE}[{extra}]'",
    )
