"""A fault-injecting HTTP/1.1 proxy between kiosk and hall server (test-suite only).

Every request draws one fate from a seeded RNG, so keep-alive connections do not dodge the
chaos: pass through (with added latency), drop the connection before forwarding, reset the
connection in the middle of the response AFTER the server has processed the request (the
ambiguous case), or answer a canned 500 without reaching the server. Messages are framed by
Content-Length or, for streamed replies (the catalog snapshot), chunked transfer coding; a
streamed reply is read whole before it is forwarded. Bounded: serves until `stop()`.
"""

from __future__ import annotations

import contextlib
import random
import socket
import struct
import threading
import time
from dataclasses import dataclass


@dataclass
class Faults:
    latency_s: float = 0.0
    drop: float = 0.0  # probability: reset before forwarding
    reset_mid_response: float = 0.0  # forward, then send half the reply and reset
    http_500: float = 0.0  # answer 500 without forwarding
    only_post: bool = False  # faults hit POSTs only (a probe GET passes, a push's reply is lost)


def _fill(sock: socket.socket, buf: bytearray, size: int) -> bool:
    """Read until buf holds `size` bytes; False on EOF."""
    while len(buf) < size:
        chunk = sock.recv(65536)
        if not chunk:
            return False
        buf += chunk
    return True


def _until(sock: socket.socket, buf: bytearray, start: int, marker: bytes) -> int | None:
    """The index just past `marker` at or after `start` in buf (reading as needed); None on EOF."""
    while (at := buf.find(marker, start)) < 0:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
    return at + len(marker)


def _chunked_end(sock: socket.socket, buf: bytearray, pos: int) -> int | None:
    """Where a chunked body starting at `pos` ends (after its last chunk and trailer)."""
    while True:
        line_end = _until(sock, buf, pos, b"\r\n")
        if line_end is None:
            return None
        size = int(bytes(buf[pos:line_end - 2]).split(b";", 1)[0], 16)
        if size == 0:
            return _until(sock, buf, line_end, b"\r\n")  # no trailer fields: the empty line
        pos = line_end + size + 2
        if not _fill(sock, buf, pos):
            return None


def _read_message(sock: socket.socket, buf: bytearray) -> bytes | None:
    """One HTTP message (head + Content-Length or chunked body) from sock; None on EOF."""
    head_end = _until(sock, buf, 0, b"\r\n\r\n")
    if head_end is None:
        return None
    length, chunked = 0, False
    for line in bytes(buf[:head_end]).split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
        elif name.strip().lower() == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    end = _chunked_end(sock, buf, head_end) if chunked else head_end + length
    if end is None or not _fill(sock, buf, end):
        return None
    message = bytes(buf[:end])
    del buf[:end]
    return message


class ChaosProxy:
    def __init__(self, upstream_port: int, faults: Faults | None = None, seed: int = 7) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.faults = faults or Faults()
        self.rng = random.Random(seed)
        self._lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self.fates: dict[str, int] = {"pass": 0, "drop": 0, "reset": 0, "500": 0}
        self.log: list[tuple[str, bytes]] = []  # (fate, path) per request
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _fate(self) -> str:
        with self._lock:
            r = self.rng.random()
            f = self.faults
            for name, p in (("drop", f.drop), ("reset", f.reset_mid_response), ("500", f.http_500)):
                if r < p:
                    self.fates[name] += 1
                    return name
                r -= p
            self.fates["pass"] += 1
            return "pass"

    def _serve(self) -> None:
        self.listener.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    @staticmethod
    def _rst(sock: socket.socket) -> None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()

    def _handle(self, client: socket.socket) -> None:
        client.settimeout(10)
        buf = bytearray()
        try:
            while not self._stop.is_set():
                request = _read_message(client, buf)
                if request is None:
                    break
                spared = self.faults.only_post and not request.startswith(b"POST ")
                fate = "pass" if spared else self._fate()
                self.log.append((fate, request.split(b" ", 2)[1][:40]))
                if fate == "drop":
                    self._rst(client)
                    return
                if fate == "500":
                    body = b'{"error": {"code": "E-SRV-01", "message": "chaos"}}'
                    client.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: "
                                   b"application/json\r\nContent-Length: "
                                   + str(len(body)).encode() + b"\r\n\r\n" + body)
                    continue
                with socket.create_connection(self.upstream, timeout=10) as upstream:
                    upstream.sendall(request)
                    response = _read_message(upstream, bytearray())
                if response is None:
                    self._rst(client)
                    return
                if fate == "reset":
                    client.sendall(response[: len(response) // 2])
                    self._rst(client)
                    return
                if self.faults.latency_s:
                    time.sleep(self.faults.latency_s)
                client.sendall(response)
        except OSError:
            pass
        with contextlib.suppress(OSError):
            client.close()

    def stop(self) -> None:
        self._stop.set()
        self.listener.close()
        self._thread.join(timeout=2)
