"""Everything that must happen before Kivy is imported, in one place.

Kivy reads its environment variables when `kivy` is first imported (it checks that they exist,
not their value) and its window size when the window module is imported, so this module never
imports Kivy at module level and `prepare()` must run first. Order matters:

1. `prepare_environment()` — env vars (no argv parsing, no ~/.kivy, no file log, Python
   logging, the offscreen SDL driver when there is no display).
2. `configure_kivy()` — kivy.config: window size and fullscreen, kiosk lockdown switches.
3. `register_fonts()` — the Simplified-Chinese default font, before any widget exists.
4. `tune_labels()` — labels keep one copy of their pixels, not two, sampled cheaply.
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
    multisamples: int = 0  # ui.multisamples


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
    # Image loaders: Kivy's default list also imports Pillow at start (img_pil, ~5 MiB) for
    # nothing — the kiosk loads no image files (QR codes are textures made from bytes).
    os.environ.setdefault("KIVY_IMAGE", "tex,dds,sdl2")
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
    # show no difference beyond single pixels on the staircase of rounded corners. A kiosk
    # with a GPU may set ui.multisamples = 2 or 4.
    Config.set("graphics", "multisamples", str(options.multisamples))
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


def tune_labels() -> None:
    """Two fixes to Kivy's SDL2 text provider, hooked where a label's pixels are produced.

    1. It keeps each label's SDL surface (width × height × 4 bytes) after copying it into the
       texture, for as long as the label lives: every label was held twice. With the
       software renderer the texture is process memory already, so the surface is dropped
       once copied (14 MiB at the peak of a walk through every screen). A re-render makes a
       new surface, so nothing reads the old one.
    2. Label textures are drawn 1:1 at whole-pixel positions (Kivy's label rule rounds
       them), where nearest sampling gives exactly the pixels linear sampling gives, with one
       texel read instead of four: ~10 % less paint time a frame with llvmpipe.
    """
    try:
        from kivy.core.text.text_sdl2 import LabelSDL2
    except ImportError:  # another text provider: nothing to tune
        return
    if getattr(LabelSDL2, "_kiosk_tuned", False):
        return
    render_end = LabelSDL2._render_end

    def _render_end(self: Any) -> Any:
        data = render_end(self)
        self._surface = None
        texture = self.texture
        if texture is not None and texture.mag_filter != "nearest":
            texture.min_filter = "nearest"
            texture.mag_filter = "nearest"
        return data

    LabelSDL2._render_end = _render_end
    LabelSDL2._kiosk_tuned = True


def prepare(kivy_home: Path, options: UiOptions) -> tuple[Path, Path | None]:
    prepare_environment(kivy_home)
    configure_kivy(options)
    fonts = register_fonts(options)
    tune_labels()
    return fonts
