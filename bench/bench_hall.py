"""Hall load benchmark: call → event delivered, with a hall's worth of load on the server.

`kiosk serve --demo` runs in its own process. The load comes from two more processes (asyncio,
raw HTTP/1.1 over keep-alive sockets, so 240 clients cost little CPU of the machine under test):
- a child process: 200 simulated kiosks take 100 tickets/s in total (each kiosk one every
  2 s, staggered). It has its own event loop so that answering 100 tickets/s cannot delay
  the timing of calls and events below (with one loop for everything, a call's event was
  stamped only when the loop got round to reading it);
- this process: 30 counters (01–30) call the next ticket, each every `--call-every` seconds,
  and 10 event streams (`GET /api/v1/events`) are open; each call's event is timed from the
  moment its call-next request was sent to its arrival on every stream (one clock, one loop).
Before the load, each database also gets a CPU probe, one request at a time: 150 tickets with
no stream open, 150 with the 10 streams, 150 call-nexts; the server's CPU per request there
does not depend on queueing. The server process's CPU time over the load (from /proc) is printed per request answered,
with the load average before and after: on a shared machine, the figure to compare.
Baseline in the same run, before the load: a bare SSE endpoint (FastAPI/uvicorn in its own
process, no database) relaying one in-process event per POST to 10 streams, timed the same
way. Target: call → event p99 ≤ 300 ms. Prints one table per database.

    .venv/bin/python bench/bench_hall.py [--seconds 15] [--db URL]

With KIOSK_TEST_PG_URL set (or --db), PostgreSQL is measured after SQLite. Keep runs short on
a shared machine (the issue asks for 60 s; 15 s is the default here).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import uuid
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pg_scratch import drop_pg_schema, fresh_pg_schema  # noqa: E402

from tests.support.server import start_server_process  # noqa: E402

KIOSKS, COUNTERS, STREAMS = 200, 30, 10
RATE = 100.0  # tickets per second, all kiosks together (--rate)
BASELINE_APP = '''
import asyncio, json, sys
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
import uvicorn
app = FastAPI()
subs = set()
@app.post("/fire/{n}")
async def fire(n: int):
    for q in list(subs):
        q.put_nowait(n)
    return {"ok": n}
@app.get("/events")
async def events():
    q = asyncio.Queue()
    subs.add(q)
    async def gen():
        try:
            yield ": connected\\n\\n"
            while True:
                n = await q.get()
                yield f"id: {n}\\nevent: ticket\\ndata: " + json.dumps({"n": n}) + "\\n\\n"
        finally:
            subs.discard(q)
    return StreamingResponse(gen(), media_type="text/event-stream")
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
'''


# --- a minimal HTTP/1.1 client (keep-alive, Content-Length or chunked) -------------------
class Http:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                      body: object = None) -> tuple[int, bytes]:
        fresh = self.writer is None
        if fresh:
            await self._open()
        try:
            return await self._exchange(method, path, headers, body)
        except (ConnectionError, asyncio.IncompleteReadError):
            if fresh:
                raise
            await self._open()  # the server closed an idle keep-alive connection
            return await self._exchange(method, path, headers, body)

    async def _exchange(self, method: str, path: str, headers: dict[str, str] | None,
                        body: object) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                 f"Content-Length: {len(data)}"]
        if body is not None:
            lines.append("Content-Type: application/json")
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + data)
        await self.writer.drain()
        status, head = await _read_head(self.reader)
        return status, await _read_body(self.reader, head)


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    status = int(status_line.split()[1])
    head = {}
    while True:
        line = (await reader.readline()).decode().strip()
        if not line:
            return status, head
        name, _, value = line.partition(":")
        head[name.lower()] = value.strip()


async def _read_body(reader: asyncio.StreamReader, head: dict[str, str]) -> bytes:
    if head.get("transfer-encoding") == "chunked":
        out = b""
        while True:
            size = int((await reader.readline()).strip(), 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                return out
            out += chunk[:-2]
    return await reader.readexactly(int(head.get("content-length", "0")))


async def sse(host: str, port: int, path: str, on_event, ready: asyncio.Event) -> None:
    """Read a text/event-stream (chunked) and call on_event(data, arrival time)."""
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n"
                 .encode())
    await writer.drain()
    status, head = await _read_head(reader)
    if status != 200:
        raise RuntimeError(f"stream {path}: {status}")
    ready.set()
    buffer = b""
    try:
        while True:
            size_line = await reader.readline()
            if not size_line:
                return
            size = int(size_line.strip() or b"0", 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                return
            buffer += chunk[:-2]
            while b"\n\n" in buffer:
                message, buffer = buffer.split(b"\n\n", 1)
                now = time.monotonic()
                for line in message.split(b"\n"):
                    if line.startswith(b"data: "):
                        on_event(json.loads(line[6:]), now)
    finally:
        writer.close()


def percentiles(samples: list[float]) -> str:
    if not samples:
        return "no samples"
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return (f"p50 {statistics.median(ordered):.1f}  p99 {p99:.1f}  max {ordered[-1]:.1f} ms"
            f"  (n={len(ordered)})")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- baseline: a bare SSE relay ----------------------------------------------------------
async def baseline(seconds: float, per_second: float) -> list[float]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", BASELINE_APP, str(port)], cwd=REPO)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                await asyncio.sleep(0.05)
        sent: dict[int, float] = {}
        delays: list[float] = []

        def on_event(data: dict, at: float) -> None:
            delays.append((at - sent[data["n"]]) * 1000)

        readies = [asyncio.Event() for _ in range(STREAMS)]
        tasks = [asyncio.create_task(sse("127.0.0.1", port, "/events", on_event, r))
                 for r in readies]
        await asyncio.gather(*(r.wait() for r in readies))
        http = Http("127.0.0.1", port)
        n, end = 0, time.monotonic() + seconds
        while time.monotonic() < end:
            n += 1
            sent[n] = time.monotonic()
            await http.request("POST", f"/fire/{n}")
            await asyncio.sleep(1 / per_second)
        await asyncio.sleep(0.5)
        for t in tasks:
            t.cancel()
        return delays
    finally:
        proc.kill()  # a graceful stop would wait for the open streams
        proc.wait(10)


# --- the hall under load -----------------------------------------------------------------
def _tokens(server, role: str, count: int) -> list[str]:
    """Enrol `count` devices: codes made in one database session, spent over HTTP."""
    import requests

    from common.settings import load_settings
    from hall_server import devices
    from hall_server.admin import database_for
    from hall_server.clock import Clock

    settings = load_settings(environ={})
    with database_for(settings, server.data_dir if not server.db_url else None,
                      server.db_url) as database, database.write() as conn:
        codes = [devices.create_enroll_code(conn, role=role, expires=timedelta(hours=1),
                                            now=Clock().now())["code"] for _ in range(count)]
    out = []
    with requests.Session() as s:
        for i, code in enumerate(codes):
            resp = s.post(f"{server.url}/api/v1/devices/enroll",
                          json={"code": code, "name": f"bench-{role}-{i}"}, timeout=30)
            resp.raise_for_status()
            out.append(resp.json()["token"])
    return out


def _lift_daily_caps(server) -> None:
    """The demo's daily caps (a few hundred tickets a service) run out within a minute at
    100 tickets/s, and refused tickets are cheaper than issued ones: lift them for the bench."""
    from sqlalchemy import update

    from common.settings import load_settings
    from hall_server.admin import database_for
    from hall_server.schema import queue_services

    settings = load_settings(environ={})
    with database_for(settings, server.data_dir if not server.db_url else None,
                      server.db_url) as database, database.write() as conn:
        conn.execute(update(queue_services).values(daily_cap=None))


def _demo_services(counters: list[str]) -> list[str]:
    data = tomllib.loads((REPO / "common/defaults/demo/queue_services.toml").read_text("utf-8"))
    return [s["code"] for s in data["service"]
            if s.get("open", True) and set(s.get("counters", [])) & set(counters)]


async def kiosks(port: int, tokens: list[str], services: list[str], start: float,
                 seconds: float, rate: float) -> dict:
    """The 200 kiosks (in a child process, from `start` on the shared monotonic clock)."""
    host, end = "127.0.0.1", start + seconds
    period = KIOSKS / rate  # each kiosk takes one ticket this often
    latencies: list[float] = []
    refused: dict[str, int] = defaultdict(int)

    async def kiosk(i: int) -> None:
        http = Http(host, port)
        headers = {"Authorization": f"Bearer {tokens[i]}"}
        next_at = start + i * period / KIOSKS
        while True:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            if time.monotonic() >= end:
                return
            t0 = time.monotonic()
            status, _ = await http.request(
                "POST", "/api/v1/queue/tickets",
                {**headers, "Idempotency-Key": str(uuid.uuid4())},
                {"service": services[(i + int(t0)) % len(services)]})
            latencies.append((time.monotonic() - t0) * 1000)
            if status != 201:
                refused[f"ticket {status}"] += 1
            next_at += period

    await asyncio.gather(*(kiosk(i) for i in range(KIOSKS)))
    return {"ticket": latencies, "refused": dict(refused)}


def _kiosk_process(out: multiprocessing.Queue, *args: object) -> None:
    with contextlib.suppress(ImportError):
        import uvloop  # the server's loop too: the client should not be the slow side

        uvloop.install()
    out.put(asyncio.run(kiosks(*args)))


def server_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_profile(pid: int, seconds: float, out: str | None) -> subprocess.Popen | None:
    """py-spy (pip install py-spy) on the server for the load window: raw folded stacks of the
    thread holding the GIL, i.e. where the server's Python CPU goes."""
    if not out:
        return None
    spy = Path(sys.executable).with_name("py-spy")
    return subprocess.Popen([str(spy), "record", "--gil", "-p", str(pid), "-d", str(int(seconds)),
                             "-r", "100", "-f", "raw", "-o", out, "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def hall_load(server, seconds: float, call_every: float, start: float,
                    counter_tokens: list[str], profile: str | None = None
                    ) -> dict[str, list[float]]:
    """The counters and the event streams (this process), timed on one clock."""
    host, port = "127.0.0.1", server.port
    counters = [f"{i:02d}" for i in range(1, COUNTERS + 1)]
    call_sent: dict[str, float] = {}
    arrivals: dict[str, list[float]] = defaultdict(list)
    out: dict[str, list[float]] = {"call": [], "event": []}
    refused: dict[str, int] = defaultdict(int)

    def on_event(data: dict, at: float) -> None:
        if data.get("to") == "called":
            arrivals[data["ticket_id"]].append(at)

    readies = [asyncio.Event() for _ in range(STREAMS)]
    streams = [asyncio.create_task(sse(host, port, "/api/v1/events", on_event, r))
               for r in readies]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 30)
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    end = start + seconds
    cpu0 = server_cpu(server.proc.pid)
    spy = start_profile(server.proc.pid, seconds, profile)

    async def counter(i: int) -> None:
        http = Http(host, port)
        headers = {"Authorization": f"Bearer {counter_tokens[i]}"}
        await asyncio.sleep(i * call_every / COUNTERS)
        while time.monotonic() < end:
            t0 = time.monotonic()
            status, body = await http.request(
                "POST", f"/api/v1/queue/counters/{counters[i]}/call-next",
                {**headers, "Idempotency-Key": str(uuid.uuid4())}, {})
            out["call"].append((time.monotonic() - t0) * 1000)
            if status == 200:
                call_sent[json.loads(body)["id"]] = t0
            else:
                refused[f"call-next {status}"] += 1
            await asyncio.sleep(call_every)

    await asyncio.gather(*(counter(i) for i in range(COUNTERS)))
    await asyncio.sleep(max(0.0, end - time.monotonic()))  # the kiosks' last tickets
    cpu = server_cpu(server.proc.pid) - cpu0
    if spy is not None:
        spy.wait(30)
    await asyncio.sleep(1.0)  # the last events
    for task in streams:
        task.cancel()
    missing = 0
    for ticket_id, t0 in call_sent.items():
        got = arrivals.get(ticket_id, [])
        missing += STREAMS - len(got)
        out["event"].extend((at - t0) * 1000 for at in got)
    out["meta"] = [len(call_sent), missing, cpu]
    out["refused_calls"] = dict(refused)  # type: ignore[assignment]
    return out


PROBE_TICKETS, PROBE_CALLS = 150, 150


async def _probe_tickets(http: Http, token: str, services: list[str], pid: int) -> float:
    cpu0 = server_cpu(pid)
    for i in range(PROBE_TICKETS):
        await http.request("POST", "/api/v1/queue/tickets",
                           {"Authorization": f"Bearer {token}",
                            "Idempotency-Key": str(uuid.uuid4())},
                           {"service": services[i % len(services)]})
    await asyncio.sleep(0.5)  # the hub delivers the last events
    return (server_cpu(pid) - cpu0) * 1000 / PROBE_TICKETS


async def cpu_probe(server, kiosk_token: str, counter_tokens: list[str],
                    services: list[str]) -> tuple[float, float, float]:
    """Server CPU ms per ticket (no stream open, then 10) and per call-next (10 streams), one
    request at a time: no queueing, so the figures hold on a loaded machine. The difference
    between the two ticket figures is what delivering one event to 10 streams costs."""
    host, port, pid = "127.0.0.1", server.port, server.proc.pid
    kiosk, counter = Http(host, port), Http(host, port)
    bare = await _probe_tickets(kiosk, kiosk_token, services, pid)
    readies = [asyncio.Event() for _ in range(STREAMS)]
    streams = [asyncio.create_task(sse(host, port, "/api/v1/events", lambda *_: None, r))
               for r in readies]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 30)
    streamed = await _probe_tickets(kiosk, kiosk_token, services, pid)
    cpu0 = server_cpu(pid)
    for i in range(PROBE_CALLS):
        n = i % COUNTERS
        await counter.request("POST", f"/api/v1/queue/counters/{n + 1:02d}/call-next",
                              {"Authorization": f"Bearer {counter_tokens[n]}",
                               "Idempotency-Key": str(uuid.uuid4())}, {})
    await asyncio.sleep(0.5)
    per_call = (server_cpu(pid) - cpu0) * 1000 / PROBE_CALLS
    for task in streams:
        task.cancel()
    return bare, streamed, per_call


def run_db(name: str, db_url: str | None, seconds: float, call_every: float, rate: float,
           profile: str | None = None) -> None:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server_process(Path(tmp), demo=True, db_url=db_url)
        try:
            counters = [f"{i:02d}" for i in range(1, COUNTERS + 1)]
            kiosk_tokens = _tokens(server, "kiosk", KIOSKS)
            counter_tokens = _tokens(server, "counter", COUNTERS)
            services = _demo_services(counters)
            _lift_daily_caps(server)
            probe = asyncio.run(cpu_probe(server, kiosk_tokens[0], counter_tokens, services))
            start = time.monotonic() + 3.0  # both processes begin here
            results: multiprocessing.Queue = multiprocessing.get_context("fork").Queue()
            child = multiprocessing.get_context("fork").Process(
                target=_kiosk_process,
                args=(results, server.port, kiosk_tokens, services, start, seconds, rate))
            child.start()
            result = asyncio.run(hall_load(server, seconds, call_every, start, counter_tokens,
                                           profile))
            result.update(results.get(timeout=seconds + 120))
            result["probe"] = probe
            child.join(30)
        finally:
            server.stop()
    _report(name, result, seconds, rate, load_before)


def _report(name: str, result: dict, seconds: float, rate: float, load_before: float) -> None:
    calls, missing, cpu = result["meta"]
    tickets = len(result["ticket"])
    print(f"\n{name} ({seconds:.0f} s, {rate:.0f} tickets/s offered by {KIOSKS} kiosks)")
    print(f"  tickets            {percentiles(result['ticket'])}  ({tickets / seconds:.0f}/s)")
    print(f"  call-next          {percentiles(result['call'])}  ({calls / seconds:.0f} calls/s)")
    print(f"  call → event       {percentiles(result['event'])}  "
          f"({STREAMS} streams, {missing} deliveries missing)")
    answered = tickets + len(result["call"])
    print(f"  server CPU         {cpu:.1f} s in {seconds:.0f} s ({100 * cpu / seconds:.0f}% of a "
          f"core), {1000 * cpu / max(1, answered):.2f} ms per request (tickets + calls)")
    bare, streamed, per_call = result["probe"]
    print(f"  CPU, one at a time ticket {bare:.2f} ms (no stream), {streamed:.2f} ms "
          f"({STREAMS} streams); call-next {per_call:.2f} ms ({STREAMS} streams)")
    print(f"  load average       {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    refused = {**result["refused"], **result.get("refused_calls", {})}
    if refused:
        print(f"  not 2xx            {refused}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--call-every", type=float, default=1.0,
                        help="seconds each counter waits between calls")
    parser.add_argument("--rate", type=float, default=RATE, help="tickets/s offered in total")
    parser.add_argument("--db", default=os.environ.get("KIOSK_TEST_PG_URL"),
                        help="also measure this PostgreSQL URL")
    parser.add_argument("--profile", metavar="PREFIX",
                        help="py-spy the server during the load: PREFIX-sqlite.txt, -pg.txt")
    args = parser.parse_args()
    profile = (lambda db: f"{args.profile}-{db}.txt") if args.profile else (lambda db: None)
    base = asyncio.run(baseline(min(args.seconds, 10.0), COUNTERS / args.call_every))
    print(f"\nbaseline: bare SSE relay, one in-process event per POST, {STREAMS} streams")
    print(f"  POST → event       {percentiles(base)}")
    run_db("SQLite (WAL, synchronous=FULL)", None, args.seconds, args.call_every, args.rate,
           profile("sqlite"))
    if args.db:
        url, schema = fresh_pg_schema(args.db)
        try:
            run_db("PostgreSQL", url, args.seconds, args.call_every, args.rate, profile("pg"))
        finally:
            drop_pg_schema(args.db, schema)


if __name__ == "__main__":
    main()
