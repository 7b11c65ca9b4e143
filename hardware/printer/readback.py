"""Read ESC/POS bytes back: the subset document.py emits, strictly. Used by tests to check a
printout is well formed (every byte accounted for) and by technicians to see what a `file:`
or `sim?file=` target captured (`kiosk printer decode FILE`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PIL import Image


@dataclass(frozen=True)
class Command:
    name: str  # init text chinese_on chinese_off align size bold lf feed cut qr raster status
    offset: int
    value: Any = None


_FIXED = {  # command bytes → (name, number of parameter bytes)
    b"\x1b@": ("init", 0),
    b"\x1c&": ("chinese_on", 0),
    b"\x1c.": ("chinese_off", 0),
    b"\x1ba": ("align", 1),
    b"\x1bE": ("bold", 1),
    b"\x1d!": ("size", 1),
    b"\x1bd": ("feed", 1),
    b"\x1dV": ("cut", 2),
    b"\x10\x04": ("status", 1),
    b"\x1dr": ("status", 1),
}


def parse_escpos(data: bytes) -> list[Command]:
    """Commands in order; raises ValueError naming the offset of anything unexpected."""
    out: list[Command] = []
    chinese = False
    i = 0
    n = len(data)
    while i < n:
        two = data[i : i + 2]
        if two in _FIXED:
            name, size = _FIXED[two]
            params = data[i + 2 : i + 2 + size]
            if len(params) < size:
                raise ValueError(f"truncated {name} at offset {i}")
            if name == "chinese_on":
                chinese = True
            elif name == "chinese_off":
                chinese = False
            value = params[0] if size == 1 else (params if size else None)
            out.append(Command(name, i, value))
            i += 2 + size
        elif data.startswith(b"\x1d(k", i):
            length = int.from_bytes(data[i + 3 : i + 5], "little")
            body = data[i + 5 : i + 5 + length]
            if len(body) < length or body[:1] != b"1":
                raise ValueError(f"bad GS ( k at offset {i}")
            fn = body[1]
            value = body[3:] if fn == 80 else body[2:]  # fn 80 (store): skip the "0" m byte
            out.append(Command("qr", i, (fn, bytes(value))))
            i += 5 + length
        elif data.startswith(b"\x1dv0", i):
            header = data[i + 4 : i + 8]
            if len(header) < 4:
                raise ValueError(f"truncated GS v 0 at offset {i}")
            width_bytes = int.from_bytes(header[:2], "little")
            rows = int.from_bytes(header[2:], "little")
            body = data[i + 8 : i + 8 + width_bytes * rows]
            if len(body) < width_bytes * rows:
                raise ValueError(f"truncated raster at offset {i}")
            image = Image.frombytes("1", (width_bytes * 8, rows), bytes(b ^ 0xFF for b in body))
            out.append(Command("raster", i, image))
            i += 8 + width_bytes * rows
        elif data[i] == 0x0A:
            out.append(Command("lf", i))
            i += 1
        else:
            start = i
            if chinese:
                while i < n and data[i] >= 0x81:
                    if i + 1 >= n:
                        raise ValueError(f"half a GBK character at offset {i}")
                    i += 2
                text = data[start:i].decode("gbk")
            else:
                while i < n and 0x20 <= data[i] <= 0x7E:
                    i += 1
                text = data[start:i].decode("ascii")
            if i == start:
                mode = "Chinese" if chinese else "ASCII"
                raise ValueError(f"unexpected byte 0x{data[i]:02x} at offset {i} ({mode} mode)")
            out.append(Command("text", start, text))
    return out


def printed_lines(data: bytes) -> list[str]:
    """The text as printed, one string per line; a raster line shows as "[raster]"."""
    lines: list[str] = []
    current = ""
    for command in parse_escpos(data):
        if command.name == "text":
            current += command.value
        elif command.name == "lf":
            lines.append(current)
            current = ""
        elif command.name == "raster":
            lines.append("[raster]")
    if current:
        lines.append(current)
    return lines


def raster_images(data: bytes) -> list[Image.Image]:
    """Each raster image; bands of one image (consecutive, same width) are joined again."""
    images: list[Image.Image] = []
    previous = None
    for command in parse_escpos(data):
        if command.name == "raster":
            band: Image.Image = command.value
            if previous == "raster" and images[-1].width == band.width:
                joined = Image.new("1", (band.width, images[-1].height + band.height), 1)
                joined.paste(images[-1], (0, 0))
                joined.paste(band, (0, images[-1].height))
                images[-1] = joined
            else:
                images.append(band)
        previous = command.name
    return images


def qr_payloads(data: bytes) -> list[bytes]:
    """The data of every native QR store command (GS ( k fn 80)."""
    return [c.value[1] for c in parse_escpos(data) if c.name == "qr" and c.value[0] == 80]
