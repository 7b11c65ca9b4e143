"""The Kivy side of screens.widgets.qr: a widget showing the QR of its `data`."""

from __future__ import annotations

from kivy.graphics.texture import Texture
from kivy.properties import StringProperty
from kivy.uix.image import Image

from screens.widgets.qr import qr_rgba


class QrImage(Image):
    data = StringProperty("")

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("fit_mode", "contain")
        super().__init__(**kwargs)

    def on_data(self, _instance: object, value: str) -> None:
        if not value:
            self.texture = None
            self.opacity = 0
            return
        side, pixels = qr_rgba(value)
        texture = Texture.create(size=(side, side), colorfmt="rgba")
        texture.mag_filter = "nearest"
        texture.min_filter = "nearest"
        texture.blit_buffer(pixels, colorfmt="rgba", bufferfmt="ubyte")
        self.texture = texture
        self.opacity = 1
