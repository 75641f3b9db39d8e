"""The keys of the locks every process on one database shares, named in one place.

A key is a PostgreSQL advisory lock (one number space per database) or, on SQLite, a file
beside the database (``<database>.lock-<key>``). Two uses given the same number would wait
for each other, or deadlock a thread that holds one and takes the other: listing them all
here keeps them apart.

They live in ``ledger/``, which imports nothing of ours, because this package takes one of
them itself (:data:`LockKey.MIGRATIONS`) and holds the primitives that take the others
(:func:`ledger.db.database_mutex`, :class:`ledger.turns.Turns`); the layers above pass their
keys to those primitives from here.
"""

from __future__ import annotations

from enum import IntEnum, unique


@unique
class LockKey(IntEnum):
    """Each number once (``unique``): a key given twice fails at import, not in production."""

    #: Alembic migrations of every package's tables (:func:`ledger.migrate.upgrade`):
    #: processes starting together would otherwise run them twice (PostgreSQL).
    MIGRATIONS = 727001
    #: The event store's ``CREATE TABLE IF NOT EXISTS``: processes starting together would
    #: otherwise race in PostgreSQL's catalog.
    TABLES = 727002
    #: The writers' lock: a batch is judged and saved under it, so no writer judges against
    #: a state another process is about to change (``ElevatorLedger.writer_lock``).
    WRITERS = 727003
    #: The SQLite turn writers and projection runners take around their write transactions
    #: (:class:`ledger.turns.Turns`). Not :attr:`WRITERS`: ``ElevatorLedger.accept_batch``
    #: takes that one inside the turn, and one flock file taken twice in a thread deadlocks.
    TURN = 727004
