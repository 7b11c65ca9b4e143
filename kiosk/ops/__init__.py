"""The terminal's operations, apart from the citizens' use cases in `kiosk/`: enrolment
(provisioning, credentials, site file, config init, hardware profiles), health (doctor,
device checks, heartbeat, watchdog), upkeep (maintenance, logs, systemd units), the remote
configuration layer, technician access and its audit trail. `hook.OpsHook` runs the periodic
ones after each background sync pass.
"""
