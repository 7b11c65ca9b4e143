"""Load for bench_server.py: `wrk` closed loop (each connection a kiosk sending its next
ticket as soon as the last one is answered) and a paced open loop in asyncio (arrivals at
fixed times whatever the server does; latency counted from the planned send time, so a
stalled server is not hidden by a waiting client). Every ticket has a unique Idempotency-Key.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

SERVICES = ("A", "B", "C", "D")

WRK_SCRIPT = r"""
local tokens = {}
for t in string.gmatch(os.getenv("BENCH_TOKENS") or "", "[^,]+") do tokens[#tokens + 1] = t end
local services = {"A", "B", "C", "D"}
local made = 0
function setup(thread)
  made = made + 1
  thread:set("thread_no", made)  -- a global of that thread's own Lua state
end
function init(args)
  counter = 0
  prefix = string.format("%s-%d-", os.getenv("BENCH_RUN") or "r", thread_no)
end
function request()
  counter = counter + 1
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[(counter % #tokens) + 1],
    ["Idempotency-Key"] = prefix .. counter,
  }
  local body = '{"service":"' .. services[(counter % 4) + 1] .. '"}'
  return wrk.format("POST", "/api/v1/queue/tickets", headers, body)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests":%d,"duration_us":%d,"non2xx":%d,"socket":%d,'
      .. '"p50":%d,"p99":%d,"max":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


@dataclass
class Result:
    sent: int
    ok: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    extra: dict = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def wrk_missing() -> str | None:
    if shutil.which("wrk"):
        return None
    return "wrk is not installed: apt-get install wrk (Debian package)"


def closed_loop(url: str, tokens: list[str], connections: int, seconds: float) -> Result:
    """`wrk -c connections` for `seconds`; two threads (the machine has two cores)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_SCRIPT)
    try:
        env = {**os.environ, "BENCH_TOKENS": ",".join(tokens), "BENCH_RUN": uuid.uuid4().hex[:8]}
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "30s",
             "-s", f.name, url],
            capture_output=True, text=True, env=env, timeout=seconds + 120, check=True,
        ).stdout
    finally:
        Path(f.name).unlink()
    line = next(x for x in out.splitlines() if x.startswith("WRK "))
    data = json.loads(line[4:])
    errors = data["non2xx"] + data["socket"]
    return Result(
        sent=data["requests"],
        ok=data["requests"] - data["non2xx"],
        errors=errors,
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50"] / 1000,
        p99_ms=data["p99"] / 1000,
        max_ms=data["max"] / 1000,
    )


# --- the open loop ---------------------------------------------------------------------------
async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value)
    body = await reader.readexactly(length) if length else b""
    return status, body


def _request(method: str, host: str, path: str, token: str, body: bytes = b"",
             key: str | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Authorization: Bearer {token}"]
    if key:
        lines.append(f"Idempotency-Key: {key}")
    if body or method == "POST":
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def ticket_request(host: str, token: str, i: int) -> bytes:
    body = json.dumps({"service": SERVICES[i % len(SERVICES)]}).encode()
    return _request("POST", host, "/api/v1/queue/tickets", token, body, str(uuid.uuid4()))


def heartbeat_request(host: str, token: str) -> bytes:
    now = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{time.time_ns() % 10**9:09d}Z"
    record = {"key": str(uuid.uuid4()), "kind": "heartbeat",
              "body": {"sent_at": now, "version": "bench", "interval_s": 5}}
    body = json.dumps({"records": [record]}).encode()
    return _request("POST", host, "/api/v1/sync/push", token, body)


def poll_request(host: str, token: str) -> bytes:
    return _request("GET", host, "/api/v1/catalog/changes?limit=50", token)


def _pct(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _open_loop(url: str, tokens: list[str], rate: float, seconds: float, kiosks: int,
                     background: bool) -> Result:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    hostport = f"{host}:{port}"
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    errors = [0]
    side: dict[str, list[float]] = {"heartbeat": [], "poll": []}
    side_errors = [0]
    queue: asyncio.Queue = asyncio.Queue()
    total = int(rate * seconds)
    start = loop.time() + 0.5
    for i in range(total):
        queue.put_nowait((start + i / rate, i))
    for _ in range(kiosks):
        queue.put_nowait(None)

    async def kiosk(k: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        token = tokens[k % len(tokens)]
        try:
            while (item := await queue.get()) is not None:
                due, i = item
                if (delay := due - loop.time()) > 0:
                    await asyncio.sleep(delay)
                writer.write(ticket_request(hostport, token, i))
                status, _ = await _read_response(reader)
                latencies.append(loop.time() - due)
                if status not in (200, 201):
                    errors[0] += 1
        finally:
            writer.close()

    async def chatter(k: int, period: float) -> None:
        """One kiosk's heartbeat (a write) and catalog poll every `period` s, all kiosks at
        once on the same beat: the burst after a hall's power comes back."""
        reader, writer = await asyncio.open_connection(host, port)
        token = tokens[k % len(tokens)]
        try:
            beat = start
            while beat < start + seconds:
                if (delay := beat - loop.time()) > 0:
                    await asyncio.sleep(delay)
                for kind, make in (("heartbeat", heartbeat_request), ("poll", poll_request)):
                    sent = loop.time()
                    writer.write(make(hostport, token))
                    status, _ = await _read_response(reader)
                    side[kind].append(loop.time() - sent)
                    if status not in (200, 201):
                        side_errors[0] += 1
                beat += period
        finally:
            writer.close()

    tasks = [asyncio.create_task(kiosk(k)) for k in range(kiosks)]
    if background:
        tasks += [asyncio.create_task(chatter(k, 5.0)) for k in range(kiosks)]
    await asyncio.gather(*tasks)
    wall = loop.time() - start
    extra = {}
    if background:
        extra = {
            "heartbeats": len(side["heartbeat"]),
            "heartbeat_p99_ms": _pct(side["heartbeat"], 0.99),
            "polls": len(side["poll"]),
            "poll_p99_ms": _pct(side["poll"], 0.99),
            "side_errors": side_errors[0],
        }
    return Result(
        sent=total,
        ok=total - errors[0],
        errors=errors[0],
        seconds=wall,
        p50_ms=_pct(latencies, 0.5),
        p99_ms=_pct(latencies, 0.99),
        max_ms=max(latencies, default=0) * 1000,
        extra=extra,
    )


def open_loop(url: str, tokens: list[str], rate: float, seconds: float, kiosks: int = 200,
              background: bool = False) -> Result:
    """`rate` tickets/s spread over `kiosks` connections for `seconds`; with `background`,
    every kiosk also sends a heartbeat and polls the catalog every 5 s."""
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    return runner(_open_loop(url, tokens, rate, seconds, kiosks, background))
