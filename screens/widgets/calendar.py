"""The calendar widget: draws a `screens.viewmodels.calendar.DatePicker` render.

Cells call `owner.calendar_pick(key)`, the arrows `owner.calendar_prev()` / `calendar_next()`
and the title `owner.calendar_years()` — `owner` is the screen's view-model, so each binding
still calls one view-model method. Like the keyboard, `state` ({} hides it) is spread into
plain properties because kv bindings follow attributes, not dict keys.
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
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label

from screens.widgets.common import KButtonBase


class CalendarCell(KButtonBase):
    """A day, a month or a year: owner.calendar_pick(key)."""

    owner = ObjectProperty(None, allownone=True)
    key = StringProperty("")
    label = StringProperty("")
    enabled = BooleanProperty(False)
    selected = BooleanProperty(False)
    today = BooleanProperty(False)


class CalendarTitle(ButtonBehavior, BoxLayout):
    """The month (or year range) with a hint under it: owner.calendar_years()."""

    owner = ObjectProperty(None, allownone=True)
    title = StringProperty("")
    hint = StringProperty("")


class WeekdayLabel(Label):
    pass


class DatePickerView(BoxLayout):
    owner = ObjectProperty(None, allownone=True)
    state = DictProperty({})
    mode = StringProperty("")
    cols = NumericProperty(7)
    title = StringProperty("")
    title_hint = StringProperty("")
    weekdays = ListProperty([])
    cells = ListProperty([])
    has_prev = BooleanProperty(False)
    has_next = BooleanProperty(False)
    prev_text = StringProperty("")
    next_text = StringProperty("")

    def on_state(self, _instance: Any, state: dict[str, Any]) -> None:
        self.mode = state.get("mode", "")
        self.cols = state.get("cols", 7)
        self.title = state.get("title", "")
        self.title_hint = state.get("title_hint", "")
        self.has_prev = state.get("has_prev", False)
        self.has_next = state.get("has_next", False)
        self.prev_text = state.get("prev", "")
        self.next_text = state.get("next", "")
        self.weekdays = state.get("weekdays", [])
        self.cells = state.get("cells", [])

    def on_kv_post(self, _base_widget: Any) -> None:
        self.on_weekdays(self, self.weekdays)

    def on_weekdays(self, _instance: Any, names: list[str]) -> None:
        header = self.ids.get("weekdays")
        if header is None:  # the kv rule has not built it yet; on_kv_post comes back
            return
        header.clear_widgets()
        for name in names:
            header.add_widget(WeekdayLabel(text=name))

    def cell(self, key: str) -> CalendarCell | None:
        """The cell of a day ("2025-06-15"), month ("2025-06") or year ("2025") — tests and
        automation tap it."""
        return self.ids.cells.row(key=key)
