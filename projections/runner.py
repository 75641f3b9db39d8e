"""The projection runner: follows the signed Merkle log into read models, exactly once.

Read models follow the *log* (not the raw event feed), up to the latest signed
checkpoint: every row they show is backed by an entry with an inclusion proof.
Each read model has its own tracking row; a batch of entries is applied to a
read model and its position advanced in one transaction, under a lock on the
tracking row, so a crash or a second runner can never apply an entry twice or
skip one. ``rebuild`` empties a read model and replays it from index 0.

Taking turns with the writers (SQLite): every write transaction of the runner runs inside
``turn()`` (the follower's side of :class:`ledger.turns.Turns`; the write path,
:class:`domain.application.service.LedgerService`, takes the writer's side), so the two never meet
at
SQLite's write lock, where a waiting connection polls with sleeps of up to 100 ms (SQLite's
busy handler) and requests stall in bursts. Transactions are short (``batch`` entries each: 50
beside a server) and hold only the models' own work (the entries are read and parsed before):
a writer waits at most for one of them, ~20 ms at worst under load. On PostgreSQL there is no
polling (row locks queue) and ``turn`` stays a no-op.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Protocol

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from domain.model.catalogue import Statement
from domain.model.submission import parse_payload
from ledger.db import is_sqlite, writer
from ledger.entry import Entry, entry_hash
from ledger.log import LogReader
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
        """The keys that signed, each once, in the envelope's order. Every one verified: the
        write path refuses an envelope with any signature that does not verify under the
        registered key its keyid names (or names a key twice), and ``verify`` and the replay
        name a logged entry that has one; so the keyids are exactly the verified signers."""
        return list(
            dict.fromkeys(str(s.get("keyid", "")) for s in self.entry.envelope["signatures"])
        )


class Projection(Protocol):
    name: str

    def apply(self, conn: Connection, items: Sequence[LoggedEntry]) -> None: ...
    def reset(self, conn: Connection) -> None: ...


#: A lock around each write transaction, shared with the write path (see the module notes).
Turn = Callable[[], AbstractContextManager[object]]


class ProjectionRunner:
    """Follows ``log`` (read only: the runner never needs the log's key) into ``projections``.

    ``batch``: entries per write transaction. ``turn``: held around each of them, so that on
    SQLite the runner and the writers take turns at the database's write lock instead of
    polling for it; with small batches a writer waits at most one short transaction.
    """

    def __init__(
        self,
        engine: Engine,
        log: LogReader,
        projections: Sequence[Projection],
        batch: int = 2000,
        turn: Turn = contextlib.nullcontext,
    ) -> None:
        if batch < 1:
            raise ValueError("batch must be at least 1")
        self.engine, self.log, self.batch, self.turn = engine, log, batch, turn
        self._writer = writer(engine)
        self.projections = {p.name: p for p in projections}

    def catch_up(self, stop: Callable[[], bool] | None = None) -> dict[str, int]:
        """Apply everything up to the latest checkpoint; returns entries applied per model.

        The models advance in rounds, one transaction of at most ``batch`` entries each per
        round, so that models at the same position share each stretch of the log: read and
        parsed once, before the turn is taken (only the models' own work is done holding it).
        ``stop`` is asked between transactions: once it answers true the runner returns with
        what it applied so far (the rest waits for the next catch-up).
        """
        tracked = self._tracked()  # unlocked: a model seen caught up takes no turn at all
        missing = [name for name in self.projections if name not in tracked]
        if missing:
            self._ensure_tracking_rows(missing)
        target = self.log.latest_checkpoint().size
        applied = dict.fromkeys(self.projections, 0)
        behind = {n: tracked.get(n, 0) for n in self.projections if tracked.get(n, 0) < target}
        stretches: dict[int, list[LoggedEntry]] = {}  # by first index: what a model needs next
        while behind:
            for name, position in list(behind.items()):
                if stop is not None and stop():
                    return applied
                if position not in stretches:
                    stretches[position] = self._read(position, min(target, position + self.batch))
                end, count = self._apply(self.projections[name], position, target, stretches)
                applied[name] += count
                if end >= target:
                    del behind[name]
                else:
                    behind[name] = end
            for first in [k for k in stretches if k not in behind.values()]:
                del stretches[first]  # no model needs it any more
        return applied

    def _apply(
        self,
        projection: Projection,
        expected: int,
        target: int,
        stretches: dict[int, list[LoggedEntry]],
    ) -> tuple[int, int]:
        """One transaction of ``projection``, holding the turn: from its tracked position (read
        locked: it decides, whatever was expected) to at most ``batch`` entries further.
        Returns the position it reached and how many entries it applied."""
        with self.turn(), self._writer.begin() as conn:
            position = self._lock(conn, projection.name)
            if position >= target:
                return position, 0
            end = min(target, position + self.batch)
            # read already, unless another runner moved the model meanwhile
            items = stretches[expected] if position == expected else self._read(position, end)
            projection.apply(conn, items)
            conn.execute(
                update(tracking).where(tracking.c.name == projection.name).values(position=end)
            )
            return end, len(items)

    def _read(self, start: int, end: int) -> list[LoggedEntry]:
        """Entries ``[start, end)`` of the log, parsed (outside any transaction of the runner)."""
        items = [
            LoggedEntry(start + i, data) for i, data in enumerate(self.log.entries(start, end))
        ]
        for item in items:
            _ = item.hash, item.statement  # parses the entry too
        return items

    def rebuild(self, name: str | None = None) -> dict[str, int]:
        """Empty one read model (or all) and replay it from the start of the log."""
        names = [name] if name else list(self.projections)
        for n in names:
            if n not in self.projections:
                raise KeyError(f"no read model {n!r}; known: {', '.join(self.projections)}")
            with self.turn(), self._writer.begin() as conn:
                self.projections[n].reset(conn)
                conn.execute(delete(tracking).where(tracking.c.name == n))
        return self.catch_up()

    def positions(self) -> dict[str, int]:
        known = self._tracked()
        return {name: known.get(name, 0) for name in self.projections}

    def _tracked(self) -> dict[str, int]:
        """Every tracking row's position, read without a lock: positions only grow (but for a
        rebuild, which catches up itself), so a stale one is lower, and the locked read in
        :meth:`_apply` decides."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(tracking.c.name, tracking.c.position)).all()
        return {r.name: int(r.position) for r in rows}

    def _ensure_tracking_rows(self, names: Sequence[str]) -> None:
        for name in names:
            try:
                with self.turn(), self._writer.begin() as conn:
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
