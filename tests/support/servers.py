"""``elevator-ledger serve`` as real subprocesses, for end-to-end tests that kill, restart or
multiply servers.

Each server gets a free port on 127.0.0.1, ``LEDGER_HOME`` and ``LEDGER_DATABASE_URL`` in its
environment, and its own output file (stdout and stderr) whose tail is shown when it fails to
start. :func:`start_server` returns once ``GET /healthz`` answers 200, which ``serve`` only does
after the node is fully initialised (schema, keys, genesis). On PostgreSQL each server's
sessions carry an ``application_name`` of their own, so that :meth:`Server.kill` and
:meth:`Server.stop` return only once the database has ended them.
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import uvicorn
from fastapi import FastAPI

from api.app import create_app
from api.node import LedgerNode

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
_starts = itertools.count(1)


class ServerError(RuntimeError):
    """A server did not come up (its output's tail is in the message)."""


def free_port() -> int:
    """A TCP port nothing listens on right now (the server binds it a moment later)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def cli_command(*args: str) -> list[str]:
    """``elevator-ledger ARGS`` from this interpreter's environment."""
    script = Path(sys.executable).with_name("elevator-ledger")
    base = [str(script)] if script.exists() else [sys.executable, "-m", "api.cli"]
    return [*base, *args]


def serve_command(port: int) -> list[str]:
    return cli_command("serve", "--host", HOST, "--port", str(port), "--no-access-log")


def server_env(home: Path, database_url: str, application_name: str = "") -> dict[str, str]:
    """The environment of a ``serve`` (or any CLI) process on this ledger; on PostgreSQL its
    sessions carry ``application_name`` (libpq's ``PGAPPNAME``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env.update(
        LEDGER_HOME=str(home),
        LEDGER_DATABASE_URL=database_url,
        PYTHONUNBUFFERED="1",
        PGAPPNAME=application_name or "elevator-ledger",
    )
    return env


@dataclass
class Server:
    home: Path
    database_url: str
    port: int
    process: subprocess.Popen[bytes]
    output: Path
    name: str
    application_name: str

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def output_tail(self, lines: int = 40) -> str:
        try:
            text = self.output.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_ready(self, timeout: float = 90) -> None:
        """Until ``GET /healthz`` answers 200; :class:`ServerError` if the process exits first
        or the time runs out."""
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.url, timeout=2) as client:
            while time.monotonic() < deadline:
                if not self.alive():
                    raise ServerError(
                        f"{self.name} exited with {self.process.returncode} before it was ready:\n"
                        + self.output_tail()
                    )
                try:
                    if client.get("/healthz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        self.stop()
        raise ServerError(f"{self.name} not ready after {timeout:.0f} s:\n{self.output_tail()}")

    def kill(self) -> None:
        """``kill -9``: no shutdown code runs; then reap the process."""
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.wait_disconnected()

    def wait_disconnected(self, timeout: float = 30) -> None:
        """On PostgreSQL, until the database has ended every session of this (dead) server:
        after a ``kill -9`` the server may still be finishing statements already sent, such as
        a COMMIT, so what a reader sees could still change under it."""
        if not self.database_url.startswith("postgres"):
            return
        deadline = time.monotonic() + timeout
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while time.monotonic() < deadline:
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                    (self.application_name,),
                ).fetchone()
                if row is not None and row[0] == 0:
                    return
                time.sleep(0.02)
        raise ServerError(f"{self.name}'s database sessions outlived it by {timeout:.0f} s")

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM (uvicorn shuts down gracefully), SIGKILL if that takes too long."""
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process.wait(timeout=30)
        self.wait_disconnected()


def _spawn(home: Path, database_url: str, name: str, logs: Path) -> Server:
    port = free_port()
    logs.mkdir(parents=True, exist_ok=True)
    start = next(_starts)
    output = logs / f"{name}-{start}-{port}.log"
    application_name = f"elevator-ledger-test-{os.getpid()}-{start}"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            serve_command(port),
            env=server_env(home, database_url, application_name),
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    return Server(home, database_url, port, process, output, name, application_name)


def _lost_port(server: Server) -> bool:
    """The port was taken between :func:`free_port` and the server's bind."""
    return not server.alive() and "address already in use" in server.output_tail().lower()


def start_servers(
    home: Path,
    database_url: str,
    count: int = 1,
    name: str = "server",
    logs: Path | None = None,
    timeout: float = 90,
) -> list[Server]:
    """Start ``count`` servers at once on one ledger (their start-ups overlap) and wait until
    every one answers ``/healthz``. A server that lost its port to another process is started
    again on a new one."""
    logs = logs or home / "server-logs"
    names = [name if count == 1 else f"{name}{i}" for i in range(count)]
    servers = [_spawn(home, database_url, n, logs) for n in names]
    try:
        for i in range(count):
            for attempt in range(3):
                try:
                    servers[i].wait_ready(timeout)
                    break
                except ServerError:
                    if attempt == 2 or not _lost_port(servers[i]):
                        raise
                    servers[i] = _spawn(home, database_url, servers[i].name, logs)
    except BaseException:
        stop_all(servers)
        raise
    return servers


def start_server(
    home: Path,
    database_url: str,
    name: str = "server",
    logs: Path | None = None,
    timeout: float = 90,
) -> Server:
    return start_servers(home, database_url, 1, name, logs, timeout)[0]


def stop_all(servers: Sequence[Server]) -> None:
    for server in servers:
        if server.alive():
            server.process.terminate()
    for server in servers:
        server.stop()


@contextmanager
def running(
    home: Path, database_url: str, count: int = 1, name: str = "server"
) -> Iterator[list[Server]]:
    """Servers for the duration of a ``with`` block, stopped (or killed) at its end."""
    servers = start_servers(home, database_url, count, name)
    try:
        yield servers
    finally:
        stop_all(servers)


@contextmanager
def in_thread(node: LedgerNode, app: FastAPI | None = None) -> Iterator[str]:
    """The app over ``node`` (or ``app``, built over it) served by uvicorn on a thread of this
    process (for browser tests that need a real socket but no server process): its base URL
    for the ``with`` block."""
    port = free_port()
    served = app if app is not None else create_app(node=node)
    server = uvicorn.Server(uvicorn.Config(served, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://{HOST}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
