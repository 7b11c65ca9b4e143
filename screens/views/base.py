"""A Screen bound to one view-model: `root.vm` for actions, `root.v` for what to show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import DictProperty, ObjectProperty
from kivy.uix.screenmanager import Screen

from screens.viewmodels.base import ViewModel

_loaded: set[str] = set()


def load_kv(module_file: str) -> None:
    """Load the .kv file beside a view module, once per process."""
    path = str(Path(module_file).with_suffix(".kv"))
    if path not in _loaded:
        Builder.load_file(path)
        _loaded.add(path)


class VMScreen(Screen):
    vm = ObjectProperty(None)
    v = DictProperty({})

    def __init__(self, vm: ViewModel, **kwargs: Any) -> None:
        super().__init__(name=vm.screen, vm=vm, v=vm.view, **kwargs)
        vm.subscribe(self._show)

    def _show(self, view: dict[str, Any]) -> None:
        self.v = view

    def release(self) -> None:
        """The screen is being dropped: stop following the view-model."""
        self.vm.unsubscribe(self._show)
