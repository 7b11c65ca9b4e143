"""办事指南: browse by department / 个人 / 法人 / life event."""

from __future__ import annotations

from screens.views.base import VMScreen, load_kv


class GuideScreen(VMScreen):
    pass


load_kv(__file__)
