"""Gettext catalogs for every user-facing string of the touch UI (zh_CN first, en).

Source strings (msgids) are the Simplified-Chinese screen texts: the kiosk is Chinese first, a
reviewer reads the code in the language the citizen sees, and a missing English entry falls back
to Chinese rather than to a key. Catalogs live in `screens/locale/<lang>/LC_MESSAGES/kiosk.po`.

The `.po` files are the source of truth; the `.mo` files gettext reads are compiled at start
when missing or older than their `.po` — by the small compiler below, because the standard
library ships a reader but no writer and `msgfmt` (gettext-tools) is not on every kiosk image.
A test checks this compiler against `msgfmt` where that exists.

The language is process-wide, as it is for gettext itself: `set_language()` switches it and
`_()` reads it. Kivy bindings observe it through `screens.tr` (kv side) and view-models
re-render on `Session.set_language`.
"""

from __future__ import annotations

import ast
import gettext
import logging
import os
import struct
import tempfile
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

DOMAIN = "kiosk"
LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


# --- the .po → .mo compiler ------------------------------------------------------------------
def parse_po(text: str) -> dict[str, str]:
    """msgid → msgstr of a `.po` file without plurals or contexts (our catalogs use neither).

    Fuzzy entries and empty translations are left out, as msgfmt leaves them out; the header
    entry (msgid "") is kept because it carries the charset gettext decodes with.
    """
    entries: dict[str, str] = {}
    msgid: list[str] | None = None
    msgstr: list[str] | None = None
    current: list[str] | None = None
    fuzzy = False

    def flush() -> None:
        nonlocal msgid, msgstr, fuzzy
        if msgid is not None and msgstr is not None:
            key, value = "".join(msgid), "".join(msgstr)
            if value and not fuzzy:
                entries[key] = value
        msgid = msgstr = None
        fuzzy = False

    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if msgstr is not None:
                flush()
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            continue
        if line.startswith("msgid "):
            if msgstr is not None:
                flush()
            msgid = [_po_string(line[6:], lineno)]
            current = msgid
        elif line.startswith("msgstr "):
            if msgid is None:
                raise ValueError(f"line {lineno}: msgstr without msgid")
            msgstr = [_po_string(line[7:], lineno)]
            current = msgstr
        elif line.startswith('"'):
            if current is None:
                raise ValueError(f"line {lineno}: string continuation outside an entry")
            current.append(_po_string(line, lineno))
        else:
            raise ValueError(f"line {lineno}: unsupported .po syntax: {line[:40]!r}")
    flush()
    return entries


def _po_string(token: str, lineno: int) -> str:
    token = token.strip()
    if len(token) < 2 or token[0] != '"' or token[-1] != '"':
        raise ValueError(f"line {lineno}: expected a quoted string")
    # .po escapes are C escapes, which a Python string literal reads the same way.
    return ast.literal_eval(token)


def write_mo(entries: dict[str, str], path: Path) -> None:
    """The GNU .mo layout: header, two tables of (length, offset), then the strings, sorted."""
    keys = sorted(entries, key=lambda k: k.encode())
    ids = [k.encode() for k in keys]
    strs = [entries[k].encode() for k in keys]
    n = len(keys)
    header_size = 7 * 4
    ids_table = header_size
    strs_table = ids_table + n * 8
    data_start = strs_table + n * 8
    blob = bytearray()
    id_offsets, str_offsets = [], []
    for b in ids:
        id_offsets.append((len(b), data_start + len(blob)))
        blob += b + b"\0"
    for b in strs:
        str_offsets.append((len(b), data_start + len(blob)))
        blob += b + b"\0"
    out = bytearray(struct.pack("<7I", 0x950412DE, 0, n, ids_table, strs_table, 0, 0))
    for length, offset in id_offsets + str_offsets:
        out += struct.pack("<2I", length, offset)
    out += blob
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_bytes(bytes(out))
    os.replace(tmp, path)


def compile_catalogs(locale_dir: Path = LOCALE_DIR, out_dir: Path | None = None) -> Path:
    """Compile every stale `.po` under locale_dir; returns the directory gettext should read.

    Compiles in place when the package folder is writable (checkout, editable install), else
    into a per-user temp folder (a read-only system install).
    """
    targets = [out_dir] if out_dir else [locale_dir, _fallback_dir()]
    last_error: OSError | None = None
    for target in targets:
        try:
            for lang in LANGUAGES:
                po = locale_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
                mo = target / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
                if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
                    continue
                write_mo(parse_po(po.read_text(encoding="utf-8")), mo)
                log.debug("compiled %s", mo)
            return target
        except OSError as exc:
            last_error = exc
            continue
    raise RuntimeError(f"cannot compile UI catalogs: {last_error}")


def _fallback_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"hall-kiosk-locale-{os.getuid()}"


# --- the active language ---------------------------------------------------------------------
class Catalogs:
    """Both catalogs loaded once; switching language is a dictionary swap."""

    def __init__(self, locale_dir: Path = LOCALE_DIR) -> None:
        mo_dir = compile_catalogs(locale_dir)
        self._translations = {
            lang: gettext.translation(DOMAIN, localedir=str(mo_dir), languages=[lang])
            for lang in LANGUAGES
        }
        self.language = DEFAULT_LANGUAGE
        self._listeners: list[Callable[[str], None]] = []

    def set_language(self, language: str) -> None:
        if language not in self._translations:
            raise ValueError(f"unsupported language {language!r}; one of {LANGUAGES}")
        if language == self.language:
            return
        self.language = language
        for listener in list(self._listeners):
            listener(language)

    def add_listener(self, callback: Callable[[str], None]) -> None:
        self._listeners.append(callback)

    def gettext(self, msgid: str) -> str:
        return self._translations[self.language].gettext(msgid)


_catalogs: Catalogs | None = None


def catalogs() -> Catalogs:
    global _catalogs
    if _catalogs is None:
        _catalogs = Catalogs()
    return _catalogs


def _(msgid: str) -> str:
    """Translate into the active language (the msgid is the Chinese text)."""
    return catalogs().gettext(msgid)


def N_(msgid: str) -> str:
    """Mark a string for the catalog without translating it yet (tables built at import)."""
    return msgid


def set_language(language: str) -> None:
    catalogs().set_language(language)


def language() -> str:
    return catalogs().language


def is_english() -> bool:
    return catalogs().language == "en"
