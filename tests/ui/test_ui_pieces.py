"""The UI's pure pieces without a window: gettext catalogs and their compiler, QR rendering,
the after-hours schedule, guide paging, the view-model wiring."""

from __future__ import annotations

import gettext
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from common.schedule import Schedule
from screens import i18n
from screens.viewmodels.guide import paginate
from screens.widgets.qr import qr_matrix, qr_rgba

pytestmark = pytest.mark.ui
REPO = Path(__file__).resolve().parents[2]
TZ = ZoneInfo("Asia/Shanghai")


def test_every_ui_string_is_in_both_catalogs():
    sys.path.insert(0, str(REPO / "tools"))
    import i18n_extract

    strings = i18n_extract.extract()
    assert len(strings) > 150
    assert i18n_extract.missing(strings) == {"zh_CN": [], "en": []}


def test_po_compiler_agrees_with_msgfmt(tmp_path):
    if shutil.which("msgfmt") is None:
        pytest.skip("msgfmt (gettext) not installed: nothing to compare the compiler with")
    po = i18n.LOCALE_DIR / "en" / "LC_MESSAGES" / "kiosk.po"
    ours, theirs = tmp_path / "ours.mo", tmp_path / "theirs.mo"
    i18n.write_mo(i18n.parse_po(po.read_text(encoding="utf-8")), ours)
    subprocess.run(["msgfmt", "-o", str(theirs), str(po)], check=True)
    with ours.open("rb") as a, theirs.open("rb") as b:
        mine, ref = gettext.GNUTranslations(a), gettext.GNUTranslations(b)
    entries = i18n.parse_po(po.read_text(encoding="utf-8"))
    assert len(entries) > 150
    for msgid in entries:
        assert mine.gettext(msgid) == ref.gettext(msgid), msgid


def test_po_parser_handles_escapes_continuations_and_fuzzy():
    text = (
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "a \\"b\\"\\n"\nmsgstr ""\n"x"\n"y"\n\n'
        '#, fuzzy\nmsgid "skip"\nmsgstr "me"\n\nmsgid "empty"\nmsgstr ""\n'
    )
    entries = i18n.parse_po(text)
    assert entries['a "b"\n'] == "xy"
    assert "skip" not in entries and "empty" not in entries


def test_language_switch_changes_every_translation():
    i18n.set_language("en")
    try:
        assert i18n._("取号") == "Queue ticket"
        assert i18n._("没有这个词") == "没有这个词"  # unknown strings fall back to Chinese
    finally:
        i18n.set_language("zh_CN")
    assert i18n._("取号") == "取号"


def test_qr_texture_decodes_back_to_the_ticket_url(tmp_path):
    if shutil.which("zbarimg") is None:
        pytest.skip("zbarimg (zbar-tools) not installed: cannot decode the QR image")
    from PIL import Image

    url = "http://127.0.0.1:8470/t/01JD5ZQ8Q0-A001"
    side, pixels = qr_rgba(url)
    assert side == len(qr_matrix(url)) and len(pixels) == side * side * 4
    image = Image.frombytes("RGBA", (side, side), pixels).transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    path = tmp_path / "qr.png"
    image.convert("L").resize((side * 8, side * 8), Image.Resampling.NEAREST).save(path)
    out = subprocess.run(["zbarimg", "--raw", "-q", str(path)], capture_output=True, text=True)
    assert out.stdout.strip() == url


def test_schedule_opens_and_closes_and_survives_a_broken_file(tmp_path):
    (tmp_path / "schedule.toml").write_text(
        '[functions.queue]\ndays = ["mon"]\nhours = ["09:00-12:00"]\n'
    )
    (tmp_path / "holidays.toml").write_text("holidays = [2026-11-30]\n")
    s = Schedule.load(tmp_path / "schedule.toml", tmp_path / "holidays.toml")
    monday = datetime(2026, 11, 23, 11, 59, tzinfo=TZ)
    assert s.availability("queue", monday).open
    assert s.availability("guide", monday).open  # not listed: always offered
    closed = s.availability("queue", monday.replace(hour=12, minute=0))
    assert not closed.open
    # next Monday is a holiday: the one after
    assert closed.reopens == datetime(2026, 12, 7, 9, 0, tzinfo=TZ)
    (tmp_path / "schedule.toml").write_text("this is [ not toml")
    broken = Schedule.load(tmp_path / "schedule.toml", tmp_path / "holidays.toml")
    assert broken.availability("queue", monday.replace(hour=23)).open


def test_guide_paging_keeps_every_line_in_order():
    sections = [
        {"title": f"S{i}", "detail": "\n".join(f"line {i}.{j} " + "字" * 40 for j in range(9))}
        for i in range(6)
    ]
    pages = paginate(sections, lines_per_page=24, chars_per_line=31)
    assert len(pages) > 2
    lines = [ln for page in pages for sec in page for ln in sec["detail"].split("\n")]
    assert lines == [ln for sec in sections for ln in sec["detail"].split("\n")]
    for page in pages:  # no page over budget, except a single line that cannot be split
        cost = sum(2 + sum(-(-len(ln) // 31) for ln in sec["detail"].split("\n")) for sec in page)
        assert cost <= 24 or len(page) == 1


def test_screens_package_imports_no_kivy_for_view_models():
    code = (
        "import sys; import screens.viewmodels, screens.bridge, screens.i18n; "
        "print('kivy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_font_coverage_read_from_the_cmap_matches_fonttools():
    """screens.fonts reads a font's cmap itself (the kiosk process does not load fontTools
    for it); fontTools, which the printer uses, must agree on every code point."""
    from fontTools.ttLib import TTCollection, TTFont

    from screens.fonts import _codepoints, find_cjk_font, find_fallback_font

    for path in {str(find_cjk_font()), str(find_fallback_font() or find_cjk_font())}:
        font = TTCollection(path, lazy=True).fonts[0] if path.endswith(".ttc") else TTFont(path)
        expected = set(font.getBestCmap())
        ours = _codepoints(path)
        assert len(ours) == len(expected)
        assert all(c in ours for c in expected)
    assert ord("王") in _codepoints(str(find_cjk_font()))


def test_refreeze_hides_long_lived_objects_and_frees_them_at_the_next_one():
    import gc
    import weakref

    from screens.memory import refreeze

    class Node:
        pass

    node = Node()
    node.me = node  # a cycle: only the cyclic collector frees it
    alive = weakref.ref(node)
    try:
        refreeze()
        assert gc.get_freeze_count() > 0
        del node
        gc.collect()
        assert alive() is not None  # frozen: out of the collector's sight
        refreeze()
        assert alive() is None  # the next refreeze collects what became garbage
    finally:
        gc.unfreeze()
