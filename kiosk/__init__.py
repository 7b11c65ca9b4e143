"""Kiosk app core: use cases and the terminal's operations; the CLI is the composition root.
Imports neither Kivy nor the server stack."""

from common import __version__

__all__ = ["__version__"]
