"""The one registry of device families (hardware/families.py): every entry has the same
layout, opens its simulator, names a real setting, and every list of families reads it."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from hardware.families import FAMILIES, LAYOUT
from tests.support.server import isolated_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", list(FAMILIES))
def test_each_family_has_the_layout_and_opens_its_simulator(name, tmp_path):
    family = FAMILIES[name]
    assert set(family.parts) == set(LAYOUT), name
    for role, modules in family.parts.items():
        assert modules or role == "protocol", f"{name}: no {role}"
        for module in modules:
            assert (ROOT / "hardware" / name / f"{module}.py").is_file(), f"{name}/{module}.py"
            importlib.import_module(f"hardware.{name}.{module}")
    # each part's first module is named after it (voice, speech without a byte protocol, has
    # its engine as transport and its simulator in the driver module)
    speech = not family.parts["protocol"]
    for role in LAYOUT:
        if not speech or role in ("driver", "targets"):
            assert family.parts[role][0] == role, f"{name}: {role}.py"
    assert family.opener.startswith(f"hardware.{name}.targets:")
    assert isinstance(family.target(isolated_settings(tmp_path)), str)
    with family.load_opener()("sim") as device:
        assert device.status().to_json()["status"] is not None


def test_every_list_of_families_reads_the_registry(tmp_path):
    from hardware import discovery
    from kiosk.ops import device_check, doctor

    assert tuple(FAMILIES) == device_check.FAMILIES
    assert set(device_check.configured_targets(isolated_settings(tmp_path))) == set(FAMILIES)
    assert set(doctor.FAMILY_NAMES) == set(FAMILIES)
    assert set(FAMILIES) <= set(discovery.FAMILIES)
    from hardware.usb_sim import SimUsbBackend

    found = discovery.discover(usb_backend=SimUsbBackend([]), serial_ports=[], include_pcsc=False)
    sims = {d.family for d in found.devices if d.simulated}
    assert sims == set(FAMILIES)
