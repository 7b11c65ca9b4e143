"""Running the hall server: `kiosk serve` (blocking) and `start_in_thread` (in-process, for
`kiosk demo` beside the touch UI, and for fast tests).

The listening socket is bound before uvicorn starts, so `--port 0` yields a known free port
to print ("serving on http://HOST:PORT"), and a restart can take the same port again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from common.errors import SERVER_UNREACHABLE, USAGE, KioskError
from hall_server import catalog_store
from hall_server.admin import open_database
from hall_server.app import build_context, create_app
from hall_server.clock import Clock
from hall_server.context import HallContext
from hall_server.db import Database, resolve_data_dir, resolve_db_url
from hall_server.retention import RetentionLoop

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    """uvicorn's server that ends the event streams first on SIGINT/SIGTERM: a graceful
    shutdown waits for open responses, and a stream never ends by itself."""

    def __init__(self, config: uvicorn.Config, ctx: HallContext) -> None:
        super().__init__(config)
        self._ctx = ctx

    def handle_exit(self, sig: int, frame: Any) -> None:
        self._ctx.background.hub.close()
        super().handle_exit(sig, frame)


@dataclass
class PreparedServer:
    host: str
    port: int
    url: str
    ctx: HallContext
    server: uvicorn.Server
    sock: socket.socket
    demo: dict | None = None

    @property
    def database(self) -> Database:
        return self.ctx.database


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio only sets TCP_NODELAY on sockets whose proto is
    # IPPROTO_TCP, and without it a keep-alive reply waits ~40 ms on delayed ACKs (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise KioskError(USAGE, f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _url(host: str, port: int, scheme: str = "http") -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}"


def prepare(
    settings: Any,
    *,
    data_dir: str | Path | None = None,
    db_url: str | None = None,
    demo: bool = False,
    host: str | None = None,
    port: int | None = None,
    clock: Clock | None = None,
    reasons_path: Path | None = None,
    demo_dir: Path | None = None,
    forms_dir: Path | None = None,
    tls_cert: str | Path | None = None,
    tls_key: str | Path | None = None,
    sock: socket.socket | None = None,
) -> PreparedServer:
    """Open and migrate the database, load the demo if asked, bind the socket (or serve on
    `sock`, already listening: a worker of `serve_workers`). With `tls_cert`/`tls_key` (PEM
    files) it serves HTTPS itself (else put a TLS proxy in front)."""
    if bool(tls_cert) != bool(tls_key):
        raise KioskError(USAGE, "give both --tls-cert and --tls-key")
    database = open_database(settings, data_dir=data_dir, db_url=db_url)
    try:
        ctx = build_context(
            settings, database, clock=clock, reasons_path=reasons_path, forms_dir=forms_dir,
            data_dir=data_dir,
        )
        ctx.data_dir = resolve_data_dir(settings, data_dir)
        summary = None
        if demo:
            from hall_server.demo import load_demo

            summary = load_demo(
                database, settings, hall_key=ctx.hall_key, clock=ctx.clock, demo_dir=demo_dir,
                personal=ctx.personal,
            )
        app = create_app(ctx)
        host = host or settings.server.host
        if sock is None:
            sock = _bind(host, settings.server.port if port is None else port)
    except BaseException:
        database.dispose()
        raise
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=5,
        server_header=False,
        # uvicorn believes X-Forwarded-For from 127.0.0.1 by default: anyone on the server host
        # could then pick their address. We read it ourselves, from server.trusted_proxies only.
        proxy_headers=False,
        ssl_certfile=str(tls_cert) if tls_cert else None,
        ssl_keyfile=str(tls_key) if tls_key else None,
    )
    if tls_cert:
        try:
            config.load()  # reads the certificate now: a bad file is a usage error, not a crash
        except (OSError, ValueError) as exc:
            sock.close()
            database.dispose()
            raise KioskError(USAGE, f"TLS certificate/key: {exc}") from exc
    url = _url(host, bound_port, "https" if tls_cert else "http")
    ctx.background.start()
    return PreparedServer(host, bound_port, url, ctx, _Server(config, ctx), sock, summary)


def serve(prepared: PreparedServer, *, retention: bool = True) -> None:
    """Serve until SIGINT/SIGTERM (uvicorn's handlers); then close the database.
    `retention`: run the retention loop here (one worker of several does)."""
    log.info(
        "hall server %s listening on %s (database %s)",
        prepared.ctx.version,
        prepared.url,
        prepared.database.describe(),
    )
    # Not with --demo: the sample hall's dates are fixed, and it would age into anonymity.
    loop = RetentionLoop(prepared.ctx) if prepared.demo is None and retention else None
    if loop:
        loop.start()
    stores = catalog_store.of(prepared.ctx) if retention else None  # one process of several
    if stores:
        stores.follow()
    try:
        prepared.server.run(sockets=[prepared.sock])
    finally:
        prepared.ctx.background.stop()
        if loop:
            loop.stop()
        if stores:
            stores.stop()
        prepared.sock.close()
        prepared.database.dispose()


class RunningServer:
    """A server running in a background thread of this process."""

    def __init__(self, prepared: PreparedServer) -> None:
        self._prepared = prepared
        self.url = prepared.url
        self.port = prepared.port
        self._thread = threading.Thread(
            target=prepared.server.run,
            kwargs={"sockets": [prepared.sock]},
            name=f"hall-server-{prepared.port}",
            daemon=True,
        )

    @property
    def ctx(self) -> HallContext:
        return self._prepared.ctx

    @property
    def database(self) -> Database:
        return self._prepared.database

    @property
    def app(self) -> Any:
        """The FastAPI application being served."""
        return self._prepared.server.config.app

    @property
    def clock(self) -> Clock:
        return self._prepared.ctx.clock

    @property
    def demo(self) -> dict | None:
        return self._prepared.demo

    def _start(self, timeout: float) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._prepared.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise KioskError(SERVER_UNREACHABLE, f"hall server did not start on {self.url}")
            time.sleep(0.01)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and close the database; safe to call twice."""
        self._prepared.ctx.background.hub.close()  # end the event streams first
        self._prepared.server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._prepared.ctx.background.stop()
        self._prepared.sock.close()
        self._prepared.database.dispose()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_in_thread(
    settings: Any,
    *,
    data_dir: str | Path | None = None,
    db_url: str | None = None,
    demo: bool = False,
    port: int = 0,
    host: str = "127.0.0.1",
    clock: Clock | None = None,
    reasons_path: Path | None = None,
    demo_dir: Path | None = None,
    forms_dir: Path | None = None,
    start_timeout: float = 15.0,
    tls_cert: str | Path | None = None,
    tls_key: str | Path | None = None,
) -> RunningServer:
    """Start the hall server in a daemon thread; returns once it accepts connections."""
    running = RunningServer(
        prepare(
            settings,
            data_dir=data_dir,
            db_url=db_url,
            demo=demo,
            host=host,
            port=port,
            clock=clock,
            reasons_path=reasons_path,
            demo_dir=demo_dir,
            forms_dir=forms_dir,
            tls_cert=tls_cert,
            tls_key=tls_key,
        )
    )
    running._start(start_timeout)
    return running


def serve_workers(
    settings: Any,
    workers: int,
    *,
    announce: Callable[[str], None],
    data_dir: str | Path | None = None,
    db_url: str | None = None,
    host: str | None = None,
    port: int | None = None,
    tls_cert: str | Path | None = None,
    tls_key: str | Path | None = None,
) -> None:
    """`kiosk serve --workers N`: N processes accepting on one socket, PostgreSQL only.
    Numbers stay unique (row-locked counters), events reach every process's streams
    (LISTEN/NOTIFY), rate limits are shared in the database (ratelimit.DbWindow). A worker
    that dies is started again; SIGTERM/SIGINT stop them all gracefully."""
    if resolve_db_url(settings, data_dir=data_dir, db_url=db_url).startswith("sqlite"):
        raise KioskError(
            USAGE,
            f"--workers {workers} needs PostgreSQL (--db or server.db_url): SQLite has one "
            "writer, so one process serves it",
        )
    open_database(settings, data_dir=data_dir, db_url=db_url).dispose()  # migrate once
    host = host or settings.server.host
    sock = _bind(host, settings.server.port if port is None else port)
    announce(_url(host, sock.getsockname()[1], "https" if tls_cert else "http"))
    children: dict[int, int] = {}
    stopping = False

    def spawn(index: int) -> None:
        pid = os.fork()
        if pid:
            children[pid] = index
            return
        code = 0
        try:  # the worker: uvicorn installs its own SIGTERM/SIGINT handlers
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            prepared = prepare(
                settings, data_dir=data_dir, db_url=db_url, host=host, sock=sock,
                tls_cert=tls_cert, tls_key=tls_key,
            )
            serve(prepared, retention=index == 0)
        except BaseException:
            log.exception("server worker %d failed", index)
            code = 1
        finally:
            os._exit(code)

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for index in range(workers):
        spawn(index)
    log.info("hall server: %d workers on %s", workers, host)
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        index = children.pop(pid, -1)
        if index >= 0 and not stopping:
            log.error("server worker %d (pid %d) exited with %d: starting it again",
                      index, pid, os.waitstatus_to_exitcode(status))
            time.sleep(1)
            spawn(index)
    sock.close()
