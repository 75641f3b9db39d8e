"""Where an :class:`~domain.application.elevator_ledger.ElevatorLedger` is built: on the
ledger's database, or on a store of its own to re-judge a log.

Every holder of the application builds it here (the server and the CLI through
:mod:`api.bootstrap`, the projection child, the re-verification, the benchmarks, the tests),
so they agree on the event store's settings: the same database URL always means the same
tables, the same cache and the same table creation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from urllib.parse import parse_qs, unquote, urlsplit

from domain.application.elevator_ledger import ElevatorLedger
from domain.model.trust import TrustAnchor
from ledger.parallel import ParallelVerifier

#: Aggregates an application on the database keeps cached (every elevator a server writes to
#: in a busy hour, and the organizations).
CACHE_SIZE = 20000


class UnsupportedDatabase(ValueError):
    """A database URL the event store has no recorder for (SQLite and PostgreSQL only)."""


def eventsourcing_env(database_url: str) -> dict[str, str]:
    """The eventsourcing library's settings for the same database as the ledger tables."""
    parts = urlsplit(database_url)
    env = {"AGGREGATE_CACHE_MAXSIZE": str(CACHE_SIZE), "CREATE_TABLE": "y"}
    if parts.scheme == "sqlite":
        return {
            **env,
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": unquote(parts.path[1:]),
            "SQLITE_LOCK_TIMEOUT": "60",
        }
    if parts.scheme.startswith("postgres"):
        schema = "public"
        for option in parse_qs(parts.query).get("options", []):
            if option.startswith("-csearch_path="):
                schema = option.split("=", 1)[1]
        return {
            **env,
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": parts.path.lstrip("/"),
            "POSTGRES_HOST": parts.hostname or "",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": parts.username or "",
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_SCHEMA": schema,
            "POSTGRES_POOL_SIZE": "10",
            "POSTGRES_MAX_OVERFLOW": "20",
        }
    raise UnsupportedDatabase(f"unsupported database URL {database_url!r}")


def stored_ledger(
    anchor: TrustAnchor,
    database_url: str,
    *,
    create_tables: bool = True,
    cache: bool = True,
    verifier: ParallelVerifier | None = None,
    writer_lock: Callable[[], AbstractContextManager[object]] | None = None,
) -> ElevatorLedger:
    """The application on the ledger's database.

    ``create_tables=False`` for a process that only reads (the tables are the writers' to
    make); ``cache=False`` to read every aggregate from the store (what a cold read costs).
    A process that writes passes its ``verifier`` (signature checks on every core) and its
    ``writer_lock`` (shared with the other processes writing to this database).
    """
    env = eventsourcing_env(database_url)
    if not create_tables:
        env["CREATE_TABLE"] = "n"
    if not cache:
        env["AGGREGATE_CACHE_MAXSIZE"] = ""
    return ElevatorLedger(anchor, env=env, verifier=verifier, writer_lock=writer_lock)


def replay_ledger(
    anchor: TrustAnchor, env: Mapping[str, str], verifier: ParallelVerifier | None = None
) -> ElevatorLedger:
    """A fresh application that re-judges a public log, on the event store ``env`` describes
    (in memory, or a file of its own). The log holds personal fields only as salted digests,
    so it judges statements without their disclosures."""
    return ElevatorLedger(anchor, env=dict(env), verifier=verifier, require_disclosures=False)
