"""One item's guide: every element, QR to take it away, print the checklist."""

from __future__ import annotations

from screens.views.base import VMScreen, load_kv
from screens.widgets.qrimage import QrImage  # noqa: F401 - registers the kv class


class GuideItemScreen(VMScreen):
    pass


load_kv(__file__)
