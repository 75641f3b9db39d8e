"""Engines for the ledger's own tables (SQLAlchemy Core) on SQLite or PostgreSQL.

SQLite runs in WAL mode with ``synchronous=FULL`` so that a committed append
survives power loss, and writers open their transaction with ``BEGIN
IMMEDIATE`` (the write lock is taken up front, so two writers never both read
the same tree size). PostgreSQL serializes writers on the ``log_state`` row.
"""

from __future__ import annotations

import contextlib
import fcntl
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url


def normalize_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalize_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 60}, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def writer(engine: Engine) -> Engine:
    """The same engine, opening write transactions that take the lock up front."""
    return engine.execution_options(immediate=True)


def database_mutex(engine: Engine, key: int) -> Callable[[], AbstractContextManager[object]]:
    """A lock shared by every process using this database (for single-writer sections).

    PostgreSQL: a session advisory lock. SQLite: ``flock`` on a file beside the database
    (an SQLite transaction cannot be used: the section itself writes through other
    connections).
    """
    if is_sqlite(engine):
        if engine.url.database in (None, "", ":memory:"):
            return contextlib.nullcontext  # one process by construction
        path = f"{engine.url.database}.lock-{key}"

        @contextmanager
        def file_lock() -> Iterator[object]:
            with open(path, "a+b") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                try:
                    yield fh
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)

        return file_lock

    @contextmanager
    def advisory_lock() -> Iterator[object]:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({int(key)})")
            try:
                yield conn
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({int(key)})")
                conn.commit()

    return advisory_lock


def lock_name(conn: Connection, space: int, name: str) -> None:
    """Hold, until ``conn``'s transaction ends, the lock of ``name`` in the lock ``space`` (a
    PostgreSQL advisory lock on ``space`` and a CRC-32 of the name, in the two-key form, apart
    from :func:`database_mutex`'s one-key locks); nothing on SQLite, whose writers' transactions
    (``BEGIN IMMEDIATE``) already go one at a time."""
    if conn.dialect.name == "sqlite":
        return
    value = zlib.crc32(name.encode())
    key = value - 2**32 if value >= 2**31 else value  # PostgreSQL's integer is signed
    conn.execute(
        text("SELECT pg_advisory_xact_lock(CAST(:space AS integer), CAST(:key AS integer))"),
        {"space": space, "key": key},
    )
