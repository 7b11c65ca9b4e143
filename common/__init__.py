"""The ground floor: what every side shares (errors, wire models, redaction, paths, holder
hashes, settings spec, form definitions and validators). Imports nothing else of ours."""

__version__ = "0.1.0"
