"""Everything that must happen before Kivy is imported, in one place.

Kivy reads its environment variables when `kivy` is first imported (it checks that they exist,
not their value) and its window size when the window module is imported, so this module never
imports Kivy at module level and `prepare()` must run first. Order matters:

1. `prepare_environment()` — env vars (no argv parsing, no ~/.kivy, no file log, Python
   logging, the offscreen SDL driver when there is no display).
2. `configure_kivy()` — kivy.config: window size and fullscreen, kiosk lockdown switches.
3. `register_fonts()` — the Simplified-Chinese default font, before any widget exists.
4. `free_label_surfaces()` — labels keep one copy of their pixels, not two.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from screens.fonts import find_cjk_font, find_fallback_font

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UiOptions:
    width: int = 1080
    height: int = 1920
    fullscreen: bool = False
    font: str = ""  # ui.font; blank: search the known paths


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class _DropKivyNoise(logging.Filter):
    """Kivy probes libmtdev at import and logs a traceback when it is missing (the kiosk uses
    the mouse provider only: a touch screen appears as one), and warns that it "upgrades" the
    config.ini it has just created in a fresh KIVY_HOME. Neither says anything to act on."""

    NOISE = (
        "Input: MTDev is not supported",
        "Config: Older configuration version",
        "Config: Upgrading configuration",
    )

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.NOISE)


def prepare_environment(kivy_home: Path) -> None:
    kivy_home.mkdir(parents=True, exist_ok=True)
    logging.getLogger("kivy").addFilter(_DropKivyNoise())
    os.environ["KIVY_NO_ARGS"] = "1"  # our CLI owns argv
    os.environ["KIVY_HOME"] = str(kivy_home)  # else Kivy writes ~/.kivy
    os.environ["KIVY_NO_FILELOG"] = "1"  # our logging (with redaction) is the only log
    os.environ["KIVY_NO_CONSOLELOG"] = "1"
    os.environ["KIVY_LOG_MODE"] = "PYTHON"
    if not has_display():
        # Real OpenGL through Mesa's llvmpipe, no X server needed (`dummy` cannot draw).
        os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")


def configure_kivy(options: UiOptions) -> None:
    from kivy.config import Config  # first Kivy import: the environment is set by now

    # Kivy logs its GL and provider banners at INFO; keep them out unless we are debugging.
    kivy_log = logging.getLogger("kivy")
    debugging = logging.getLogger().getEffectiveLevel() <= logging.DEBUG
    kivy_log.setLevel(logging.DEBUG if debugging else logging.WARNING)

    Config.set("graphics", "width", str(options.width))
    Config.set("graphics", "height", str(options.height))
    Config.set("graphics", "fullscreen", "auto" if options.fullscreen else "0")
    Config.set("graphics", "borderless", "1" if options.fullscreen else "0")
    Config.set("graphics", "resizable", "0")
    # Kivy asks for 2× multisampling by default; Mesa's llvmpipe only has 4×, so the software
    # renderer got a 4× colour + depth buffer: +66 MiB resident and every frame painted and
    # resolved 4× (a bare 1080×1920 window: 198 → 132 MiB, 9 → 2 ms a frame). Screenshots
    # show no difference beyond single pixels on the staircase of rounded corners.
    Config.set("graphics", "multisamples", "0")
    Config.set("graphics", "show_cursor", "0" if options.fullscreen else "1")
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "pause_on_minimize", "0")
    Config.set("kivy", "keyboard_mode", "system")  # our own on-screen keyboards, never Kivy's
    Config.set("kivy", "log_enable", "0")
    # Only the mouse provider (touch screens appear as one), without the red multitouch dots.
    for name, _value in list(Config.items("input")):
        Config.remove_option("input", name)
    Config.set("input", "mouse", "mouse,disable_multitouch")


def register_fonts(options: UiOptions) -> tuple[Path, Path | None]:
    """Make the CJK font Kivy's default (`Roboto` is the name every widget asks for)."""
    from kivy.core.text import DEFAULT_FONT, LabelBase

    main = find_cjk_font(options.font)
    fallback = find_fallback_font()
    LabelBase.register(DEFAULT_FONT, str(main))
    LabelBase.register("KioskFallback", str(fallback or main))
    log.info("screen font %s (fallback %s)", main, fallback)
    return main, fallback


def free_label_surfaces() -> None:
    """Kivy's SDL2 text provider keeps each label's SDL surface (width × height × 4 bytes)
    after copying it into the label's texture, for as long as the label lives: every label
    was held twice. With the software renderer the texture is process memory already, so
    the copy is dropped once the texture has it (14 MiB at the peak of the walk through
    every screen). Kivy's own re-render creates a new surface, so nothing reads the old one."""
    try:
        from kivy.core.text.text_sdl2 import LabelSDL2
    except ImportError:  # another text provider: nothing to drop
        return
    if getattr(LabelSDL2, "_kiosk_frees_surface", False):
        return
    render_end = LabelSDL2._render_end

    def _render_end(self: Any) -> Any:
        data = render_end(self)
        self._surface = None
        return data

    LabelSDL2._render_end = _render_end
    LabelSDL2._kiosk_frees_surface = True


def prepare(kivy_home: Path, options: UiOptions) -> tuple[Path, Path | None]:
    prepare_environment(kivy_home)
    configure_kivy(options)
    fonts = register_fonts(options)
    free_label_surfaces()
    return fonts
