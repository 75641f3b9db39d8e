"""The ledger's queries on the event store's table on PostgreSQL (see
:mod:`domain.application.recorders`; a module of its own so that only a process on PostgreSQL
loads psycopg)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Composed, Identifier


class PostgresLedgerRecorder(PostgresApplicationRecorder):
    """The library's PostgreSQL recorder, whose table has a ``notification_id`` column."""

    def chain_positions(self, chain_id: UUID, version: int | None = None) -> dict[int, int]:
        sql = "SELECT notification_id AS id, originator_version AS version FROM {table}"
        sql += " WHERE originator_id = %s"
        params: tuple[Any, ...] = (chain_id,)
        if version is not None:
            sql, params = f"{sql} AND originator_version = %s", (*params, version)
        return {int(row["version"]): int(row["id"]) for row in self._fetch(sql, params)}

    def notification_ids(self, after: int, limit: int, topics: Sequence[str]) -> list[int]:
        sql = (
            "SELECT notification_id AS id FROM {table} WHERE notification_id > %s"
            f" AND topic IN ({', '.join(['%s'] * len(topics))})"
            " ORDER BY notification_id LIMIT %s"
        )
        return [int(row["id"]) for row in self._fetch(sql, (after, *topics, limit))]

    @functools.cached_property
    def table(self) -> Composed:
        """This recorder's table in its schema, quoted as the library creates it."""
        return SQL("{schema}.{table}").format(
            schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name)
        )

    def _fetch(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        """Rows of ``sql``, whose ``{table}`` is this recorder's table."""
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(SQL(sql).format(table=self.table), params)
            return list(cursor.fetchall())
