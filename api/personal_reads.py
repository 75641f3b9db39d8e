"""The record of who read personal data: one row per read, written before the values are served.

Personal values (technicians' names, a complainant's contact…) leave the ledger only through
``GET /v1/regulator/entries/{index}`` (a bearer token: ``kind`` ``token``) and the console's
reveal (``POST /console/entries/{index}/reveal``, a bureau's staff: ``kind`` ``console``, with the
account's id and login and the reason given). Each time they do, who asked (token id or staff
account, name, organization), the instant and the log index are written to
``api_personal_reads`` in a transaction of their own, committed *before* the response is built:
if the row cannot be written, the values are not served (503). The operator lists the whole
record with ``elevator-ledger token reads``; a bureau sees its own in the console
(``/console/reveals``).

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
    func,
    select,
)

from api.auth import Regulator, metadata
from ledger.db import writer

personal_reads = Table(
    "api_personal_reads",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("read_at", DateTime(timezone=True), nullable=False),
    Column("token_id", String(16), nullable=True),  # a token read's; None for the console's
    Column("organization", String(18), nullable=False),
    Column("name", String(200), nullable=False),
    Column("log_index", BigInteger, nullable=False),
    Column("kind", String(8), nullable=False, server_default="token"),  # token | console
    Column("account_id", String(64), nullable=True),  # the console's staff account
    Column("login", String(200), nullable=True),
    Column("reason", String(500), nullable=True),  # why the staff member looked (required)
    Index("api_personal_reads_log_index", "log_index"),
    Index("api_personal_reads_token", "token_id"),
    Index("api_personal_reads_organization", "organization", "id"),
)
TOKEN, CONSOLE = "token", "console"
MAX_REASON = 500


def _utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored one is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class PersonalRead:
    """One read of one entry's personal values."""

    id: int
    read_at: datetime
    token_id: str | None
    organization: str
    name: str
    log_index: int
    kind: str = TOKEN
    account_id: str | None = None
    login: str | None = None
    reason: str | None = None

    @classmethod
    def of(cls, row: Row[Any]) -> PersonalRead:
        return cls(
            int(row.id),
            _utc(row.read_at),
            row.token_id,
            row.organization,
            row.name,
            int(row.log_index),
            row.kind,
            row.account_id,
            row.login,
            row.reason,
        )

    @property
    def reader(self) -> str:
        """Who read, as one word: the staff login or the token id."""
        return (self.login if self.kind == CONSOLE else self.token_id) or ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "read_at": self.read_at.isoformat(),
            "kind": self.kind,
            "token_id": self.token_id,
            "account_id": self.account_id,
            "login": self.login,
            "organization": self.organization,
            "name": self.name,
            "log_index": self.log_index,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class StaffReader:
    """A console reveal's reader: the signed-in staff account (api.web.identity.StaffUser has
    these fields) and the reason given."""

    account_id: str
    login: str
    name: str
    organization: str


@dataclass(frozen=True)
class ReadFilter:
    """What the bureau's page narrows the record to: its organization, a person (name or
    login, a substring), instants ``since`` (inclusive) and ``until`` (exclusive)."""

    organization: str
    person: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class PersonalReads:
    """Append to and list ``api_personal_reads`` (migrated with the tokens' table:
    ``TokenStore.open``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, reader: Regulator, log_index: int, now: datetime | None = None) -> None:
        """Commit the record of one read; raises (SQLAlchemyError) if it cannot be written."""
        self._insert(
            now,
            kind=TOKEN,
            token_id=reader.token_id,
            organization=reader.organization,
            name=reader.name,
            log_index=log_index,
        )

    def record_reveal(
        self, reader: StaffReader, log_index: int, reason: str, now: datetime | None = None
    ) -> None:
        """Commit the record of one console reveal, with the reason given; raises
        (SQLAlchemyError) if it cannot be written, ValueError for an empty or long reason."""
        reason = reason.strip()
        if not reason or len(reason) > MAX_REASON:
            raise ValueError(f"a reveal needs a reason of 1 to {MAX_REASON} characters")
        self._insert(
            now,
            kind=CONSOLE,
            account_id=reader.account_id,
            login=reader.login,
            organization=reader.organization,
            name=reader.name,
            log_index=log_index,
            reason=reason,
        )

    def _insert(self, now: datetime | None, **values: Any) -> None:
        at = (now or datetime.now(UTC)).astimezone(UTC)
        with writer(self.engine).begin() as conn:
            conn.execute(personal_reads.insert().values(read_at=at, **values))

    def page(self, where: ReadFilter, offset: int, limit: int) -> tuple[int, list[PersonalRead]]:
        """One page of an organization's record, newest first, and how many rows match."""
        t = personal_reads.c
        conditions = [t.organization == where.organization]
        if where.person:
            like = f"%{where.person.replace('%', '').replace('_', '')}%"
            conditions.append(t.name.like(like) | t.login.like(like) | t.token_id.like(like))
        if where.since is not None:
            conditions.append(t.read_at >= where.since.astimezone(UTC))
        if where.until is not None:
            conditions.append(t.read_at < where.until.astimezone(UTC))
        query = select(personal_reads).where(*conditions)
        with self.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
            rows = conn.execute(query.order_by(t.id.desc()).offset(offset).limit(limit)).all()
        return int(total), [PersonalRead.of(row) for row in rows]

    def list(self, token_id: str | None = None, log_index: int | None = None) -> list[PersonalRead]:
        """Every recorded read, oldest first, optionally of one token or one entry."""
        query = select(personal_reads).order_by(personal_reads.c.id)
        if token_id is not None:
            query = query.where(personal_reads.c.token_id == token_id)
        if log_index is not None:
            query = query.where(personal_reads.c.log_index == log_index)
        with self.engine.connect() as conn:
            return [PersonalRead.of(row) for row in conn.execute(query)]
