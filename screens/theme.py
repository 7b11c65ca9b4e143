"""Colours and text scale every .kv file reads as `app.theme.*`; elderly mode swaps them.

Elderly mode (适老化): text and buttons about 1.3× larger and a high-contrast palette (white
and yellow on black), as the MIIT elderly-friendly guidelines ask.

Switching mode replaces the app's Theme object instead of changing its colours one by one:
kv rules bound to different colours would otherwise re-run in the order the colours change,
and a base class rule could override a more specific one. One swap re-runs every rule in
binding order, so the most specific rule is applied last, as when the screen was built.
"""

from __future__ import annotations

from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty

STANDARD = {
    "scale": 1.0,
    "bg": (0.96, 0.97, 0.98, 1),
    "fg": (0.10, 0.12, 0.16, 1),
    "muted": (0.38, 0.42, 0.48, 1),
    "bar": (0.11, 0.35, 0.65, 1),
    "bar_fg": (1, 1, 1, 1),
    "card": (1, 1, 1, 1),
    "accent": (0.11, 0.42, 0.80, 1),
    "accent_fg": (1, 1, 1, 1),
    # every colour a text is drawn in or on reads at WCAG AA (≥ 4.5:1) against its partner:
    # white on the tiles and on warn; ok/warn/danger on bg and card (screens/layout_check.py)
    "tile_queue": (0.78, 0.20, 0.17, 1),
    "tile_guide": (0.08, 0.42, 0.70, 1),
    "tile_forms": (0.10, 0.47, 0.30, 1),
    "tile_progress": (0.66, 0.35, 0.0, 1),
    "tile_fg": (1, 1, 1, 1),
    "ok": (0.10, 0.45, 0.24, 1),
    "warn": (0.70, 0.31, 0.0, 1),
    "warn_fg": (1, 1, 1, 1),
    "danger": (0.80, 0.15, 0.15, 1),
    "banner": (1.0, 0.93, 0.75, 1),
    "disabled": (0.78, 0.80, 0.83, 1),
    "disabled_fg": (0.22, 0.24, 0.27, 1),
}
ELDERLY = STANDARD | {
    "scale": 1.3,
    "bg": (0, 0, 0, 1),
    "fg": (1, 1, 1, 1),
    "muted": (1, 0.92, 0.35, 1),
    "bar": (0.08, 0.08, 0.08, 1),
    "bar_fg": (1, 0.92, 0.35, 1),
    "card": (0.13, 0.13, 0.13, 1),
    "accent": (1, 0.85, 0.0, 1),
    "accent_fg": (0, 0, 0, 1),
    "tile_queue": (0.75, 0.10, 0.10, 1),
    "tile_guide": (0.0, 0.30, 0.65, 1),
    "tile_forms": (0.0, 0.42, 0.22, 1),
    "tile_progress": (0.65, 0.35, 0.0, 1),
    "ok": (0.40, 0.90, 0.50, 1),
    "warn": (1, 0.62, 0.15, 1),
    "warn_fg": (0, 0, 0, 1),
    "danger": (1, 0.50, 0.50, 1),
    "banner": (1, 0.92, 0.35, 1),
    "disabled": (0.3, 0.3, 0.3, 1),
    "disabled_fg": (0.88, 0.88, 0.88, 1),
}


# The smallest text a screen may show, in pixels of the 1080×1920 screen (about 6.5 mm tall at
# the kiosk's 21.5-inch panel); elderly mode's is the standard one at its 1.3 scale. The
# layout check (screens/layout_check.py) fails on smaller text.
MIN_FONT_PX = 26
MIN_FONT_PX_ELDERLY = 33  # 26 × 1.3, rounded down
MIN_CONTRAST = 4.5  # WCAG 2 AA, normal text: every text against what is drawn behind it


def min_font_size(elderly: bool) -> int:
    return MIN_FONT_PX_ELDERLY if elderly else MIN_FONT_PX


class Theme(EventDispatcher):
    elderly = BooleanProperty(False)
    scale = NumericProperty(1.0)
    bg = ColorProperty(STANDARD["bg"])
    fg = ColorProperty(STANDARD["fg"])
    muted = ColorProperty(STANDARD["muted"])
    bar = ColorProperty(STANDARD["bar"])
    bar_fg = ColorProperty(STANDARD["bar_fg"])
    card = ColorProperty(STANDARD["card"])
    accent = ColorProperty(STANDARD["accent"])
    accent_fg = ColorProperty(STANDARD["accent_fg"])
    tile_queue = ColorProperty(STANDARD["tile_queue"])
    tile_guide = ColorProperty(STANDARD["tile_guide"])
    tile_forms = ColorProperty(STANDARD["tile_forms"])
    tile_progress = ColorProperty(STANDARD["tile_progress"])
    tile_fg = ColorProperty(STANDARD["tile_fg"])
    warn_fg = ColorProperty(STANDARD["warn_fg"])
    disabled_fg = ColorProperty(STANDARD["disabled_fg"])
    ok = ColorProperty(STANDARD["ok"])
    warn = ColorProperty(STANDARD["warn"])
    danger = ColorProperty(STANDARD["danger"])
    banner = ColorProperty(STANDARD["banner"])
    disabled = ColorProperty(STANDARD["disabled"])

    def __init__(self, elderly: bool = False, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.elderly = elderly
        for name, value in (ELDERLY if elderly else STANDARD).items():
            setattr(self, name, value)

    def fs(self, base: float) -> float:
        """A font size scaled for the current mode (kv: `app.theme.scale * 40` binds)."""
        return base * self.scale
