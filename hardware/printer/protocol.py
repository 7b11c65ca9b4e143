"""ESC/POS command bytes as pure functions (Epson ESC/POS reference; the subset Chinese
thermal printers implement). Nothing here touches a device."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Pillow is imported when an image is printed, not with the printer
    from PIL import Image

ESC = b"\x1b"
FS = b"\x1c"
GS = b"\x1d"
DLE = b"\x10"
EOT = b"\x04"
LF = b"\n"

INIT = ESC + b"@"  # reset modes, clear the buffer: every document starts with it
CHINESE_ON = FS + b"&"  # select Kanji/Chinese character mode: 2-byte GBK follows
CHINESE_OFF = FS + b"."  # cancel it: single-byte ASCII follows

ALIGNMENTS = {"left": 0, "center": 1, "right": 2}

# GS ( k, QR code model 2 (fn 165/167/169/180/181)
QR_EC_LEVELS = {"L": 48, "M": 49, "Q": 50, "H": 51}
QR_MAX_DATA = 7089  # the store command's data limit


def align(where: str) -> bytes:
    return ESC + b"a" + bytes([ALIGNMENTS[where]])


def bold(on: bool) -> bytes:
    return ESC + b"E" + bytes([1 if on else 0])


def char_size(width: int = 1, height: int = 1) -> bytes:
    """GS ! n: width and height multipliers 1..8. Applies to ASCII and Chinese mode alike."""
    if not (1 <= width <= 8 and 1 <= height <= 8):
        raise ValueError(f"character size {width}x{height} outside 1..8")
    return GS + b"!" + bytes([((width - 1) << 4) | (height - 1)])


def feed(lines: int) -> bytes:
    """ESC d n: print and feed n lines."""
    return ESC + b"d" + bytes([max(0, min(lines, 255))])


def cut(partial: bool = True, feed_lines: int = 3) -> bytes:
    """GS V 66 n (function B): feed n lines so the last text clears the blade, then cut.
    Partial cut leaves a hinge so the slip does not fall on the floor."""
    return GS + b"V" + bytes([66 if partial else 65, max(0, min(feed_lines, 255))])


def _gs_k(fn: int, params: bytes) -> bytes:
    body = bytes([49, fn]) + params  # cn = 49 selects QR code
    return GS + b"(k" + len(body).to_bytes(2, "little") + body


def qr_native(data: bytes, *, module: int = 6, ec: str = "M") -> bytes:
    """Model 2 QR: select model, module size, error correction, store data, print."""
    if not 1 <= module <= 16:
        raise ValueError(f"QR module size {module} outside 1..16")
    if not data or len(data) > QR_MAX_DATA:
        raise ValueError(f"QR payload of {len(data)} bytes (1..{QR_MAX_DATA})")
    return (
        _gs_k(65, bytes([50, 0]))  # fn 165: model 2
        + _gs_k(67, bytes([module]))  # fn 167: module size in dots
        + _gs_k(69, bytes([QR_EC_LEVELS[ec]]))  # fn 169: error correction level
        + _gs_k(80, b"0" + data)  # fn 180: store in the symbol area
        + _gs_k(81, b"0")  # fn 181: print the stored symbol
    )


def raster(image: Image.Image, *, band_height: int = 256) -> bytes:
    """GS v 0: a 1-bit image, split into bands because many printers cap one image's height
    or buffer. Black pixels print."""
    from PIL import Image

    img = image.convert("1")
    width_bytes = (img.width + 7) // 8
    if img.width % 8:  # pad right with white to a byte boundary
        padded = Image.new("1", (width_bytes * 8, img.height), 1)
        padded.paste(img, (0, 0))
        img = padded
    # mode "1" packs 8 pixels per byte with 1 = white; the printer wants 1 = black
    packed = bytes(b ^ 0xFF for b in img.tobytes())
    out = bytearray()
    for top in range(0, img.height, band_height):
        rows = min(band_height, img.height - top)
        out += GS + b"v0\x00" + width_bytes.to_bytes(2, "little") + rows.to_bytes(2, "little")
        out += packed[top * width_bytes : (top + rows) * width_bytes]
    return bytes(out)


# Real-time status requests (DLE EOT n). Printers answer one byte each, even while offline.
STATUS_PRINTER = DLE + EOT + b"\x01"
STATUS_OFFLINE_CAUSE = DLE + EOT + b"\x02"
STATUS_ERROR_CAUSE = DLE + EOT + b"\x03"
STATUS_PAPER = DLE + EOT + b"\x04"
# GS r 1: paper sensor status, for printers that do not implement DLE EOT 4.
STATUS_PAPER_GS_R = GS + b"r\x01"
