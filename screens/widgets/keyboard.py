"""The on-screen keyboard widget: draws a `screens.viewmodels.keyboard.Keyboard` render.

Keys call `owner.press(value)`, candidates `owner.choose(index)` — `owner` is the screen's
view-model, so each binding still calls one view-model method. The key grid is rebuilt only
when the layout changes (a mode switch), not on every keystroke.
"""

from __future__ import annotations

from typing import Any

from kivy.properties import (
    BooleanProperty,
    DictProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.boxlayout import BoxLayout

from screens.widgets.common import KButtonBase


class KeyButton(KButtonBase):
    owner = ObjectProperty(None, allownone=True)
    value = StringProperty("")


class CandidateButton(KButtonBase):
    owner = ObjectProperty(None, allownone=True)
    word = StringProperty("")
    index = NumericProperty(0)


class OnScreenKeyboard(BoxLayout):
    """`state` is the view-model's keyboard render ({} hides the keyboard); it is spread into
    plain properties because kv bindings follow attributes, not dict methods."""

    owner = ObjectProperty(None, allownone=True)
    state = DictProperty({})
    layout = ListProperty([])
    mode = StringProperty("")
    composition = StringProperty("")
    candidates = ListProperty([])
    has_more_candidates = BooleanProperty(False)
    has_prev_candidates = BooleanProperty(False)
    key_height = NumericProperty(112)  # px a row of keys; a panel short of room sets less

    def on_state(self, _instance: Any, state: dict[str, Any]) -> None:
        self.mode = state.get("mode", "")
        self.composition = state.get("composition", "")
        self.candidates = state.get("candidates", [])
        self.has_more_candidates = state.get("has_more_candidates", False)
        self.has_prev_candidates = state.get("has_prev_candidates", False)
        self.layout = state.get("layout", [])

    def on_kv_post(self, _base_widget: Any) -> None:
        self.on_layout(self, self.layout)

    def on_layout(self, _instance: Any, layout: list[list[dict[str, Any]]]) -> None:
        grid = self.ids.get("key_grid")
        if grid is None:  # the kv rule has not built the grid yet; on_kv_post comes back
            return
        grid.clear_widgets()
        for row in layout:
            line = BoxLayout(spacing=8)
            for key in row:
                line.add_widget(
                    KeyButton(
                        owner=self.owner,
                        value=key["value"],
                        text=key["label"],
                        size_hint_x=key["width"],
                    )
                )
            grid.add_widget(line)

    def key(self, value: str) -> KeyButton | None:
        """The button of a key value ("a", "1", "<BS>" …) — tests and automation tap it."""
        for line in self.ids.key_grid.children:
            for button in line.children:
                if button.value == value:
                    return button
        return None
