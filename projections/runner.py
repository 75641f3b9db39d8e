"""The projection runner: follows the signed Merkle log into read models, exactly once.

Read models follow the *log* (not the raw event feed), up to the latest signed
checkpoint: every row they show is backed by an entry with an inclusion proof.
Each read model has its own tracking row; a batch of entries is applied to a
read model and its position advanced in one transaction, under a lock on the
tracking row, so a crash or a second runner can never apply an entry twice or
skip one. ``rebuild`` empties a read model and replays it from index 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Protocol

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from domain.aggregates import parse_payload
from domain.catalogue import Statement
from ledger.db import is_sqlite, writer
from ledger.entry import Entry, entry_hash
from ledger.log import MerkleLog
from projections.schema import tracking


@dataclass(frozen=True)
class LoggedEntry:
    """One log entry with what every projection needs already parsed."""

    index: int
    data: bytes

    @cached_property
    def entry(self) -> Entry:
        return Entry.from_bytes(self.data)

    @cached_property
    def hash(self) -> str:
        return entry_hash(self.data)

    @cached_property
    def statement(self) -> Statement:
        return parse_payload(self.entry.envelope["payload"])

    @property
    def recorded_at(self) -> datetime:
        return self.entry.recorded_at

    @property
    def late(self) -> bool:
        st = self.statement.statement_type
        return self.recorded_at - self.statement.occurred_at > st.late_after

    @property
    def signer_key_ids(self) -> list[str]:
        return [str(s.get("keyid", "")) for s in self.entry.envelope["signatures"]]


class Projection(Protocol):
    name: str

    def apply(self, conn: Connection, items: Sequence[LoggedEntry]) -> None: ...
    def reset(self, conn: Connection) -> None: ...


class ProjectionRunner:
    def __init__(
        self, engine: Engine, log: MerkleLog, projections: Sequence[Projection], batch: int = 2000
    ) -> None:
        self.engine, self.log, self.batch = engine, log, batch
        self._writer = writer(engine)
        self.projections = {p.name: p for p in projections}

    def catch_up(self) -> dict[str, int]:
        """Apply everything up to the latest checkpoint; returns entries applied per model."""
        self._ensure_tracking_rows()
        target = self.log.latest_checkpoint().size
        return {name: self._follow(p, target) for name, p in self.projections.items()}

    def rebuild(self, name: str | None = None) -> dict[str, int]:
        """Empty one read model (or all) and replay it from the start of the log."""
        names = [name] if name else list(self.projections)
        for n in names:
            if n not in self.projections:
                raise KeyError(f"no read model {n!r}; known: {', '.join(self.projections)}")
            with self._writer.begin() as conn:
                self.projections[n].reset(conn)
                conn.execute(delete(tracking).where(tracking.c.name == n))
        return self.catch_up()

    def positions(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(tracking.c.name, tracking.c.position)).all()
        known = {r.name: int(r.position) for r in rows}
        return {name: known.get(name, 0) for name in self.projections}

    def _follow(self, projection: Projection, target: int) -> int:
        applied = 0
        while True:
            with self._writer.begin() as conn:
                position = self._lock(conn, projection.name)
                if position >= target:
                    return applied
                end = min(target, position + self.batch)
                items = [
                    LoggedEntry(position + i, data)
                    for i, data in enumerate(self.log.entries(position, end))
                ]
                projection.apply(conn, items)
                conn.execute(
                    update(tracking).where(tracking.c.name == projection.name).values(position=end)
                )
                applied += len(items)

    def _ensure_tracking_rows(self) -> None:
        for name in self.projections:
            try:
                with self._writer.begin() as conn:
                    found = conn.execute(
                        select(tracking.c.name).where(tracking.c.name == name)
                    ).first()
                    if found is None:
                        conn.execute(insert(tracking).values(name=name, position=0))
            except IntegrityError:  # another runner made it first
                continue

    def _lock(self, conn: Connection, name: str) -> int:
        query = select(tracking.c.position).where(tracking.c.name == name)
        if not is_sqlite(self.engine):
            query = query.with_for_update()
        return int(conn.execute(query).scalar_one())
