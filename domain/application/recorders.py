"""The ledger's own queries on the event store's table, one recorder per backend.

The library's recorders answer "the events of one aggregate" and "the notifications after a
position". The ledger asks two more questions of the same table, each in one query: *where* in
the feed a chain's entries are (receipts of replays, the log's index of the event store: see
:mod:`domain.application.log_chains`), and which notification ids follow a position (the log
sequencer, when the entries themselves are already at hand). The SQL differs per backend (the
SQLite recorder keeps the notification id as the ``rowid`` and the originator id as hex text;
PostgreSQL has a ``notification_id`` column, a schema and ``%s`` parameters), so each backend
gets a subclass of the library's application recorder, chosen through the library's own
``APPLICATION_RECORDER_TOPIC`` setting (:func:`recorder_topic`), as in its
``examples/searchablecontent``; the PostgreSQL one is in
:mod:`domain.application.postgres_recorder`. The application types against
:class:`LedgerQueries`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteFactory
from eventsourcing.utils import get_topic


@runtime_checkable
class LedgerQueries(Protocol):
    """What the ledger asks of the event store beyond the library's recorder interface."""

    def chain_positions(self, chain_id: UUID, version: int | None = None) -> dict[int, int]:
        """Version → notification id of a chain's events (only ``version``'s, if given)."""
        ...

    def notification_ids(self, after: int, limit: int, topics: Sequence[str]) -> list[int]:
        """The first ``limit`` notification ids after ``after`` of events with these topics,
        in order (the ids only: no event is read)."""
        ...


class SQLiteLedgerRecorder(SQLiteApplicationRecorder):
    """The library's SQLite recorder, whose notification id is the table's ``rowid``."""

    def chain_positions(self, chain_id: UUID, version: int | None = None) -> dict[int, int]:
        sql = (
            f"SELECT rowid AS id, originator_version AS version FROM {self.events_table_name}"
            " WHERE originator_id = ?"
        )
        params: tuple[Any, ...] = (chain_id.hex,)
        if version is not None:
            sql, params = f"{sql} AND originator_version = ?", (*params, version)
        return {int(row["version"]): int(row["id"]) for row in self._fetch(sql, params)}

    def notification_ids(self, after: int, limit: int, topics: Sequence[str]) -> list[int]:
        sql = (
            f"SELECT rowid AS id FROM {self.events_table_name} WHERE rowid > ?"
            f" AND topic IN ({', '.join('?' * len(topics))}) ORDER BY rowid LIMIT ?"
        )
        return [int(row["id"]) for row in self._fetch(sql, (after, *topics, limit))]

    def _fetch(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())


#: The PostgreSQL recorder, named rather than imported: a process on SQLite or in memory (the
#: CLI's ``verify``, the audit shards) need not load psycopg; the library imports the module
#: when a PostgreSQL factory resolves the topic.
POSTGRES_RECORDER_TOPIC = "domain.application.postgres_recorder:PostgresLedgerRecorder"


def recorder_topic(factory: InfrastructureFactory[Any]) -> str | None:
    """The ``APPLICATION_RECORDER_TOPIC`` that gives ``factory`` the ledger's queries (None for
    a backend without SQL, such as the in-memory one the audit replays into)."""
    if isinstance(factory, SQLiteFactory):
        return get_topic(SQLiteLedgerRecorder)
    postgres = sys.modules.get("eventsourcing.postgres")  # loaded if the factory is one of it
    if postgres is not None and isinstance(factory, postgres.PostgresFactory):
        return POSTGRES_RECORDER_TOPIC
    return None
