"""The read models in a process of their own, beside ``elevator-ledger serve``.

Why not a thread of the server: a catch-up costs about 150 µs of Python per entry, and on a
thread of the server that time is taken from the request threads under the GIL (measured:
1,388 single POSTs/s with it, 1,744/s without). In a child process it runs on the other core.

What the child holds: the settings, the trust file (public) and the database URL. It opens
its side with the function it is given (:func:`api.bootstrap.child_projections`: its own
engine, the log as a :class:`~ledger.log.LogReader` (the log's private key never reaches it),
the eventsourcing application for reading elevator chains, and a
:class:`~projections.runner.ProjectionRunner` whose write transactions take turns with the
server's writers (``api.bootstrap.turns``); given, so this module needs nothing of the
composition root that builds it). It catches up at start, whenever the server nudges
it and every ``interval`` seconds anyway (another process may have written), until the server
closes the pipe it is nudged through, or ends in any way (:func:`ledger.parallel.exit_with_parent`).

The server (:class:`ProjectionProcess`) nudges it after group commits, starts another if it
has died (checked on every nudge, logged; at most one start a second), and stops it on close:
it closes the pipe, waits for the catch-up under way to end its current transaction (bounded),
then terminates it if need be.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from api.settings import Settings
from domain.application.gc_tuning import tune_gc
from ledger.parallel import exit_with_parent
from projections.runner import ProjectionRunner
from projections.worker import ProjectionWorker

log = logging.getLogger(__name__)

NUDGE = b"n"
#: Seconds the server waits for the child to stop after asking, before terminating it.
STOP_TIMEOUT = 10.0
#: Seconds at least between two starts of the child (one that dies at once is not restarted
#: on every nudge).
RESTART_AFTER = 1.0

#: How the child opens its side for the settings: the read models' runner over the log, with
#: what it runs on (engine, application), closed when the child ends. A module-level function,
#: so that it reaches the child (a fork server's) by name.
OpenProjections = Callable[[Settings], AbstractContextManager[ProjectionRunner]]


class ProjectionProcess:
    """The server's handle on the projection child: start, nudge (restarting it if it has
    died), stop. Safe to call from any thread."""

    def __init__(
        self,
        settings: Settings,
        open_projections: OpenProjections,
        interval: float = 1.0,
        stop_timeout: float = STOP_TIMEOUT,
    ) -> None:
        self.settings, self.interval, self.stop_timeout = settings, interval, stop_timeout
        self.open_projections = open_projections
        self._context = multiprocessing.get_context("forkserver")
        self._lock = threading.Lock()
        self._proc: BaseProcess | None = None
        self._conn: Connection[Any, Any] | None = None  # the write end of the nudge pipe
        self._started_at = -math.inf
        self._stopped = False
        self._retry: threading.Timer | None = None
        self.starts = 0

    @property
    def pid(self) -> int | None:
        """The child's process id, while one has been started."""
        proc = self._proc
        return None if proc is None else proc.pid

    def alive(self) -> bool:
        proc = self._proc
        return proc is not None and proc.is_alive()

    def start(self) -> None:
        with self._lock:
            if self._proc is None and not self._stopped:
                self._spawn()

    def nudge(self) -> None:
        """Ask the child to catch up now; start another if it has died."""
        with self._lock:
            if self._stopped:
                return
            proc, conn = self._proc, self._conn
            if proc is None or conn is None or not proc.is_alive():
                wait = self._started_at + RESTART_AFTER - time.monotonic()
                if wait > 0:  # it died at once: try again a little later, commits or not
                    if self._retry is None:
                        self._retry = threading.Timer(wait, self._retry_nudge)
                        self._retry.daemon = True
                        self._retry.start()
                    return
                if proc is not None:
                    log.warning(
                        "projection process %s exited with code %s; starting another",
                        proc.pid,
                        proc.exitcode,
                    )
                self._discard()
                self._spawn()  # a new child catches up as soon as it starts
                return
            try:
                conn.send_bytes(NUDGE)
            except BlockingIOError:
                pass  # the pipe is full of nudges not yet read: one more adds nothing
            except OSError:
                pass  # it is dying: the next nudge starts another

    def stop(self) -> None:
        """Stop the child: its catch-up ends after the current transaction; terminated if it
        has not ended within ``stop_timeout`` seconds. No restart after this."""
        with self._lock:
            self._stopped = True
            proc, conn = self._proc, self._conn
            self._proc = self._conn = None
            if self._retry is not None:
                self._retry.cancel()
        if conn is not None:
            conn.close()  # end of file on the child's side: its signal to stop
        if proc is None:
            return
        proc.join(self.stop_timeout)
        if proc.is_alive():
            log.warning("projection process %s did not stop; terminating it", proc.pid)
            proc.terminate()
            proc.join(5)
        if proc.is_alive():
            proc.kill()
            proc.join()
        proc.close()

    def _retry_nudge(self) -> None:
        with self._lock:
            self._retry = None
        self.nudge()

    def _spawn(self) -> None:
        reader, writer = self._context.Pipe(duplex=False)
        proc = self._context.Process(
            target=follow,
            args=(self.settings, self.open_projections, reader, self.interval),
            name="projections",
            daemon=True,
        )
        try:
            proc.start()
        finally:
            reader.close()  # the child has its own copy
        os.set_blocking(writer.fileno(), False)  # a nudge never blocks the server
        self._proc, self._conn = proc, writer
        self._started_at = time.monotonic()
        self.starts += 1

    def _discard(self) -> None:
        """Forget a child that has ended (its exit status is already known)."""
        if self._conn is not None:
            self._conn.close()
        if self._proc is not None:
            self._proc.join(1)
            if not self._proc.is_alive():
                self._proc.close()
        self._proc = self._conn = None


def follow(
    settings: Settings,
    open_projections: OpenProjections,
    nudges: Connection[Any, Any],
    interval: float,
) -> None:
    """The child: follow the log into the read models until the server closes ``nudges``."""
    exit_with_parent()  # first: even a kill -9 of the server ends this process
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the server, which stops us
    logging.basicConfig(
        level=logging.WARNING, format="projections[%(process)d] %(levelname)s %(message)s"
    )
    tune_gc()
    try:
        with open_projections(settings) as runner:
            worker = ProjectionWorker(runner, interval)
            worker.start()
            try:
                pass_on(nudges, worker)
            finally:
                worker.stop(timeout=STOP_TIMEOUT)
    finally:
        nudges.close()


def pass_on(nudges: Connection[Any, Any], worker: ProjectionWorker) -> None:
    """Nudge ``worker`` for each of the server's nudges, until the server closes its end or
    is gone."""
    while True:
        try:
            nudges.recv_bytes()
        except (EOFError, OSError):
            return
        worker.nudge()
