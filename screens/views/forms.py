"""自助填单: the list of forms."""

from __future__ import annotations

from screens.views.base import VMScreen, load_kv


class FormsScreen(VMScreen):
    pass


load_kv(__file__)
