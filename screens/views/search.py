"""办事指南 search: results as you type on the on-screen keyboard."""

from __future__ import annotations

from screens.views.base import VMScreen, load_kv
from screens.widgets.keyboard import OnScreenKeyboard  # noqa: F401 - registers the kv class


class SearchScreen(VMScreen):
    pass


load_kv(__file__)
