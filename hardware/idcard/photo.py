"""Loading a deployment's WLT photo decoder (see model.PhotoDecoder).

The kiosk ships no decoder: WLT decoding exists only in vendor binaries. A deployment wraps
its vendor library in a small Python module exposing a `PhotoDecoder` (or a factory for one,
called with the library path) and names it in settings as `package.module:attribute`.
"""

from __future__ import annotations

import importlib
from typing import Any

from common.errors import DEVICE_TARGET_INVALID, DRIVER_UNAVAILABLE, KioskError
from hardware.idcard.model import PhotoDecoder


def load_photo_decoder(ref: str, library_path: str | None = None) -> PhotoDecoder:
    """`module:attribute` → a PhotoDecoder. A class or function is called (with
    `library_path` when given). E-HW-01 for a bad reference, E-HW-02 when it cannot load."""
    module_name, sep, attribute = ref.partition(":")
    if not sep or not module_name or not attribute:
        raise KioskError(DEVICE_TARGET_INVALID, f"photo decoder {ref!r}: use module:attribute")
    try:
        target: Any = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise KioskError(DRIVER_UNAVAILABLE, f"photo decoder {ref!r}: {exc}") from None
    if isinstance(target, type) or (callable(target) and not isinstance(target, PhotoDecoder)):
        try:
            target = target(library_path) if library_path is not None else target()
        except OSError as exc:  # e.g. ctypes cannot load the vendor library
            raise KioskError(DRIVER_UNAVAILABLE, f"photo decoder {ref!r}: {exc}") from None
    if not isinstance(target, PhotoDecoder):
        raise KioskError(DEVICE_TARGET_INVALID, f"photo decoder {ref!r} has no decode(wlt)")
    return target
