"""Reusable widgets: QR image, paged row lists, on-screen keyboards."""
