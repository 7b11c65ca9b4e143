"""The layout and contrast check: every label on the screen shown now fits its box, draws the
text it was given (no `shorten` ellipsis), is at least the mode's minimum font size, and
reads against what is drawn behind it (WCAG 2 contrast ≥ 4.5:1).

It looks at the live widget tree of a running app (kivy), so it sees what the citizen sees:
the background is the nearest rectangle an ancestor (or the label itself) draws under the
label's centre, on top of the window's clear colour, with every widget's `opacity` applied
the way Kivy applies it (it multiplies the alpha of each instruction below it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kivy.core.window import Window
from kivy.graphics import Color, Rectangle, RoundedRectangle
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from screens.theme import MIN_CONTRAST, min_font_size

RGB = tuple[float, float, float]
_DEFAULT_TEXTURE: Any = None
SLACK = 1.0  # px: texture sizes are whole pixels, widget sizes may not be
# a line a wrap starts may not begin with these (it is the tail of the line before)
NO_LINE_START = "）)】」』、，。：；！？％…"
WORD_MAX = 24  # a Latin word or number longer than this may be cut by a wrap (paths, keys)
_LATIN_TAIL = re.compile(r"[^\s\u3000-\u9fff\uff00-\uffef]*[A-Za-z0-9]$")
_LATIN_HEAD = re.compile(r"^[A-Za-z0-9][^\s\u3000-\u9fff\uff00-\uffef]*")


@dataclass(frozen=True)
class Problem:
    kind: str  # overflow | shortened | font | contrast | wrap
    text: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.text!r} {self.detail}"


# --- colour ------------------------------------------------------------------------------------
def _linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(rgb: RGB) -> float:
    """WCAG 2 relative luminance of an sRGB colour (0..1 channels)."""
    r, g, b = (_linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def blend(top: RGB, below: RGB, alpha: float) -> RGB:
    return tuple(t * alpha + u * (1 - alpha) for t, u in zip(top, below, strict=True))  # type: ignore[return-value]


# --- the tree ----------------------------------------------------------------------------------
def _chain(widget: Widget) -> list[Widget]:
    """The widget and its ancestors up to the window, innermost first."""
    chain = []
    w: Any = widget
    while isinstance(w, Widget):
        chain.append(w)
        parent = w.parent
        if parent is None or parent is w:
            break
        w = parent
    return chain


def _opacity(chain: list[Widget], start: int) -> float:
    """What the opacities of chain[start:] multiply an instruction's alpha by."""
    out = 1.0
    for w in chain[start:]:
        out *= float(w.opacity)
    return out


def _plain(rect: Rectangle) -> bool:
    """A rectangle of plain colour (kivy gives those its default white texture), not an
    image or a label's text."""
    global _DEFAULT_TEXTURE
    if _DEFAULT_TEXTURE is None:
        _DEFAULT_TEXTURE = Rectangle().texture
    return rect.texture is None or rect.texture.id == _DEFAULT_TEXTURE.id


def _cover(drawer: Widget, point: tuple[float, float]) -> tuple[RGB, float] | None:
    """The colour of the last rectangle `drawer` draws under its children that covers the
    window point, with its alpha (None if it draws none there)."""
    found = None
    # a label's own canvas draws its text (a textured rectangle): only what is before it
    groups = (
        [drawer.canvas.before]
        if isinstance(drawer, Label)
        else [
            drawer.canvas.before,
            drawer.canvas,
        ]
    )
    for group in groups:
        if group is None:
            continue
        color: Any = None
        for ins in group.children:
            if isinstance(ins, Color):
                color = ins
            elif (
                isinstance(ins, Rectangle | RoundedRectangle) and color is not None and _plain(ins)
            ):
                (x, y), (w, h) = drawer.to_window(*ins.pos), ins.size
                if x <= point[0] <= x + w and y <= point[1] <= y + h:
                    found = (tuple(color.rgba[:3]), float(color.rgba[3]))
    return found  # type: ignore[return-value]


def background(label: Widget, chain: list[Widget] | None = None) -> RGB:
    """What is drawn behind the label's centre, as the eye sees it."""
    chain = chain or _chain(label)
    point = label.to_window(*label.center)
    seen: RGB = tuple(Window.clearcolor[:3])  # type: ignore[assignment]
    for i in range(len(chain) - 1, -1, -1):  # outermost first: the inner ones paint over
        hit = _cover(chain[i], point)
        if hit is not None:
            rgb, alpha = hit
            seen = blend(rgb, seen, alpha * _opacity(chain, i))
    return seen


def _text_color(label: Label) -> tuple[RGB, float]:
    rgba = label.disabled_color if label.disabled else label.color
    return tuple(rgba[:3]), float(rgba[3])  # type: ignore[return-value]


# --- the checks --------------------------------------------------------------------------------
def _drawn_lines(label: Label) -> list[str]:
    lines = getattr(label._label, "_cached_lines", None) or []
    return ["".join(word.text for word in line.words) for line in lines]


def _orphan(line: str, given: list[str]) -> bool:
    """A wrapped Chinese line of one character ("办事指 / 南") or two ending a bracket
    ("证）"): the wrap broke a word rather than fall at a space."""
    stripped = line.strip()
    if not stripped or stripped in given or not any(_cjk(c) for c in stripped):
        return False
    return len(stripped) == 1 or (len(stripped) == 2 and stripped[-1] in "）)")


def _word_cut(before: str, after: str, text: str) -> bool:
    """A wrap inside a Latin word or a number ("progres / s", "SQ…21Z / J"): at a smaller size
    it would fit a line. Longer runs (a file path on the technician's lines) can only be cut."""
    tail, head = _LATIN_TAIL.search(before), _LATIN_HEAD.match(after)
    if tail is None or head is None:
        return False
    word = tail.group() + head.group()
    return len(word) <= WORD_MAX and word in text


def _cjk(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fff"


def check_label(label: Label, *, elderly: bool) -> list[Problem]:
    text = label.text
    found: list[Problem] = []
    tw, th = label.texture_size
    if tw > label.width + SLACK or th > label.height + SLACK:
        found.append(
            Problem(
                "overflow",
                text,
                f"text {tw:.0f}×{th:.0f} > box {label.width:.0f}×{label.height:.0f}",
            )
        )
    lines = _drawn_lines(label)
    drawn = "".join(lines)
    if label.shorten and any(e in drawn and e not in text for e in ("…", "...")):
        found.append(Problem("shortened", text, f"drawn as {drawn!r}"))
    given = [line for line in text.split("\n")]
    if len(lines) > len(given) and not label.markup:
        for before, line in zip(lines, lines[1:], strict=False):
            if line and line[0] in NO_LINE_START:
                found.append(Problem("wrap", text, f"a line starts with {line[0]!r}"))
                break
            if _word_cut(before, line, text):
                found.append(Problem("wrap", text, f"a word cut: {before!r} / {line!r} "
                                     f"({label.font_size:.0f} px in {label.width:.0f} px)"))
                break
            if _orphan(line, given):
                found.append(Problem("wrap", text, f"a word broken: {line!r} left alone "
                                     f"({label.font_size:.0f} px in {label.width:.0f} px, "
                                     f"{type(label).__name__})"))
                break
    minimum = min_font_size(elderly)
    if label.font_size + 0.01 < minimum:
        found.append(Problem("font", text, f"{label.font_size:.0f} px < {minimum} px"))
    chain = _chain(label)
    rgb, alpha = _text_color(label)
    bg = background(label, chain)
    fg = blend(rgb, bg, alpha * _opacity(chain, 0))
    ratio = contrast(fg, bg)
    if ratio < MIN_CONTRAST:
        found.append(Problem("contrast", text, f"{ratio:.2f}:1 < {MIN_CONTRAST}:1"))
    return found


def _shown(label: Widget) -> bool:
    """A label the citizen can see: has text and a box, and nothing hides it."""
    if not getattr(label, "text", "") or label.width < 1 or label.height < 1:
        return False
    return _opacity(_chain(label), 0) > 0.01


def labels(root: Widget) -> Iterator[Label]:
    for w in root.walk(restrict=True):
        if isinstance(w, Label) and _shown(w):
            yield w


def check_tree(root: Widget, *, elderly: bool, inside: Widget | None = None) -> list[Problem]:
    """Every problem of every label shown under `root`; with `inside`, also each label that
    reaches out of that widget's box (a screen drawn over the bars around it)."""
    found = [p for label in labels(root) for p in check_label(label, elderly=elderly)]
    if inside is not None:
        found += [p for label in labels(root) if (p := _outside(label, inside)) is not None]
    return found


def _outside(label: Widget, box: Widget) -> Problem | None:
    lx, ly = label.to_window(*label.pos)
    bx, by = box.to_window(*box.pos)
    if (
        ly + label.height > by + box.height + SLACK
        or ly < by - SLACK
        or lx < bx - SLACK
        or lx + label.width > bx + box.width + SLACK
    ):
        return Problem(
            "outside",
            label.text,
            f"box at y={ly:.0f}..{ly + label.height:.0f} out "
            f"of the screen's {by:.0f}..{by + box.height:.0f}",
        )
    return None


def check_app(shell: Widget, *, elderly: bool) -> list[Problem]:
    """The shell's own labels (bars, banner) and the current screen's, which must stay inside
    the slot between the bars."""
    screen = shell.manager.current_screen
    found = []
    for child in shell.children:
        if child is not shell.ids.screens_slot:
            found += check_tree(child, elderly=elderly)
    if screen is not None:
        found += check_tree(screen, elderly=elderly, inside=shell.ids.screens_slot)
    return list(dict.fromkeys(found))  # a label seen twice is one problem
