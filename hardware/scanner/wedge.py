"""Keyboard-wedge scanners: the scanner types the code as key presses. Read through evdev
with `grab()` so the keystrokes never reach the GUI (a scan must not type into a form field);
never through the GUI's key events.

`WedgeAssembler` turns (keycode, value) events into text and is pure, so it is tested without
evdev or a device. Key codes are the Linux input ABI (linux/input-event-codes.h), stable by
kernel policy; they are listed here so the assembler does not need the optional evdev module.
US layout, as scanners emit by default.
"""

from __future__ import annotations

import contextlib
import logging
import select
import time
from collections.abc import Iterable
from typing import Any

from common.errors import (
    DRIVER_UNAVAILABLE,
    SCAN_INCOMPLETE,
    SCANNER_FAILED,
    SCANNER_UNAVAILABLE,
    KioskError,
)
from hardware.scanner.driver import Scanner

log = logging.getLogger(__name__)

EV_KEY = 1
KEY_UP, KEY_DOWN, KEY_REPEAT = 0, 1, 2
KEY_TAB, KEY_ENTER, KEY_KPENTER = 15, 28, 96
KEY_LEFTSHIFT, KEY_RIGHTSHIFT, KEY_CAPSLOCK = 42, 54, 58


def _keymap() -> dict[int, tuple[str, str]]:
    keys: dict[int, tuple[str, str]] = {}
    for code, plain, shifted in zip(range(2, 14), "1234567890-=", "!@#$%^&*()_+", strict=True):
        keys[code] = (plain, shifted)
    for start, row in ((16, "qwertyuiop"), (30, "asdfghjkl"), (44, "zxcvbnm")):
        for offset, letter in enumerate(row):
            keys[start + offset] = (letter, letter.upper())
    for code, plain, shifted in (
        (26, "[", "{"),
        (27, "]", "}"),
        (39, ";", ":"),
        (40, "'", '"'),
        (41, "`", "~"),
        (43, "\\", "|"),
        (51, ",", "<"),
        (52, ".", ">"),
        (53, "/", "?"),
        (57, " ", " "),
    ):
        keys[code] = (plain, shifted)
    for code, ch in (
        (71, "7"),
        (72, "8"),
        (73, "9"),
        (74, "-"),
        (75, "4"),
        (76, "5"),
        (77, "6"),
        (78, "+"),
        (79, "1"),
        (80, "2"),
        (81, "3"),
        (82, "0"),
        (83, "."),
        (55, "*"),
        (98, "/"),
    ):
        keys[code] = (ch, ch)  # keypad: same with shift
    return keys


KEYMAP = _keymap()


class WedgeAssembler:
    """Feed key events; returns a code each time a terminator key (Enter) is pressed."""

    def __init__(self, terminators: Iterable[int] = (KEY_ENTER, KEY_KPENTER)) -> None:
        self.terminators = set(terminators)
        self._chars: list[str] = []
        self._shift: set[int] = set()
        self._caps = False

    @property
    def pending(self) -> bool:
        return bool(self._chars)

    def reset(self) -> str:
        partial = "".join(self._chars)
        self._chars.clear()
        return partial

    def feed(self, code: int, value: int) -> str | None:
        if code in (KEY_LEFTSHIFT, KEY_RIGHTSHIFT):
            if value == KEY_UP:
                self._shift.discard(code)
            else:
                self._shift.add(code)
            return None
        if value != KEY_DOWN:  # key up and auto-repeat carry no characters
            return None
        if code == KEY_CAPSLOCK:
            self._caps = not self._caps
            return None
        if code in self.terminators:
            text = self.reset()
            return text or None
        if code not in KEYMAP:
            log.debug("wedge: ignoring key code %d", code)
            return None
        plain, shifted = KEYMAP[code]
        upper = bool(self._shift)
        if plain.isalpha() and self._caps:
            upper = not upper
        self._chars.append(shifted if upper else plain)
        return None


def assemble_keys(
    events: Iterable[tuple[int, int]], terminators: Iterable[int] = (KEY_ENTER, KEY_KPENTER)
) -> list[str]:
    """Pure: every complete code in a sequence of (keycode, value) key events."""
    assembler = WedgeAssembler(terminators)
    codes = []
    for code, value in events:
        text = assembler.feed(code, value)
        if text is not None:
            codes.append(text)
    return codes


class EvdevScanner(Scanner):
    """Target `evdev:/dev/input/by-id/usb-…-event-kbd[?suffix=enter|tab&gap=0.2]`."""

    driver = "evdev"

    def __init__(
        self,
        target: str,
        path: str,
        *,
        terminators: Iterable[int] = (KEY_ENTER, KEY_KPENTER),
        gap: float = 0.2,
    ) -> None:
        super().__init__(target)
        self.path = path
        self.gap = gap
        self.assembler = WedgeAssembler(terminators)
        self._device: Any = None
        self._last_key = 0.0

    def _open(self) -> None:
        try:
            import evdev
        except ImportError as exc:
            raise KioskError(
                DRIVER_UNAVAILABLE, "keyboard-wedge scanners need evdev: pip install evdev"
            ) from exc
        try:
            device = evdev.InputDevice(self.path)
        except OSError as exc:
            raise KioskError(SCANNER_UNAVAILABLE, f"{self.target}: {exc}") from exc
        try:
            device.grab()  # exclusive: keystrokes stop reaching the desktop and the GUI
        except OSError as exc:
            device.close()
            raise KioskError(
                SCANNER_UNAVAILABLE, f"{self.target}: cannot grab (another program holds it): {exc}"
            ) from exc
        self._device = device

    def _close(self) -> None:
        if self._device is not None:
            with contextlib.suppress(OSError):  # already gone with the device
                self._device.ungrab()
            self._device.close()
            self._device = None

    def _in_flight(self) -> bool:
        return self.assembler.pending

    def _gap(self) -> float:
        return self.gap

    def _read(self, timeout: float) -> str | None:
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            now = time.monotonic()
            if self.assembler.pending and now - self._last_key >= self.gap:
                partial = self.assembler.reset()
                raise KioskError(SCAN_INCOMPLETE, f"{len(partial)} keys without Enter")
            if now >= deadline:
                return None
            wait = deadline - now
            if self.assembler.pending:
                wait = min(wait, self._last_key + self.gap - now)
            try:
                ready, _, _ = select.select([self._device.fd], [], [], max(0.0, wait))
                events = list(self._device.read()) if ready else []
            except OSError as exc:
                raise KioskError(SCANNER_FAILED, f"{self.target}: {exc}") from exc
            for event in events:
                if event.type != EV_KEY:
                    continue
                self._last_key = time.monotonic()
                text = self.assembler.feed(event.code, event.value)
                if text is not None:
                    return text
