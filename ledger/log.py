"""The persistent Merkle log: append entries, serve roots and proofs, sign checkpoints.

Storage: each entry row keeps its leaf hash; interior hashes of perfect
subtrees are kept only at even levels (2, 4, …): an odd-level node is one
hash over two stored children. That is about 1.33 rows per entry, and a root,
a proof or a new checkpoint still reads O(log n) rows in one query, never a
rescan.

Writers are serialized by the database (``BEGIN IMMEDIATE`` on SQLite, a row
lock on ``log_state`` on PostgreSQL). The right edge of the tree (one perfect
subtree per set bit of the size) is read inside the writer's own transaction,
never cached, so a rolled-back append or another process can never leave a
stale edge behind. Checkpoints are published with compare-and-swap on
``log_state.checkpoint_size``: no two processes can sign diverging or
shrinking trees. ``log_state.source_position`` records how far the feed the log
follows has been integrated, in the same transaction as the entries, so a
sequencer integrates every source item exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, bindparam, insert, select, update

from ledger import merkle
from ledger.db import is_sqlite, writer
from ledger.note import Checkpoint, NoteSigner
from ledger.schema import log_checkpoints, log_entries, log_nodes, log_state

Node = tuple[int, int, bytes]  # (level, index, hash)
T = TypeVar("T")

# Statements built once: constructing them per call costs more than running them.
_SIZE = select(log_state.c.size)
_LEAF_HASHES = select(log_entries.c.idx, log_entries.c.leaf_hash).where(
    log_entries.c.idx.in_(bindparam("ids", expanding=True))
)
_POSITION_AT = select(log_entries.c.source_position).where(log_entries.c.idx == bindparam("idx"))
_NODE_HASHES = select(log_nodes.c.id, log_nodes.c.hash).where(
    log_nodes.c.id.in_(bindparam("ids", expanding=True))
)


class LogError(ValueError):
    """A request to the log is out of range or inconsistent."""


def node_key(level: int, index: int) -> int:
    """Flat-tree (in-order) number of a perfect subtree: leaves even, parents between."""
    return (index << (level + 1)) | ((1 << level) - 1)


def is_stored_level(level: int) -> bool:
    return level % 2 == 0


@dataclass(frozen=True)
class SignedCheckpoint:
    size: int
    root: bytes
    note: str


@dataclass(frozen=True)
class AppendResult:
    first_index: int
    size: int
    leaf_hashes: tuple[bytes, ...]
    checkpoint: SignedCheckpoint | None


class LogWriter:
    """The log inside one locked write transaction (see :meth:`MerkleLog.writer`)."""

    def __init__(self, log: MerkleLog, conn: Connection) -> None:
        self.log, self.conn = log, conn
        row = conn.execute(log._state_query()).one()
        self.size = int(row.size)
        self.checkpoint_size = int(row.checkpoint_size)
        self.source_position = int(row.source_position)
        self._frontier: list[Node] | None = None

    def append(
        self, entries: Sequence[bytes], positions: Sequence[int] | None = None
    ) -> AppendResult:
        """Add entries at the end, optionally with the feed positions they come from
        (strictly increasing, beyond the log's current source position)."""
        if positions is not None:
            if len(positions) != len(entries):
                raise LogError("one source position per entry")
            floor = self.source_position
            for p in positions:
                if p <= floor:
                    raise LogError(f"source position {p} is not beyond {floor}")
                floor = p
        first = self.size
        frontier = self._frontier if self._frontier is not None else self._load_frontier()
        leaves: list[tuple[int, bytes, bytes, int | None]] = []
        slots: Sequence[int | None] = positions or [None] * len(entries)
        nodes: list[tuple[int, bytes]] = []
        for offset, data in enumerate(entries):
            h = merkle.leaf_hash(data)
            leaves.append((first + offset, data, h, slots[offset]))
            frontier.append((0, first + offset, h))
            while len(frontier) > 1 and frontier[-1][0] == frontier[-2][0]:
                (level, left_index, left), (_, _, right) = frontier[-2], frontier[-1]
                parent = (level + 1, left_index >> 1, merkle.node_hash(left, right))
                frontier[-2:] = [parent]
                if is_stored_level(parent[0]):
                    nodes.append((node_key(parent[0], parent[1]), parent[2]))
        self._frontier = frontier
        self.size += len(entries)
        if positions:
            self.source_position = positions[-1]
        if entries:
            columns = ("idx", "data", "leaf_hash", "source_position")
            _bulk_insert(self.conn, "log_entries", columns, leaves)
            _bulk_insert(self.conn, "log_nodes", ("id", "hash"), nodes)
        self.conn.execute(
            update(log_state)
            .where(log_state.c.id == 1)
            .values(size=self.size, source_position=self.source_position)
        )
        return AppendResult(first, self.size, tuple(leaf[2] for leaf in leaves), None)

    def root(self) -> bytes:
        frontier = self._frontier if self._frontier is not None else self._load_frontier()
        return _fold([h for _, _, h in frontier])

    def sign_checkpoint(self) -> SignedCheckpoint | None:
        """Sign the tree as it stands in this transaction, if it grew since the last checkpoint."""
        if self.size <= self.checkpoint_size:
            return None
        root = self.root()
        note = Checkpoint(self.log.origin, self.size, root).sign(self.log.signer)
        swapped = self.conn.execute(
            update(log_state)
            .where(log_state.c.id == 1, log_state.c.checkpoint_size == self.checkpoint_size)
            .values(checkpoint_size=self.size)
        ).rowcount
        if swapped != 1:  # cannot happen while we hold the state lock; never sign a fork
            raise LogError("checkpoint compare-and-swap lost: another signer moved the log")
        self.conn.execute(
            insert(log_checkpoints).values(
                size=self.size, root=root, note=note, signed_at=datetime.now(UTC)
            )
        )
        self.checkpoint_size = self.size
        return SignedCheckpoint(self.size, root, note)

    def _load_frontier(self) -> list[Node]:
        wanted = merkle.perfect_subtrees(0, self.size)
        read = self.log._reader(self.conn, wanted)
        return [(level, index, read(level, index)) for level, index in wanted]


class MerkleLog:
    def __init__(self, engine: Engine, signer: NoteSigner, origin: str | None = None) -> None:
        self.engine = engine
        self._writer = writer(engine)
        self.signer = signer
        self.origin = origin or signer.name

    # --- writing ---------------------------------------------------------------------------

    @contextmanager
    def writer(self, conn: Connection | None = None) -> Iterator[LogWriter]:
        """Lock the log for writing; everything done through the writer commits together.

        Pass ``conn`` to join a caller's transaction (opened on :func:`ledger.db.writer`).
        """
        if conn is not None:
            yield LogWriter(self, conn)
            return
        with self._writer.begin() as own:
            yield LogWriter(self, own)

    def append(self, entries: Sequence[bytes], checkpoint: bool = True) -> AppendResult:
        """Append entries durably and (by default) sign a checkpoint, in one transaction."""
        with self.writer() as w:
            result = w.append(entries)
            signed = w.sign_checkpoint() if checkpoint else None
        return AppendResult(result.first_index, result.size, result.leaf_hashes, signed)

    def sign_checkpoint(self) -> SignedCheckpoint:
        """Sign the current tree if it grew since the last checkpoint; return the latest."""
        with self.writer() as w:
            signed = w.sign_checkpoint()
        return signed or self.latest_checkpoint()

    def _state_query(self) -> Any:
        query = select(log_state).where(log_state.c.id == 1)
        return query if is_sqlite(self.engine) else query.with_for_update()

    # --- reading ---------------------------------------------------------------------------

    def size(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(log_state.c.size)).scalar_one())

    def source_position(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(log_state.c.source_position)).scalar_one())

    def index_of_position(self, position: int, not_before: int | None = None) -> int | None:
        """The log index of the entry integrated from feed ``position``.

        With ``not_before`` (a log size read before the item was written) only the
        entries appended since are scanned. Without it, a binary search over the
        positions, which increase with the index: O(log n) point reads.
        """
        with self.engine.connect() as conn:
            if not_before is not None:
                idx = conn.execute(
                    select(log_entries.c.idx).where(
                        log_entries.c.idx >= not_before,
                        log_entries.c.source_position == position,
                    )
                ).scalar_one_or_none()
                return None if idx is None else int(idx)
            lo, hi = 0, int(conn.execute(_SIZE).scalar_one())
            while lo < hi:
                mid = (lo + hi) // 2
                at = conn.execute(_POSITION_AT, {"idx": mid}).scalar_one()
                if at is None:
                    raise LogError("entries without feed positions: cannot search by position")
                if at == position:
                    return mid
                lo, hi = (mid + 1, hi) if at < position else (lo, mid)
        return None

    def entry(self, index: int) -> bytes:
        with self.engine.connect() as conn:
            data = conn.execute(
                select(log_entries.c.data).where(log_entries.c.idx == index)
            ).scalar_one_or_none()
        if data is None:
            raise LogError(f"no entry at index {index}")
        return bytes(data)

    def entries(self, start: int, end: int) -> list[bytes]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(log_entries.c.data)
                .where(log_entries.c.idx >= start, log_entries.c.idx < end)
                .order_by(log_entries.c.idx)
            ).scalars()
            return [bytes(r) for r in rows]

    def leaf_hash(self, index: int) -> bytes:
        with self.engine.connect() as conn:
            return self._reader(conn, [(0, index)])(0, index)

    def root(self, size: int) -> bytes:
        return self._prove(size, lambda read: merkle.root(read, size))

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        if not 0 <= index < size:
            raise LogError(f"index {index} is outside a tree of size {size}")
        return self._prove(size, lambda read: merkle.inclusion_proof(read, index, size))

    def inclusion_proofs(self, indices: Sequence[int], size: int) -> list[list[bytes]]:
        """Proofs for many entries against one tree size, with one read of their nodes."""
        for index in indices:
            if not 0 <= index < size:
                raise LogError(f"index {index} is outside a tree of size {size}")

        def build(read: merkle.NodeReader) -> list[list[bytes]]:
            return [merkle.inclusion_proof(read, index, size) for index in indices]

        return self._prove(size, build)

    def consistency_proof(self, old: int, size: int) -> list[bytes]:
        if not 0 < old <= size:
            raise LogError(f"no consistency proof from size {old} to size {size}")
        return self._prove(size, lambda read: merkle.consistency_proof(read, old, size))

    def latest_checkpoint(self) -> SignedCheckpoint:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(log_checkpoints).order_by(log_checkpoints.c.size.desc()).limit(1)
            ).one_or_none()
        if row is None:
            raise LogError("no checkpoint has been signed yet")
        return SignedCheckpoint(int(row.size), bytes(row.root), row.note)

    def checkpoint_at(self, size: int) -> SignedCheckpoint | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(log_checkpoints).where(log_checkpoints.c.size == size)
            ).one_or_none()
        return None if row is None else SignedCheckpoint(int(row.size), bytes(row.root), row.note)

    def _prove(self, size: int, build: Callable[[merkle.NodeReader], T]) -> T:
        with self.engine.connect() as conn:
            current = int(conn.execute(_SIZE).scalar_one())
            if not 0 <= size <= current:
                raise LogError(f"tree size {size} is beyond the log's size {current}")
            read = self._reader(conn, merkle.needed_nodes(build))
        return build(read)

    def _reader(self, conn: Connection, wanted: Iterable[tuple[int, int]]) -> merkle.NodeReader:
        """Fetch, in at most two queries, the stored rows that ``wanted`` nodes derive from."""
        stored = _stored_ancestors(wanted)
        leaves = [index for level, index in stored if level == 0]
        interior = {node_key(level, index): (level, index) for level, index in stored if level}
        found: dict[tuple[int, int], bytes] = {}
        for chunk in _chunks(leaves):
            rows = conn.execute(_LEAF_HASHES, {"ids": chunk})
            found.update(((0, int(r.idx)), bytes(r.leaf_hash)) for r in rows)
        for chunk in _chunks(list(interior)):
            rows = conn.execute(_NODE_HASHES, {"ids": chunk})
            found.update((interior[int(r.id)], bytes(r.hash)) for r in rows)
        if len(found) != len(stored):
            raise LogError("tree nodes are missing: the log store is damaged")

        def read(level: int, index: int) -> bytes:
            key = (level, index)
            if key not in found:  # an odd level: one hash over two stored children
                found[key] = merkle.node_hash(
                    read(level - 1, 2 * index), read(level - 1, 2 * index + 1)
                )
            return found[key]

        return read


def _stored_ancestors(wanted: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """Replace each odd-level node by its two (stored) children."""
    out: set[tuple[int, int]] = set()
    for level, index in wanted:
        if is_stored_level(level):
            out.add((level, index))
        else:
            out.update({(level - 1, 2 * index), (level - 1, 2 * index + 1)})
    return out


def _chunks(ids: list[int], size: int = 2000) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _bulk_insert(
    conn: Connection, table: str, columns: tuple[str, ...], rows: Sequence[tuple[object, ...]]
) -> None:
    """executemany straight to the driver: SQLAlchemy's per-row parameter processing
    costs more than the insert itself on this path."""
    if not rows:
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    conn.exec_driver_sql(sql, list(rows))


def _fold(parts: Sequence[bytes]) -> bytes:
    """Root from the perfect subtrees of a tree, left to right."""
    if not parts:
        return merkle.EMPTY_ROOT
    acc = parts[-1]
    for part in reversed(parts[:-1]):
        acc = merkle.node_hash(part, acc)
    return acc
