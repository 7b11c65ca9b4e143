"""A small ESC/POS document builder that gets Chinese right.

Written by hand because python-escpos's text path cannot be used for Chinese (FIELD_NOTES §3):
it never sends `ESC @` or `FS &`, sends GB18030 raw, garbles ¥ and prints `?` beyond the basic
block. Here every document starts with `ESC @`; GBK text is wrapped in `FS & … FS .`; ASCII is
sent outside Chinese mode; lines with characters outside GBK are rasterised (`GS v 0`).
python-escpos remains the transport (see printers.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hardware.printer import protocol as cmd
from hardware.printer.encoding import clean, columns, needs_raster, runs, wrap
from hardware.printer.raster import MISSING_GLYPH, FontChain, default_fonts, qr_image, render_line

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)

FONT_A_DOTS = 12  # width of one ASCII column in the printer's 12×24 font; Chinese is 24×24


@dataclass(frozen=True)
class PrintProfile:
    """What differs between printer models; chosen by target-string options."""

    width_dots: int = 576  # 80 mm paper at 203 dpi; 58 mm paper: 384
    qr: str = "native"  # "native" (GS ( k) or "raster" (GS v 0) for printers without it
    qr_module: int = 6  # dots per QR module
    cut: str = "partial"  # "partial", "full" or "none" (printers without a cutter)

    @property
    def columns(self) -> int:
        return self.width_dots // FONT_A_DOTS


DEFAULT_PROFILE = PrintProfile()


class Document:
    """Builds the bytes of one printout. Methods chain; `to_bytes()` returns the result."""

    def __init__(
        self, profile: PrintProfile = DEFAULT_PROFILE, fonts: FontChain | None = None
    ) -> None:
        self.profile = profile
        self._fonts = fonts
        self._out = bytearray(cmd.INIT)
        # printer state after ESC @; commands are only sent when a value changes
        self._align = "left"
        self._size = (1, 1)
        self._bold = False

    @property
    def fonts(self) -> FontChain:
        if self._fonts is None:
            self._fonts = default_fonts()
        return self._fonts

    def _set(self, *, align: str, size: tuple[int, int], bold: bool) -> None:
        if align != self._align:
            self._out += cmd.align(align)
            self._align = align
        if size != self._size:
            self._out += cmd.char_size(*size)
            self._size = size
        if bold != self._bold:
            self._out += cmd.bold(bold)
            self._bold = bold

    def text(
        self, text: str, *, align: str = "left", size: int | tuple[int, int] = 1, bold: bool = False
    ) -> Document:
        """Print text, wrapped to the paper width at this size; each line ends with LF."""
        scale = (size, size) if isinstance(size, int) else size
        if align not in cmd.ALIGNMENTS:
            raise ValueError(f"alignment {align!r}")
        width = self.profile.columns // scale[0]
        for line in wrap(self._printable(clean(text)), width):
            if needs_raster(line):
                image = render_line(
                    line,
                    fonts=self.fonts,
                    width_dots=self.profile.width_dots,
                    scale=scale,
                    align=align,
                    bold=bold,
                )
                self._image_bytes(image)
            else:
                self._set(align=align, size=scale, bold=bold)
                self._out += _encode_line(line) + cmd.LF
        return self

    def _printable(self, text: str) -> str:
        """Characters neither GBK nor any installed font can draw become □, with a warning."""
        missing = {ch for ch in text if needs_raster(ch) and not self.fonts.has(ch)}
        if not missing:
            return text
        log.warning(
            "no font has %s; printing %s instead",
            ", ".join(f"U+{ord(c):04X}" for c in sorted(missing)),
            MISSING_GLYPH,
        )
        return "".join(MISSING_GLYPH if ch in missing else ch for ch in text)

    def blank(self, lines: int = 1) -> Document:
        self._out += cmd.LF * lines
        return self

    def rule(self, char: str = "-") -> Document:
        self._set(align="left", size=(1, 1), bold=False)
        self._out += _encode_line(char * (self.profile.columns // columns(char))) + cmd.LF
        return self

    def qr(self, data: str, *, align: str = "center") -> Document:
        """A QR code (error correction M) of `data`, native or raster per the profile."""
        self._set(align=align, size=(1, 1), bold=False)
        if self.profile.qr == "native":
            self._out += cmd.qr_native(data.encode("utf-8"), module=self.profile.qr_module)
            self._out += cmd.LF
        else:
            self._image_bytes(
                qr_image(
                    data,
                    module=self.profile.qr_module,
                    width_dots=self.profile.width_dots,
                    align=align,
                )
            )
        return self

    def image(self, image: Image.Image) -> Document:
        self._image_bytes(image)
        return self

    def _image_bytes(self, image: Image.Image) -> None:
        # images are drawn full width and carry their own alignment; ESC a would shift them
        if self._align != "left":
            self._out += cmd.align("left")
            self._align = "left"
        self._out += cmd.raster(image)

    def cut(self) -> Document:
        if self.profile.cut == "none":
            self._out += cmd.feed(4)  # let the citizen tear it off past the tear bar
        else:
            self._out += cmd.cut(partial=self.profile.cut == "partial")
        return self

    def to_bytes(self) -> bytes:
        return bytes(self._out)


def _encode_line(line: str) -> bytes:
    out = bytearray()
    for run in runs(line):
        if run.kind == "ascii":
            out += run.text.encode("ascii")
        else:
            out += cmd.CHINESE_ON + run.text.encode("gbk") + cmd.CHINESE_OFF
    return bytes(out)
