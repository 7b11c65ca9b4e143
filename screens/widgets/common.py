"""Python halves of the shared widgets in common.kv (those declaring their own properties)."""

from __future__ import annotations

from kivy.properties import ColorProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.label import Label


class KButton(ButtonBehavior, Label):
    """A large rounded touch target; `bg`/`fg` default to the theme's accent colours."""

    bg = ColorProperty((0.11, 0.42, 0.80, 1))
    fg = ColorProperty((1, 1, 1, 1))
