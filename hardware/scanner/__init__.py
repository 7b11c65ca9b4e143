"""QR / barcode scanners: serial (USB-CDC) mode, keyboard-wedge mode through evdev, and a
simulator with the field's faults, chosen by a target string."""

from hardware.scanner.decode import decode_payload
from hardware.scanner.driver import Scanner
from hardware.scanner.protocol import Framer
from hardware.scanner.simulator import PtyScannerSimulator, SimScanner
from hardware.scanner.targets import open_scanner
from hardware.scanner.wedge import WedgeAssembler, assemble_keys

__all__ = [
    "Framer",
    "Scanner",
    "PtyScannerSimulator",
    "SimScanner",
    "WedgeAssembler",
    "assemble_keys",
    "decode_payload",
    "open_scanner",
]
