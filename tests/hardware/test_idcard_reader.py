"""The real serial driver against the simulator on a pty, end to end."""

import time

import pytest

from common.errors import KioskError
from hardware.base import DeviceStatus
from hardware.idcard import open_idcard_reader
from hardware.idcard import protocol as codec
from hardware.idcard.driver import IdCardReader
from hardware.idcard.samples import SAMPLES
from hardware.idcard.simulator import IdCardSimulator, PtySimulator
from hardware.idcard.transports import SerialTransport


@pytest.fixture
def pty_sim():
    """Factory: a simulator served on a pty; stopped after the test."""
    servers = []

    def make(**kwargs) -> tuple[IdCardSimulator, str]:
        sim = IdCardSimulator(**kwargs)
        server = PtySimulator(sim)
        servers.append(server)
        return sim, server.start()

    yield make
    for server in servers:
        server.stop()


@pytest.mark.parametrize(
    "name", ["resident", "resident_elderly", "hkmt", "foreign2017", "foreign2023"]
)
def test_serial_driver_reads_every_sample_card(pty_sim, name):
    sim, path = pty_sim(card=SAMPLES[name])
    with open_idcard_reader(f"serial:{path}") as reader:
        card = reader.read_card(2)
    assert card.to_json() == SAMPLES[name].to_json()
    assert card.photo == SAMPLES[name].photo and len(card.photo) == 1024
    assert reader.baud == 115200
    assert sim.reads == 1


def test_fingerprint_read(pty_sim):
    _sim, path = pty_sim()
    with open_idcard_reader(f"serial:{path}") as reader:
        card = reader.read_card(2, fingerprints=True)
    assert len(card.fingerprints) == 1024
    assert "fingerprints" not in card.to_json()


@pytest.mark.parametrize(
    "fault,code",
    [
        ("lifted", "E-IDC-04"),
        ("checksum", "E-IDC-03"),
        ("sam_unauthorised", "E-IDC-05"),
        ("unknown_type", "E-IDC-06"),
        ("nocard", "E-IDC-01"),
    ],
)
def test_each_fault_raises_its_own_code(pty_sim, fault, code):
    _sim, path = pty_sim(fault=fault)
    with open_idcard_reader(f"serial:{path}") as reader, pytest.raises(KioskError) as err:
        reader.read_card(0.3)
    assert err.value.code == code


def test_slow_reader_times_out_with_e_idc_02_and_succeeds_with_more_patience(pty_sim):
    sim, path = pty_sim(slow_delay=0.25)
    with open_idcard_reader(f"serial:{path}?reply_timeout=0.1") as reader:
        sim.set_fault("slow")
        with pytest.raises(KioskError) as err:
            reader.read_card(1)
        assert err.value.code == "E-IDC-02"
    with open_idcard_reader(f"serial:{path}?reply_timeout=0.5") as reader:
        assert reader.read_card(1).kind == "resident_id"


def test_no_card_and_timeout_are_different_codes(pty_sim):
    sim, path = pty_sim()
    sim.remove_card()
    with open_idcard_reader(f"serial:{path}") as reader:
        start = time.monotonic()
        with pytest.raises(KioskError) as err:
            reader.read_card(0.4)
        assert err.value.code == "E-IDC-01"
        assert time.monotonic() - start >= 0.4


def test_find_fails_after_a_read_until_the_card_leaves(pty_sim):
    sim, path = pty_sim()
    with open_idcard_reader(f"serial:{path}") as reader:
        reader.read_card(1)
        assert reader.card_present() is False  # halted: the same card is not read twice
        assert reader.wait_removed(0.3) is False  # …but it is still there
        sim.remove_card()
        assert reader.wait_removed(1.0) is True
        sim.place_card()
        assert reader.card_present() is True


def test_card_lifted_mid_read_then_gone(pty_sim):
    sim, path = pty_sim(fault="lifted")
    with open_idcard_reader(f"serial:{path}") as reader:
        with pytest.raises(KioskError) as err:
            reader.read_card(1)
        assert err.value.code == "E-IDC-04"
        assert reader.wait_removed(0.1) is True
        assert sim.present is False


def test_baud_fallback_finds_a_reader_set_to_9600(pty_sim):
    _sim, path = pty_sim(baud=9600)
    reader = open_idcard_reader(f"serial:{path}?reply_timeout=0.1")
    with reader:
        assert reader.baud == 9600
        assert reader.read_card(1).kind == "resident_id"


def test_pinned_baud_without_probe_reports_no_answer(pty_sim):
    _sim, path = pty_sim(baud=9600)
    with pytest.raises(KioskError) as err:
        open_idcard_reader(f"serial:{path}?baud=115200&probe=0&reply_timeout=0.1").open()
    assert err.value.code == "E-IDC-02"
    assert "115200" in err.value.message


def test_set_baud_command_switches_the_reader(pty_sim):
    sim, path = pty_sim()
    with open_idcard_reader(f"serial:{path}") as reader:
        codec.check_reply(reader.command(codec.cmd_set_baud(38400), "set baud"))
        assert sim.baud == 38400
        reader.transport.set_baud(38400)
        assert reader.read_card(1).kind == "resident_id"


def test_line_noise_before_every_reply_is_skipped(pty_sim):
    _sim, path = pty_sim(noise=b"\x00\xaa\xaa\x96\xff\xaa")
    reader = IdCardReader(SerialTransport(path), target="noisy", bauds=(115200,))
    with reader:
        assert reader.read_card(1).kind == "resident_id"
    assert reader._parser.discarded > 0


def test_sam_id_reset_and_status(pty_sim):
    sim, path = pty_sim()
    reader = open_idcard_reader(f"serial:{path}")
    assert reader.status().status == DeviceStatus.OK  # opens and closes by itself
    assert not reader.is_open
    with reader:
        assert reader.sam_id() == sim.sam_id.hex().upper()
        reader.reset_sam()
    sim.set_fault("sam_unauthorised")
    report = reader.status()
    assert (report.status, report.code) == (DeviceStatus.FAULT, "E-IDC-05")


def test_status_of_a_missing_port_is_a_fault_not_an_exception():
    report = open_idcard_reader("serial:/dev/does-not-exist").status()
    assert report.status == DeviceStatus.FAULT and report.code == "E-IDC-10"


def test_a_device_that_echoes_is_a_protocol_error():
    with pytest.raises(KioskError) as err:
        open_idcard_reader("serial:loop://?probe=0").open()
    assert err.value.code == "E-IDC-09"


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "tcp:1.2.3.4",
        "serial:",
        "serial:/dev/x?baud=1234",
        "serial:/dev/x?speed=1",
        "usb:0400",
        "usb:zz:c35a",
        "sim:passport",
        "sim?fault=fire",
        "sim?transport=bluetooth",
        "sim?reply_timeout=-1",
    ],
)
def test_bad_target_strings_say_what_is_wrong(spec):
    with pytest.raises(KioskError) as err:
        open_idcard_reader(spec)
    assert err.value.code == "E-HW-01"


@pytest.mark.parametrize(
    "spec", ["sim", "sim:hkmt", "sim:foreign2017", "sim:foreign2023", "sim:resident_id"]
)
def test_sim_targets_run_the_real_serial_driver(spec):
    with open_idcard_reader(spec) as reader:
        assert isinstance(reader.transport, SerialTransport)
        assert reader.transport.port.startswith("/dev/pts/")
        card = reader.read_card(1)
    assert card.to_json()["kind"].startswith(card.kind)
    assert reader.simulator.reads == 1


def test_sim_target_faults():
    for fault, code in [
        ("lifted", "E-IDC-04"),
        ("checksum", "E-IDC-03"),
        ("sam_unauthorised", "E-IDC-05"),
        ("unknown_type", "E-IDC-06"),
        ("nocard", "E-IDC-01"),
    ]:
        with (
            open_idcard_reader(f"sim:resident?fault={fault}") as reader,
            pytest.raises(KioskError) as err,
        ):
            reader.read_card(0.3)
        assert err.value.code == code, fault
    with pytest.raises(KioskError) as err:
        open_idcard_reader("sim?fault=slow&delay=0.7").open()
    assert err.value.code == "E-IDC-02"


def test_simulated_citizen_lifts_and_replaces_the_card():
    with open_idcard_reader("sim?auto_remove=0.1&auto_place=0.1") as reader:
        reader.read_card(1)
        assert reader.wait_removed(2) is True
        assert reader.read_card(2).kind == "resident_id"


def test_paced_reply_takes_at_least_the_wire_time():
    sim = IdCardSimulator()
    with (
        PtySimulator(sim, pace=True) as server,
        open_idcard_reader(f"serial:{server.path}") as reader,
    ):
        start = time.monotonic()
        reader.command(codec.cmd_find_card(), "find")
        reader.command(codec.cmd_select_card(), "select")
        reply = reader.command(codec.cmd_read(), "read", reply_bytes=1295)
        elapsed = time.monotonic() - start
    assert reply.ok
    assert elapsed >= 1295 * 10 / 115200  # 0.112 s: a real reader cannot be faster


def test_a_reader_without_the_appended_address_command_still_returns_the_card(pty_sim, caplog):
    """Some SAMs answer "unknown command" (SW3 0x21) to read-appended-address (issue 15): the
    appended address is optional, so the card is returned and the reader's limit logged once."""
    sim, path = pty_sim(card=SAMPLES["resident_elderly"], fault="no_appended_cmd")
    assert SAMPLES["resident_elderly"].appended_address  # the card has one to lose
    with (
        caplog.at_level("WARNING", logger="hardware.idcard.driver"),
        open_idcard_reader(f"serial:{path}") as reader,
    ):
        card = reader.read_card(2)
        assert reader.appended_address_supported is False
        sim.remove_card()
        sim.place_card()
        again = reader.read_card(2)
    expected = {**SAMPLES["resident_elderly"].to_json(), "appended_address": ""}
    assert card.to_json() == expected and again.to_json() == expected
    limits = [r for r in caplog.records if "read-appended-address" in r.getMessage()]
    assert len(limits) == 1 and limits[0].levelname == "WARNING"


def test_a_reader_with_the_command_reads_the_appended_address(pty_sim):
    _sim, path = pty_sim(card=SAMPLES["resident_elderly"])
    with open_idcard_reader(f"serial:{path}") as reader:
        card = reader.read_card(2)
        assert reader.appended_address_supported is True
    assert card.appended_address == SAMPLES["resident_elderly"].appended_address
