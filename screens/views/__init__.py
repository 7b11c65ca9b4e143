"""Kivy screens: one module + one .kv file (layout and bindings only) per screen."""
