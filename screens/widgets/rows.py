"""Short lists of rows built from a view-model's list of dicts.

Lists on the kiosk are paged (上一页/下一页, fewer rows in elderly mode), never scrolled — a
scroll gesture is hard for many citizens and a tap on a moving list picks the wrong row. So a
page is at most a dozen rows and these widgets simply reuse their row widgets, setting each
dict's keys as properties; RecycleView's viewport machinery is not needed.
Each row gets `owner` (the screen's view-model) so its kv binding can call one method on it.
"""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.properties import ListProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout


class _DataRows:
    data = ListProperty([])
    viewclass = StringProperty("")
    owner = ObjectProperty(None, allownone=True)

    def _bind_rows(self) -> None:
        self.bind(data=self._sync, viewclass=self._rebuild, owner=self._rebuild)

    def _rebuild(self, *_args: Any) -> None:
        self.clear_widgets()
        self._sync()

    def _sync(self, *_args: Any) -> None:
        if not self.viewclass:
            return
        cls = Factory.get(self.viewclass)
        while len(self.children) > len(self.data):
            self.remove_widget(self.children[0])
        while len(self.children) < len(self.data):
            self.add_widget(cls(owner=self.owner))
        for widget, item in zip(reversed(self.children), self.data, strict=True):
            for key, value in item.items():
                if hasattr(widget, key):
                    setattr(widget, key, value)

    def row(self, **match: Any) -> Any:
        """The row widget whose properties match (tests and automation tap it)."""
        for widget in reversed(self.children):
            if all(getattr(widget, k, None) == v for k, v in match.items()):
                return widget
        return None


class Rows(_DataRows, BoxLayout):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("orientation", "vertical")
        super().__init__(**kwargs)
        self._bind_rows()


class GridRows(_DataRows, GridLayout):
    """The same in columns (choices, reasons)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._bind_rows()
