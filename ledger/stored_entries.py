"""Log entries as stored, with what lets a reader trust each one: its leaf hash and the feed
position it came from.

Whatever the read side shows comes from these rows. Each is checked against the leaf hash
stored beside it (:attr:`StoredEntry.intact`) before it is used, so bytes changed in place are
a fault named by index, never a value shown. (A change to both the bytes and the leaf hash is
left to the Merkle root, which ``verify`` checks against the signed checkpoint.)
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine, select

from ledger import merkle
from ledger.schema import log_entries

#: Positions per query (SQLite allows 32,766 bound parameters; PostgreSQL 65,535).
_CHUNK = 5000


@dataclass(frozen=True)
class StoredEntry:
    """One row of ``log_entries``."""

    index: int
    data: bytes
    leaf_hash: bytes
    source_position: int | None

    @cached_property
    def intact(self) -> bool:
        """Whether the bytes still hash to the leaf stored with them."""
        return merkle.leaf_hash(self.data) == self.leaf_hash


_COLUMNS = (
    log_entries.c.idx,
    log_entries.c.data,
    log_entries.c.leaf_hash,
    log_entries.c.source_position,
)


def _entry(row: Sequence[object]) -> StoredEntry:
    idx, data, leaf, position = row
    return StoredEntry(
        int(idx),  # type: ignore[call-overload]
        bytes(data),  # type: ignore[call-overload]
        bytes(leaf),  # type: ignore[call-overload]
        None if position is None else int(position),  # type: ignore[call-overload]
    )


def at_positions(engine: Engine, positions: Collection[int]) -> dict[int, StoredEntry]:
    """The entries integrated from these feed positions, by position (absent ones left out):
    one indexed query per few thousand positions."""
    wanted = sorted(set(positions))
    found: dict[int, StoredEntry] = {}
    with engine.connect() as conn:
        for i in range(0, len(wanted), _CHUNK):
            chunk = wanted[i : i + _CHUNK]
            rows = conn.execute(
                select(*_COLUMNS).where(log_entries.c.source_position.in_(chunk))
            ).all()
            for row in rows:
                entry = _entry(tuple(row))
                assert entry.source_position is not None
                found[entry.source_position] = entry
    return found


def stored_range(engine: Engine, start: int, end: int) -> list[StoredEntry]:
    """Entries ``[start, end)`` in index order, as stored."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(*_COLUMNS)
            .where(log_entries.c.idx >= start, log_entries.c.idx < end)
            .order_by(log_entries.c.idx)
        ).all()
    return [_entry(tuple(row)) for row in rows]


def stored_at(engine: Engine, index: int) -> StoredEntry | None:
    """Entry ``index`` as stored, or None."""
    with engine.connect() as conn:
        row = conn.execute(select(*_COLUMNS).where(log_entries.c.idx == index)).first()
    return None if row is None else _entry(tuple(row))
