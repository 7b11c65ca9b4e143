"""Ticket printer (ESC/POS): layouts, our own Chinese-correct ESC/POS builder, honest status,
and transports (file, simulator, USB, serial, TCP) chosen by a target string.

The kiosk core uses only what is re-exported here.
"""

from hardware.printer.document import DEFAULT_PROFILE, Document, PrintProfile
from hardware.printer.driver import Printer
from hardware.printer.layouts import (
    ChecklistSlip,
    MaterialLine,
    ReceiptSlip,
    SituationLine,
    TicketSlip,
    render_checklist,
    render_receipt,
    render_ticket,
)
from hardware.printer.simulator import SimPrinter, SimulatedPrinterDevice
from hardware.printer.status import parse_status_bytes
from hardware.printer.targets import open_printer

__all__ = [
    "DEFAULT_PROFILE",
    "ChecklistSlip",
    "Document",
    "MaterialLine",
    "PrintProfile",
    "Printer",
    "ReceiptSlip",
    "SimPrinter",
    "SimulatedPrinterDevice",
    "SituationLine",
    "TicketSlip",
    "open_printer",
    "parse_status_bytes",
    "render_checklist",
    "render_receipt",
    "render_ticket",
]
