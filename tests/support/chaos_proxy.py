"""A fault-injecting TCP proxy between kiosk and hall server (test-suite only).

Each accepted connection draws one fate from a seeded RNG: pass through (optionally with added
latency), drop at once, reset in the middle of the response (RST via SO_LINGER 0), or answer
a canned HTTP 500 without reaching the server. Bounded: it serves until `stop()`.
"""

from __future__ import annotations

import random
import select
import socket
import struct
import threading
import time
from dataclasses import dataclass


@dataclass
class Faults:
    latency_s: float = 0.0
    drop: float = 0.0  # probability: close right after accept
    reset_mid_response: float = 0.0  # forward part of the reply, then RST
    http_500: float = 0.0  # answer 500 without forwarding


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
            threading.Thread(target=self._handle, args=(client, self._fate()), daemon=True).start()

    @staticmethod
    def _rst(sock: socket.socket) -> None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()

    def _handle(self, client: socket.socket, fate: str) -> None:
        if fate == "drop":
            self._rst(client)
            return
        if fate == "500":
            client.settimeout(2)
            try:
                client.recv(65536)
                body = b'{"error": {"code": "E-SRV-01", "message": "chaos"}}'
                client.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json"
                               b"\r\nConnection: close\r\nContent-Length: " + str(len(body)).encode()
                               + b"\r\n\r\n" + body)
            except OSError:
                pass
            client.close()
            return
        try:
            upstream = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            client.close()
            return
        if self.faults.latency_s:
            time.sleep(self.faults.latency_s)
        sent_back = 0
        try:
            socks = [client, upstream]
            while not self._stop.is_set():
                ready, _, _ = select.select(socks, [], [], 0.5)
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    if s is upstream:
                        if fate == "reset":
                            client.sendall(data[: max(1, len(data) // 2)])
                            self._rst(client)
                            return
                        sent_back += len(data)
                        client.sendall(data)
                    else:
                        upstream.sendall(data)
        except OSError:
            return
        finally:
            for s in (client, upstream):
                try:
                    s.close()
                except OSError:
                    pass

    def stop(self) -> None:
        self._stop.set()
        self.listener.close()
        self._thread.join(timeout=2)
