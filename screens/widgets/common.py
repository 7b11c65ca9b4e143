"""Python halves of the shared widgets in common.kv (those declaring their own properties)."""

from __future__ import annotations

from kivy.properties import ColorProperty, NumericProperty, OptionProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.label import Label

from screens.widgets.fit import FitLabel, FitText, KLabel  # noqa: F401 - kv classes


class KButtonBase(FitText, ButtonBehavior, Label):
    """A rounded touch target: colours and the pressed look, no size rules.

    Colours come from `tone` through ONE kv rule (common.kv). Kivy re-runs every rule bound to
    the theme when elderly mode switches it, and when a subclass rule and a base rule both
    bind the same property the base one can win; so subclasses set `tone` (a constant or
    bound to their own state), never `bg`/`fg`, and themed sizes use `base_font`.
    """

    tone = OptionProperty("accent", options=["accent", "ghost", "warn", "hint"])
    base_font = NumericProperty(40)  # font size at scale 1
    bg = ColorProperty((0.11, 0.42, 0.80, 1))
    fg = ColorProperty((1, 1, 1, 1))


class KButton(KButtonBase):
    """A large button whose text and height grow in elderly mode (theme.scale)."""


class BarButton(KButtonBase):
    """A button of the top and bottom bars (the bars grow with elderly mode's scale)."""
