"""How each character of a line goes to a Chinese thermal printer.

In Chinese mode (FS &) these printers take 2-byte GB2312/GBK codes; GB18030's 4-byte codes
for characters beyond GBK print garbage. So: ASCII goes out as single bytes outside Chinese
mode, everything GBK can encode goes out as GBK inside `FS & … FS .`, and a line holding a
character GBK cannot encode (rare name characters such as 䶮, 𠮷; emoji) is rasterised whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# ¥ (U+00A5) is not in GBK; GBK's ￥ (U+FFE5, A3 A4) is the full-width yuan sign every Chinese
# printer font draws correctly, so prices print as ￥12.50 (two columns wide). The ASCII-mode
# alternative (ESC R 8 makes 0x5C print ¥) would cost the backslash and differs by model.
_SUBSTITUTES = {"\u00a5": "\uffe5"}

RunKind = Literal["ascii", "gbk"]


@dataclass(frozen=True)
class Run:
    kind: RunKind
    text: str


def clean(text: str) -> str:
    """Control characters become spaces: text from the catalog or a form must never smuggle
    printer commands (an ESC inside a service name would change modes or cut the paper).
    Newlines stay: they separate lines."""
    out = []
    for ch in text.replace("\r\n", "\n"):
        ch = _SUBSTITUTES.get(ch, ch)
        control = ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0
        out.append(" " if control and ch != "\n" else ch)
    return "".join(out)


def gbk_encodable(ch: str) -> bool:
    try:
        ch.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


def needs_raster(line: str) -> bool:
    return any(not ch.isascii() and not gbk_encodable(ch) for ch in line)


def runs(line: str) -> list[Run]:
    """Split a GBK-encodable line into ASCII and Chinese-mode runs, in order."""
    result: list[Run] = []
    for ch in line:
        kind: RunKind = "ascii" if ch.isascii() else "gbk"
        if result and result[-1].kind == kind:
            result[-1] = Run(kind, result[-1].text + ch)
        else:
            result.append(Run(kind, ch))
    return result


def columns(text: str) -> int:
    """Printed width in ASCII columns: every 2-byte character is a full-width cell."""
    return sum(1 if ch.isascii() else 2 for ch in text)


# 避头尾 (line-breaking rules of Chinese typesetting): closing punctuation never starts a line,
# opening brackets never end one; the wrap carries characters down instead.
NO_LINE_START = frozenset("、，。；：？！）》」』】〕〉…·%,.;:!?)]}")
NO_LINE_END = frozenset("（《「『【〔〈“‘([{")


def _kinsoku(line: str, head: str) -> tuple[str, str]:
    """(line, head of the next line) with no forbidden character at the break."""
    while len(line) > 1 and (head[:1] in NO_LINE_START or line[-1] in NO_LINE_END):
        head, line = line[-1] + head, line[:-1]
    return line, head


def wrap(text: str, width: int) -> list[str]:
    """Greedy wrap to `width` columns; English words move whole to the next line when they
    can, and no line starts with closing punctuation (、）。…) or ends with an opening one.
    Explicit newlines are kept. Never returns an empty list."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for ch in paragraph:
            if columns(line + ch) <= width:
                line += ch
                continue
            cut = line.rfind(" ") if ch.isascii() and ch != " " and line[-1:].isascii() else -1
            if cut > 0:  # break at the last space of a word in progress
                lines.append(line[:cut].rstrip())
                line = line[cut + 1 :] + ch
            else:
                line, head = _kinsoku(line, "" if ch == " " else ch)
                lines.append(line.rstrip())
                line = head
        lines.append(line.rstrip())
    return lines or [""]
