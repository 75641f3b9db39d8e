"""Work spread over the machine's cores, in two forms.

- :class:`ParallelVerifier`: stateless Ed25519 checks of large batches on a process pool.
  Ed25519 verification holds the GIL in ``cryptography``, so threads do not help; a process
  pool does. Work is shipped in chunks to keep pickling overhead small; for a handful of
  signatures it is not worth the trip and runs inline.
- :class:`Shards`: long-lived worker processes that each keep their own state (e.g. one
  replay of part of a log), fed one message per shard per *round*, rounds in order, with at
  most ``window`` rounds in flight. Replies come back round by round, in order.

Both start processes with ``forkserver`` (safe beside the caller's threads), and the workers
of a :class:`Shards` are always stopped when its ``with`` block ends — normally, on an error,
or on ``KeyboardInterrupt`` (workers ignore SIGINT: the parent decides when they stop).
Every worker, of a pool (:func:`process_pool`) or a shard, also exits by itself as soon as the
process that started it ends, even by ``kill -9`` (:func:`exit_with_parent`).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar

from ledger.keys import algorithm

#: (algorithm name, public key, message, signature)
Check = tuple[str, bytes, bytes, bytes]
INLINE_BELOW = 32
CHUNK = 64


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, where the system has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def exit_with_parent() -> None:
    """In a worker process started by :mod:`multiprocessing`: exit at once when the process that
    started it ends, however it ends.

    Nothing else would end it after a ``kill -9`` of its parent. A pool's worker waits for work
    on a queue whose write end it holds itself, so it never sees end-of-file; and every worker
    holds the fork server's "alive" pipe and the resource tracker's pipe, which those two wait
    on to close before they exit — so all of them would run on, orphaned, for good. A thread
    here waits on the parent's sentinel (a pipe only the parent holds open: it closes when the
    parent ends). ``PR_SET_PDEATHSIG`` would not do: a worker's parent is the fork server.
    """
    parent = multiprocessing.parent_process()
    if parent is None:  # not a multiprocessing child
        return
    sentinel = parent.sentinel

    def watch() -> None:
        multiprocessing.connection.wait([sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def process_pool(
    workers: int,
    initializer: Callable[..., object] | None = None,
    initargs: tuple[Any, ...] = (),
) -> ProcessPoolExecutor:
    """A process pool started by ``forkserver`` (safe beside the caller's threads), whose
    workers exit when this process ends (:func:`exit_with_parent`); ``initializer`` must be
    importable by name. Shut it down with ``shutdown(wait=True)`` to reap its workers."""
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("forkserver"),
        initializer=_start_pool_worker,
        initargs=(initializer, initargs),
    )


def _start_pool_worker(
    initializer: Callable[..., object] | None, initargs: tuple[Any, ...]
) -> None:
    exit_with_parent()
    if initializer is not None:
        initializer(*initargs)


def verify_chunk(checks: Sequence[Check]) -> list[bool]:
    return [algorithm(name).verify(public, message, sig) for name, public, message, sig in checks]


class ParallelVerifier:
    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = process_pool(self.workers)
        return self._pool

    def warm_up(self) -> None:
        """Start the workers now, not with the first large batch (a fork server and a
        worker take about half a second to start: that batch's requests would wait for it)."""
        pool = self._executor()
        for future in [pool.submit(verify_chunk, ()) for _ in range(self.workers)]:
            future.result()

    def submit(self, checks: Sequence[Check]) -> list[Future[list[bool]]]:
        """Start verifying; one future per chunk, in order."""
        pool = self._executor()
        return [
            pool.submit(verify_chunk, checks[i : i + CHUNK]) for i in range(0, len(checks), CHUNK)
        ]

    def verify(self, checks: Sequence[Check]) -> list[bool]:
        if len(checks) < INLINE_BELOW or self.workers < 2:
            return verify_chunk(checks)
        return [ok for future in self.submit(checks) for ok in future.result()]

    def close(self) -> None:
        """Stop the pool: queued chunks are dropped, the workers waited for."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


# --- stateful shards ---------------------------------------------------------------------

C = TypeVar("C")  # what a shard is started with
M = TypeVar("M")  # a message to a shard
R = TypeVar("R")  # its reply
M_contra = TypeVar("M_contra", contravariant=True)
R_co = TypeVar("R_co", covariant=True)


class ShardWorker(Protocol[M_contra, R_co]):
    """What runs inside a shard's process: one reply per message, in order."""

    def handle(self, message: M_contra) -> R_co: ...

    def close(self) -> None: ...


class ShardError(RuntimeError):
    """A shard's worker raised, or its process ended, before answering."""


#: how long a worker may take to stop after being asked, before it is terminated
STOP_TIMEOUT = 10.0


class Shards(Generic[C, M, R]):
    """One process per config, each running ``start(config)`` and answering its messages.

    ``start`` must be importable by name (a module-level function or class), and configs,
    messages and replies picklable. ``preload`` names modules the fork server imports once,
    so each worker starts without importing them again (only if this process has not started
    its fork server yet).

    Use as a context manager; :meth:`submit` a round (one message per shard), then
    :meth:`drain`. Leaving the ``with`` block without draining (an error, an early answer)
    terminates the workers at once.
    """

    def __init__(
        self,
        start: Callable[[C], ShardWorker[M, R]],
        configs: Sequence[C],
        window: int = 4,
        preload: Sequence[str] = (),
    ) -> None:
        if not configs:
            raise ValueError("at least one shard")
        if window < 1:
            raise ValueError("window must be at least 1")
        self.window = window
        context = multiprocessing.get_context("forkserver")
        if preload:
            context.set_forkserver_preload(list(preload))
        self._conns: list[Connection[Any, Any]] = []
        self._procs: list[BaseProcess] = []
        self._in_flight = 0
        try:
            for number, config in enumerate(configs):
                parent, child = context.Pipe()
                proc = context.Process(
                    target=_serve,
                    args=(child, start, config),
                    name=f"shard-{number}",
                    daemon=True,  # never outlives this process
                )
                proc.start()
                child.close()
                self._conns.append(parent)
                self._procs.append(proc)
        except BaseException:
            self.close(wait=False)
            raise

    @property
    def count(self) -> int:
        return len(self._conns)

    @property
    def in_flight(self) -> int:
        """Rounds submitted and not yet answered by every shard."""
        return self._in_flight

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(wait=kind is None and self._in_flight == 0)

    def submit(self, messages: Sequence[M]) -> list[list[R]]:
        """Send the next round (``messages[i]`` to shard ``i``); return the rounds answered
        meanwhile (oldest first, each one reply per shard) — waiting for the oldest while
        ``window`` rounds are in flight."""
        if len(messages) != self.count:
            raise ValueError(f"one message per shard: {self.count}, not {len(messages)}")
        done: list[list[R]] = []
        while self._in_flight >= self.window:
            done.append(self._receive_round())
        for number, (conn, message) in enumerate(zip(self._conns, messages, strict=True)):
            try:
                conn.send(message)
            except (BrokenPipeError, ConnectionResetError, EOFError):
                raise self._died(number) from None
        self._in_flight += 1
        return done

    def drain(self) -> list[list[R]]:
        """Wait for every round in flight; their replies, oldest first."""
        done: list[list[R]] = []
        while self._in_flight:
            done.append(self._receive_round())
        return done

    def _receive_round(self) -> list[R]:
        replies: list[R] = []
        for number, conn in enumerate(self._conns):
            try:
                status, value = conn.recv()
            except (EOFError, ConnectionResetError):
                raise self._died(number) from None
            if status != "ok":
                raise ShardError(f"shard {number} failed:\n{value}")
            replies.append(value)
        self._in_flight -= 1
        return replies

    def _died(self, number: int) -> ShardError:
        """The error of a shard whose pipe closed: its last words, if it sent any."""
        conn, proc = self._conns[number], self._procs[number]
        with contextlib.suppress(OSError, EOFError):
            if conn.poll():
                status, value = conn.recv()
                if status == "error":
                    return ShardError(f"shard {number} failed:\n{value}")
        proc.join(1.0)
        return ShardError(f"shard {number} ended unexpectedly (exit code {proc.exitcode})")

    def close(self, wait: bool = False) -> None:
        """Stop every worker: asked to finish (``wait``) or terminated; always reaped."""
        if wait:
            for conn in self._conns:
                with contextlib.suppress(OSError):
                    conn.send(None)
        for conn in self._conns:
            conn.close()
        for proc in self._procs:
            if wait:
                proc.join(STOP_TIMEOUT)
            if proc.is_alive():
                proc.terminate()
                proc.join()
            proc.close()
        self._conns, self._procs, self._in_flight = [], [], 0


def _serve(
    conn: Connection[Any, Any], start: Callable[[Any], ShardWorker[Any, Any]], config: Any
) -> None:
    """A shard's process: build the worker, answer messages in order until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops us
    exit_with_parent()  # and if the parent is killed, we go at once
    try:
        worker = start(config)
    except BaseException:
        conn.send(("error", traceback.format_exc()))
        return
    try:
        while True:
            try:
                message = conn.recv()
            except EOFError:  # the parent went away
                break
            if message is None:
                break
            try:
                reply = worker.handle(message)
            except Exception:
                conn.send(("error", traceback.format_exc()))
                break
            conn.send(("ok", reply))
    finally:
        worker.close()
        conn.close()
