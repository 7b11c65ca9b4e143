"""The voice interface: `say(text)` returns at once; speech runs in the background."""

from __future__ import annotations

from hardware.base import DeviceInfo, DeviceLifecycle, DeviceStatus, StatusReport


class Voice(DeviceLifecycle):
    """Base class; subclasses implement `_open`, `_close`, `_say`."""

    driver = "voice"
    simulated = False

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target

    def say(self, text: str) -> None:
        """Speak `text` without waiting; a new prompt cuts off the one still playing (the
        screen it belonged to is gone). Speaking while closed is a no-op: voice is an aid,
        never a reason for a use case to fail."""
        text = " ".join(text.split())
        if self._is_open and text:
            self._say(text)

    def wait(self, timeout: float) -> bool:
        """True when nothing is playing any more (for tests and the CLI)."""
        return True

    def status(self) -> StatusReport:
        if not self._is_open:
            return StatusReport(DeviceStatus.UNKNOWN, "not open")
        return StatusReport(DeviceStatus.OK, "ready")

    def info(self) -> DeviceInfo:
        return DeviceInfo(
            family="voice", driver=self.driver, target=self.target, simulated=self.simulated
        )

    def _open(self) -> None:
        pass

    def _close(self) -> None:
        pass

    def _say(self, text: str) -> None:
        raise NotImplementedError


class SimVoice(Voice):
    """Target `sim`: silent; records what was said, in order."""

    driver = "sim"
    simulated = True

    def __init__(self, target: str = "sim") -> None:
        super().__init__(target)
        self.said: list[str] = []

    def _say(self, text: str) -> None:
        self.said.append(text)


class NullVoice(Voice):
    """Target `none`: voice switched off; status DISABLED so screens hide voice options."""

    driver = "none"

    def _say(self, text: str) -> None:
        pass

    def status(self) -> StatusReport:
        return StatusReport(DeviceStatus.DISABLED, "voice output switched off")
