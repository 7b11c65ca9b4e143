"""A Server-Sent Events client for tests: reads a real HTTP stream (requests, streaming) in a
thread and hands parsed messages over through a queue."""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests


@dataclass
class Message:
    id: str | None
    event: str | None
    data: Any  # parsed JSON when it is JSON


class SseClient:
    def __init__(self, url: str, headers: dict[str, str] | None = None, **params: Any) -> None:
        self.messages: queue.Queue[Message] = queue.Queue()
        self.comments: list[str] = []
        self.response = requests.get(
            url, headers=headers or {}, params=params, stream=True, timeout=(5, 60)
        )
        self.status = self.response.status_code
        self._thread = threading.Thread(target=self._read, daemon=True)
        if self.status == 200:
            self._thread.start()

    def _read(self) -> None:
        fields: dict[str, list[str]] = {}
        try:
            for raw in self.response.iter_lines(decode_unicode=True):
                line = raw if isinstance(raw, str) else raw.decode()
                if line == "":
                    if "data" in fields:
                        data = "\n".join(fields["data"])
                        try:
                            parsed: Any = json.loads(data)
                        except ValueError:
                            parsed = data
                        self.messages.put(
                            Message(
                                (fields.get("id") or [None])[-1],
                                (fields.get("event") or [None])[-1],
                                parsed,
                            )
                        )
                    fields = {}
                elif line.startswith(":"):
                    self.comments.append(line[1:].strip())
                else:
                    name, _, value = line.partition(":")
                    fields.setdefault(name, []).append(
                        value[1:] if value.startswith(" ") else value
                    )
        except Exception:  # noqa: BLE001
            pass  # closed by the test or the server

    def next(self, timeout: float = 5.0) -> Message:
        return self.messages.get(timeout=timeout)

    def wait_for(self, predicate: Any, timeout: float = 5.0) -> Message:
        """The first message matching `predicate` (earlier ones are dropped)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no matching event")
            msg = self.messages.get(timeout=left)
            if predicate(msg):
                return msg

    def drain(self, quiet: float = 0.3) -> list[Message]:
        out = []
        while True:
            try:
                out.append(self.messages.get(timeout=quiet))
            except queue.Empty:
                return out

    def close(self) -> None:
        """Shut the socket down first: closing the response while the reader thread is
        blocked in a read would wait for the next chunk (up to a keep-alive interval)."""
        raw = self.response.raw
        sock = getattr(getattr(raw, "_connection", None), "sock", None)
        if sock is None:
            sock = getattr(
                getattr(getattr(getattr(raw, "_fp", None), "fp", None), "raw", None), "_sock", None
            )
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if self._thread.is_alive():
            self._thread.join(2)
        self.response.close()

    def __enter__(self) -> SseClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
