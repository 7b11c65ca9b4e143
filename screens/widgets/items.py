"""Row and chip widgets the paged lists are made of. Each class exists for its kv binding:
a tap calls one method of the owner view-model with the row's key."""

from __future__ import annotations

from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout

from screens.widgets.common import KButtonBase


class RowBase(ButtonBehavior, BoxLayout):
    owner = ObjectProperty(None, allownone=True)
    key = StringProperty("")
    title = StringProperty("")
    detail = StringProperty("")
    error = StringProperty("")
    note = StringProperty("")
    active = BooleanProperty(False)
    last = BooleanProperty(False)


class ListRow(RowBase):
    """owner.pick(key): guide lists, search results, forms."""


class FieldRow(RowBase):
    """owner.edit(key): a form field (label, value, error next to it)."""


class TimelineRow(RowBase):
    """Display only: one status of an application's history."""


class SectionRow(RowBase):
    """Display only: one guide element (heading + text)."""


class ChipBase(KButtonBase):
    owner = ObjectProperty(None, allownone=True)
    key = StringProperty("")
    title = StringProperty("")
    active = BooleanProperty(False)


class TabChip(ChipBase):
    """owner.show_tab(key)."""


class LevelChip(ChipBase):
    """owner.rate(int(key))."""


class ReasonChip(ChipBase):
    """owner.toggle_reason(key)."""


class ChoiceChip(ChipBase):
    """owner.choose_option(key)."""


class ResultChip(ChipBase):
    """owner.select(index)."""

    index = NumericProperty(0)


class Pager(BoxLayout):
    """上一页 / 第 n/m 页 / 下一页: owner.prev_page(), owner.next_page()."""

    owner = ObjectProperty(None, allownone=True)
    page_text = StringProperty("")
    prev_text = StringProperty("")
    next_text = StringProperty("")
    has_prev = BooleanProperty(False)
    has_next = BooleanProperty(False)


class Step(BoxLayout):
    """One step of a multi-step screen (form: card → fill → review → done)."""

    name = StringProperty("")


class Steps(BoxLayout):
    """Shows only the child Step whose name is `current`. The others are detached, not just
    hidden: a disabled widget still swallows the touches that land on it."""

    current = StringProperty("")

    def on_kv_post(self, _base_widget: object) -> None:
        self._steps = {child.name: child for child in self.children}
        self._show()

    def on_current(self, *_args: object) -> None:
        self._show()

    def all_steps(self) -> list[Step]:
        return list(getattr(self, "_steps", {}).values())

    def _show(self) -> None:
        steps = getattr(self, "_steps", None)
        if not steps:
            return
        target = steps.get(self.current)
        for child in list(self.children):
            if child is not target:
                self.remove_widget(child)
        if target is not None and target.parent is None:
            self.add_widget(target)


class ReviewRow(RowBase):
    """Display only: label and value on one line (the review screen)."""
