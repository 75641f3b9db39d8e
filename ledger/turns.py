"""Turns at SQLite's write lock between writers and followers, writers first.

SQLite has one write lock, and a connection that finds it taken polls for it, sleeping up to
100 ms between tries (its busy handler). When a follower of the log (a projection runner, in
a process of its own) and the writer meet there, every request waiting on the writer stalls
for the poll: ~100 ms in bursts, sometimes ~580 ms. Taking turns at a lock that wakes its
waiters (``flock``) instead, a writer waits only for the follower's transaction under way and
goes on the moment it ends; the followers keep their transactions short.

Two files beside the database, named as :func:`ledger.db.database_mutex` names its locks:

- the *turn* (``<database>.lock-<key>``), held exclusively around each write transaction (a
  writer's: judging a batch and integrating it into the log; a follower's: one transaction);
- the *queue* (``<database>.lock-<key>-queue``), held shared by every writer while it waits
  for the turn. A follower takes it exclusively, and drops it at once, before asking for the
  turn: so it never overtakes a waiting writer. (``flock`` hands a released lock to whichever
  waiter runs first: without the queue, a follower asking again right after its transaction
  could keep a woken writer waiting through a whole catch-up.)

Writers take turns among themselves too (one turn). Both files are ``flock``s on descriptors
opened per use, so they exclude threads of one process as well as processes. PostgreSQL queues
lock waiters itself, and an in-memory SQLite database has one process: no turns there.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from ledger.db import is_sqlite


class Turns:
    """Turns for writers (:meth:`writer`) and followers (:meth:`runner`) of one database;
    with ``path=None``, none at all (both are no-ops)."""

    def __init__(self, path: str | None) -> None:
        self.path = path

    @classmethod
    def of(cls, engine: Engine, key: int) -> Turns:
        """The turns of ``engine``'s database: files beside an SQLite file, none elsewhere."""
        database = engine.url.database
        if not is_sqlite(engine) or database in (None, "", ":memory:"):
            return cls(None)
        return cls(f"{database}.lock-{key}")

    @property
    def queue_path(self) -> str | None:
        return None if self.path is None else f"{self.path}-queue"

    @contextmanager
    def writer(self) -> Iterator[None]:
        """The turn, for a writer: queued ahead of every follower not yet holding it."""
        if self.path is None:
            yield
            return
        with open(f"{self.path}-queue", "a+b") as queue, open(self.path, "a+b") as turn:
            fcntl.flock(queue, fcntl.LOCK_SH)  # "a writer is waiting": followers hold back
            try:
                fcntl.flock(turn, fcntl.LOCK_EX)
            finally:
                fcntl.flock(queue, fcntl.LOCK_UN)
            try:
                yield
            finally:
                fcntl.flock(turn, fcntl.LOCK_UN)

    @contextmanager
    def runner(self) -> Iterator[None]:
        """The turn, for a follower: after every writer already waiting for it."""
        if self.path is None:
            yield
            return
        with open(f"{self.path}-queue", "a+b") as queue:
            fcntl.flock(queue, fcntl.LOCK_EX)  # returns once no writer is waiting
            fcntl.flock(queue, fcntl.LOCK_UN)
        with open(self.path, "a+b") as turn:
            fcntl.flock(turn, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(turn, fcntl.LOCK_UN)
