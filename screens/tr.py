"""`tr._(msgid)` for .kv files: gettext that Kivy re-evaluates when the language changes.

A kv rule `text: tr._("取号")` binds to the attribute `_` of `tr`; this Observable records
those bindings and fires them all on a language switch, so every static label is re-rendered
in place (the screens and the citizen's input stay as they are).
"""

from __future__ import annotations

import itertools
from typing import Any

from kivy.event import Observable

from screens import i18n


class KvTranslator(Observable):
    def __init__(self) -> None:
        super().__init__()
        self._bindings: dict[int, tuple[Any, tuple, dict]] = {}
        self._uids = itertools.count(1)
        i18n.catalogs().add_listener(self._language_changed)

    def _(self, msgid: str) -> str:
        return i18n._(msgid)

    def fbind(self, name: str, func: Any, *args: Any, **kwargs: Any) -> Any:
        if name != "_":
            return super().fbind(name, func, *args, **kwargs)
        uid = next(self._uids)
        self._bindings[uid] = (func, args, kwargs)
        return uid

    def funbind(self, name: str, func: Any, *args: Any, **kwargs: Any) -> Any:
        if name != "_":
            return super().funbind(name, func, *args, **kwargs)
        for uid, binding in list(self._bindings.items()):
            if binding == (func, args, kwargs):
                del self._bindings[uid]
        return None

    def unbind_uid(self, name: str, uid: int) -> Any:
        if name != "_":
            return super().unbind_uid(name, uid)
        self._bindings.pop(uid, None)
        return None

    def _language_changed(self, _language: str) -> None:
        for uid, (func, args, _kwargs) in list(self._bindings.items()):
            try:
                func(args[0] if len(args) == 1 else args, None, None)
            except ReferenceError:  # the widget is gone (its weak proxy died)
                self._bindings.pop(uid, None)


tr = KvTranslator()
