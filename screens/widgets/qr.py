"""QR codes drawn from core data only (a ticket's or guide's URL); no network involved.

`qr_rgba` is pure (qrcode library → RGBA bytes, one pixel per module, rows bottom-up as
OpenGL textures want them) so it is tested without a window; `QrImage` puts it on screen
scaled with nearest-neighbour filtering, which keeps the modules sharp at any size.
"""

from __future__ import annotations

import qrcode
from qrcode.constants import ERROR_CORRECT_M

DARK = b"\x00\x00\x00\xff"
LIGHT = b"\xff\xff\xff\xff"


def qr_matrix(data: str, border: int = 2) -> list[list[bool]]:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=border)
    qr.add_data(data)
    qr.make(fit=True)
    return qr.get_matrix()


def qr_rgba(data: str, border: int = 2) -> tuple[int, bytes]:
    """(side in modules, RGBA bytes with the bottom row first)."""
    matrix = qr_matrix(data, border)
    rows = [b"".join(DARK if cell else LIGHT for cell in row) for row in reversed(matrix)]
    return len(matrix), b"".join(rows)
