"""Cheaper frames with Mesa's software renderer (llvmpipe), set up once the window exists.

With llvmpipe the paint time of a frame is about proportional to the pixels its draws cover
(~8 ns a pixel per core here, so a full 1080×1920 layer costs ~16 ms of CPU); the UI is
designed to paint each pixel about once. Measured with bench/bench_ui.py and
BENCHMARKS.md "Touch UI". Nothing here changes what is drawn.
"""

from __future__ import annotations

import os
from typing import Any


def tune_renderer(window: Any) -> None:
    _sample_fills_nearest()
    if os.environ.get("SDL_VIDEODRIVER") == "offscreen":
        window.bind(on_flip=_end_frame)


def _sample_fills_nearest() -> None:
    """Kivy draws every plain coloured shape through its 64×64 all-white default texture,
    sampled with linear filtering: four texel reads a pixel for a constant colour. Nearest
    sampling of an all-white texture gives the same pixels and paints fills about 30 %
    faster with llvmpipe (the search screen: 37 → 26 ms of CPU a frame)."""
    from kivy.graphics import Rectangle

    white = Rectangle().texture  # the render context's default texture
    if white is not None:
        white.min_filter = "nearest"
        white.mag_filter = "nearest"


def _end_frame(*_args: Any) -> None:
    """Have the frame just drawn painted, as a display's buffer swap does.

    With SDL's offscreen driver the swap is a no-op, so llvmpipe never ended its scene: it
    kept binning frame after frame (and every texture those frames used, freed or not) until
    its scene limits forced one huge paint — 300+ MiB resident in a window whose labels
    change every frame, against 150 MiB when each frame is ended. Waiting for the paint
    (glFinish, like a software swap's copy) rather than only queueing it (glFlush) keeps
    one scene at a time: 6 MiB less at the peak of a walk through every screen, and the same
    keystroke latency (the kiosk draws one frame per touch, no animation to overlap)."""
    from kivy.graphics.opengl import glFinish

    glFinish()
