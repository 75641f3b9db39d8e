"""The record of who read personal data: one row per read, written before the values are served.

Personal values (technicians' names, a complainant's contact…) leave the ledger only through
``GET /v1/regulator/entries/{index}``. Each time they do, the token that asked, its holder and
organization, the instant and the log index are written to ``api_personal_reads`` in a
transaction of their own, committed *before* the response is built: if the row cannot be
written, the values are not served (503). The operator lists the record with
``elevator-ledger token reads``.

This is operator state beside the ledger, not in it: whoever controls the database can delete
rows (docs/security.md says what that means). Rows are only ever inserted here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    Row,
    String,
    Table,
    select,
)

from api.auth import Regulator, metadata
from ledger.db import writer

personal_reads = Table(
    "api_personal_reads",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("read_at", DateTime(timezone=True), nullable=False),
    Column("token_id", String(16), nullable=False),
    Column("organization", String(18), nullable=False),
    Column("name", String(200), nullable=False),
    Column("log_index", BigInteger, nullable=False),
    Index("api_personal_reads_log_index", "log_index"),
    Index("api_personal_reads_token", "token_id"),
)


def _utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored one is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class PersonalRead:
    """One read of one entry's personal values."""

    id: int
    read_at: datetime
    token_id: str
    organization: str
    name: str
    log_index: int

    @classmethod
    def of(cls, row: Row[Any]) -> PersonalRead:
        return cls(
            int(row.id),
            _utc(row.read_at),
            row.token_id,
            row.organization,
            row.name,
            int(row.log_index),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "read_at": self.read_at.isoformat(),
            "token_id": self.token_id,
            "organization": self.organization,
            "name": self.name,
            "log_index": self.log_index,
        }


class PersonalReads:
    """Append to and list ``api_personal_reads`` (migrated with the tokens' table:
    ``TokenStore.open``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, reader: Regulator, log_index: int, now: datetime | None = None) -> None:
        """Commit the record of one read; raises (SQLAlchemyError) if it cannot be written."""
        at = (now or datetime.now(UTC)).astimezone(UTC)
        with writer(self.engine).begin() as conn:
            conn.execute(
                personal_reads.insert().values(
                    read_at=at,
                    token_id=reader.token_id,
                    organization=reader.organization,
                    name=reader.name,
                    log_index=log_index,
                )
            )

    def list(self, token_id: str | None = None, log_index: int | None = None) -> list[PersonalRead]:
        """Every recorded read, oldest first, optionally of one token or one entry."""
        query = select(personal_reads).order_by(personal_reads.c.id)
        if token_id is not None:
            query = query.where(personal_reads.c.token_id == token_id)
        if log_index is not None:
            query = query.where(personal_reads.c.log_index == log_index)
        with self.engine.connect() as conn:
            return [PersonalRead.of(row) for row in conn.execute(query)]
