"""View-model base: plain Python state + a rendered `view` dict the screen binds to.

A view-model holds the state of one screen, offers one method per citizen action, and renders
its state into `view` — a dict of display-ready values (already translated and formatted) that
the `.kv` file binds to (`text: root.v["number"]`). No Kivy import here: every flow is tested
without a window.

`reset()` puts the screen back to a fresh citizen's state; the session calls it on every wipe,
so any attribute holding citizen data must be (re)initialised there and nowhere else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from screens.viewmodels.session import Session

log = logging.getLogger(__name__)

Listener = Callable[[dict[str, Any]], None]

# Attributes that link a view-model to the app rather than hold a citizen's data; the wipe
# test scans everything else.
INFRASTRUCTURE_ATTRS = frozenset({"session", "_listeners", "view", "_font_paths"})


class ViewModel:
    screen: str = ""  # the screen name this view-model drives

    def __init__(self, session: Session) -> None:
        self.session = session
        self._listeners: list[Listener] = []
        self.reset()
        self.view: dict[str, Any] = self.render()

    # --- overridden by each screen ---------------------------------------------------------
    def reset(self) -> None:
        """Initialise every piece of per-citizen state."""

    def render(self) -> dict[str, Any]:
        return {}

    def enter(self, **params: Any) -> None:
        """The session navigated here (params from the screen that sent the citizen)."""
        self.refresh()

    def spoken_prompt(self) -> str:
        """What elderly mode says aloud on arriving here ("" = the screen's usual prompt)."""
        return ""

    # --- plumbing ----------------------------------------------------------------------------
    @property
    def bridge(self):  # noqa: ANN201 - screens.bridge.Bridge
        return self.session.bridge

    @property
    def core(self) -> Any:
        return self.session.bridge.core

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def refresh(self) -> None:
        self.view = self.render()
        for listener in list(self._listeners):
            listener(self.view)

    def wipe(self) -> None:
        self.reset()
        self.refresh()

    def state(self) -> dict[str, Any]:
        """The citizen-facing state (for the wipe test and diagnostics)."""
        return {k: v for k, v in vars(self).items() if k not in INFRASTRUCTURE_ATTRS}


class PagedViewModel(ViewModel):
    """A screen that shows one page of a longer list: `page` (0-based) is set in `reset()`,
    and `render()` clamps it to the pages there are (fmt.page_of)."""

    page: int

    def next_page(self) -> None:
        self.page += 1
        self.refresh()

    def prev_page(self) -> None:
        self.page = max(0, self.page - 1)
        self.refresh()
