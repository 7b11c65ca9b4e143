"""Kiosk app core: settings, use cases, CLI. Imports neither Kivy nor the server stack."""

__version__ = "0.1.0"
