"""The enterprise desk's log of rejected submissions: a bounded record per issuer, kept beside
the ledger and never in it.

The ledger stores nothing of a refused statement (domain/model/errors.py); an enterprise still
needs to know what was refused and why. So the write routes (``POST /v1/statements`` and
``/batch``) and ``elevator-ledger submit`` (when it submits to this ledger directly) hand their
refusals to :meth:`RejectionLog.record`, which files each one that carries an
:class:`~domain.model.errors.Attribution` under each organization whose unrevoked key signed it.
A refusal gets an attribution only once every signature on it has verified
(domain/application/statement_judge.py), so a malformed envelope, a signature that does not
verify or an unknown key is filed under nobody: no one can fill another organization's log.
Refusals of the whole batch (writers colliding, writes stopped: 5xx) are the server's, not the
statement's, and are not filed.

Bounded: at most :data:`KEEP` rows per issuer, and none older than :data:`KEEP_FOR`; the rows
beyond are deleted in the same transaction as the insert (on PostgreSQL under a per-issuer
advisory lock, so concurrent refusals cannot leave more). Recording is best effort: a failure
is logged and swallowed, and a refusal stays the 4xx it is. Only refusals pay for it; an
accepted statement never reaches this module.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    Row,
    String,
    Table,
    delete,
    func,
    select,
)

from api.auth import metadata
from api.node import LedgerNode
from domain.model.errors import Rejected
from ledger.db import lock_name, writer
from ledger.instant import Instant

#: Rows kept per issuer: the newest; older ones are deleted as new ones come.
KEEP = 1000
#: Rows older than this are deleted with the next refusal filed under the same issuer.
KEEP_FOR = timedelta(days=180)
#: The longest detail kept (a problem's detail is short; a hostile payload's could be long).
MAX_DETAIL = 2000
#: PostgreSQL advisory lock class of the per-issuer bound (two-key form: this, crc32 of the
#: USCC; the one-key locks of ledger/locks.py live in another key space).
LOCK_CLASS = 727_105

_log = logging.getLogger("elevator_ledger.rejections")

rejections = Table(
    "api_rejections",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("at", Instant, nullable=False),
    Column("issuer", String(18), nullable=False),
    Column("key_id", String(128), nullable=False),
    Column("statement_type", String(128), nullable=True),
    Column("subject", String(160), nullable=True),
    Column("nonce", String(128), nullable=True),
    Column("status", Integer, nullable=False),
    Column("problem_type", String(64), nullable=False),
    Column("rule", String(64), nullable=True),
    Column("detail", String(MAX_DETAIL), nullable=False),
    Index("api_rejections_issuer_id", "issuer", "id"),
)


@dataclass(frozen=True)
class RejectionRecord:
    """One refused submission as filed under one issuer."""

    id: int
    at: datetime
    issuer: str
    key_id: str
    statement_type: str | None
    subject: str | None
    nonce: str | None
    status: int
    problem_type: str
    rule: str | None
    detail: str

    @classmethod
    def of(cls, row: Row[Any]) -> RejectionRecord:
        return cls(
            int(row.id),
            row.at,
            row.issuer,
            row.key_id,
            row.statement_type,
            row.subject,
            row.nonce,
            int(row.status),
            row.problem_type,
            row.rule,
            row.detail,
        )


def detail_of(exc: Rejected) -> str:
    """The problem's detail, with how many more field errors an invalid statement had."""
    detail = exc.detail
    errors = exc.extra.get("errors")
    if isinstance(errors, list) and len(errors) > 1:
        detail = f"{detail}（另有 {len(errors) - 1} 处错误）"
    return detail[:MAX_DETAIL]


def rows_of(refusals: Iterable[Rejected | object], at: datetime) -> list[dict[str, Any]]:
    """The rows to file: one per attributed refusal and signing organization (a co-signed
    statement is filed under each signer). 5xx refusals and unattributed ones give none."""
    rows: list[dict[str, Any]] = []
    for exc in refusals:
        if not isinstance(exc, Rejected) or exc.attribution is None or exc.status >= 500:
            continue
        who = exc.attribution
        rule = exc.extra.get("rule")
        for owner in who.owners:
            key_id = next(k for o, k in who.signers if o == owner)
            rows.append(
                {
                    "at": at,
                    "issuer": owner,
                    "key_id": key_id[:128],
                    "statement_type": who.type,
                    "subject": who.subject[:160] if who.subject else None,
                    "nonce": who.nonce,
                    "status": exc.status,
                    "problem_type": exc.slug[:64],
                    "rule": str(rule)[:64] if rule is not None else None,
                    "detail": detail_of(exc),
                }
            )
    return rows


class RejectionLog:
    """File refusals under their signers and read them back, newest first.

    ``turn``: on SQLite the service's turn (``LedgerService.turn``), so that the insert queues
    with the writers instead of polling for SQLite's lock."""

    def __init__(
        self,
        engine: Engine,
        keep: int = KEEP,
        keep_for: timedelta = KEEP_FOR,
        turn: Callable[[], AbstractContextManager[object]] = nullcontext,
    ) -> None:
        self.engine, self.keep, self.keep_for, self.turn = engine, keep, keep_for, turn

    def record(self, refusals: Sequence[Rejected | object], now: datetime | None = None) -> int:
        """File the attributed refusals among ``refusals`` (anything else is passed over);
        how many rows were written. Never raises: a failure is logged (the refusal itself
        must still be answered as it is)."""
        at = (now or datetime.now(UTC)).astimezone(UTC)
        rows = rows_of(refusals, at)
        if not rows:
            return 0
        try:
            with self.turn(), writer(self.engine).begin() as conn:
                self._file(conn, rows, at)
        except Exception:  # best effort: the answer is the refusal, not this
            _log.exception("could not file %d rejected submission(s)", len(rows))
            return 0
        return len(rows)

    def _file(self, conn: Connection, rows: list[dict[str, Any]], at: datetime) -> None:
        issuers = sorted({r["issuer"] for r in rows})
        for issuer in issuers:  # in one order: two batches never wait for each other
            lock_name(conn, LOCK_CLASS, issuer)
        for issuer in issuers:
            mine = [r for r in rows if r["issuer"] == issuer][-self.keep :]
            conn.execute(rejections.insert(), mine)
            self._trim(conn, issuer, at)

    def _trim(self, conn: Connection, issuer: str, at: datetime) -> None:
        """Delete the issuer's rows beyond the newest ``keep`` and those older than
        ``keep_for`` (both by the index on issuer and id)."""
        r = rejections.c
        oldest_kept = (
            select(r.id)
            .where(r.issuer == issuer)
            .order_by(r.id.desc())
            .offset(self.keep - 1)
            .limit(1)
            .scalar_subquery()
        )
        conn.execute(delete(rejections).where(r.issuer == issuer, r.id < oldest_kept))
        conn.execute(delete(rejections).where(r.issuer == issuer, r.at < at - self.keep_for))

    def count(self, issuer: str) -> int:
        with self.engine.connect() as conn:
            found = conn.execute(
                select(func.count()).select_from(rejections).where(rejections.c.issuer == issuer)
            ).scalar_one()
        return int(found)

    def page(self, issuer: str, offset: int = 0, limit: int = 50) -> list[RejectionRecord]:
        """The issuer's refusals, newest first."""
        query = (
            select(rejections)
            .where(rejections.c.issuer == issuer)
            .order_by(rejections.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [RejectionRecord.of(row) for row in conn.execute(query)]


def of_node(node: LedgerNode) -> RejectionLog:
    """The log on ``node``'s database, queueing with its writers on SQLite."""
    return RejectionLog(node.engine, turn=node.service.turn)


def attributed(results: Iterable[object]) -> list[Rejected]:
    """The refusals among ``results`` that will be filed under someone."""
    return [r for r in results if isinstance(r, Rejected) and r.attribution is not None]
