"""The persistent Merkle log: append entries, serve roots and proofs, sign checkpoints.

Only hashes of perfect subtrees are stored (about 2 per entry), so a root, a
proof or a new checkpoint reads O(log n) nodes in one query and never rescans.
Appends are serialized by the database (``BEGIN IMMEDIATE`` on SQLite, a row
lock on ``log_state`` on PostgreSQL); the right edge of the tree (the
"frontier", one perfect subtree per set bit of the size) is read inside the
append's own transaction, never cached, so a rolled-back append or another
process can never leave a stale edge behind. Checkpoints are published with compare-and-swap on
``log_state.checkpoint_size``, so no two processes can ever sign diverging or
shrinking trees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, insert, select, update

from ledger import merkle
from ledger.db import is_sqlite, writer
from ledger.note import Checkpoint, NoteSigner
from ledger.schema import log_checkpoints, log_entries, log_nodes, log_state

Node = tuple[int, int, bytes]  # (level, index, hash)


class LogError(ValueError):
    """A request to the log is out of range or inconsistent."""


def node_key(level: int, index: int) -> int:
    """Flat-tree (in-order) number of a perfect subtree: leaves even, parents between."""
    return (index << (level + 1)) | ((1 << level) - 1)


@dataclass(frozen=True)
class AppendResult:
    first_index: int
    size: int
    leaf_hashes: tuple[bytes, ...]
    checkpoint: SignedCheckpoint | None


@dataclass(frozen=True)
class SignedCheckpoint:
    size: int
    root: bytes
    note: str


class MerkleLog:
    def __init__(self, engine: Engine, signer: NoteSigner, origin: str | None = None) -> None:
        self.engine = engine
        self._writer = writer(engine)
        self.signer = signer
        self.origin = origin or signer.name

    # --- writing ---------------------------------------------------------------------------

    def append(
        self,
        entries: Sequence[bytes],
        positions: Sequence[int] | None = None,
        checkpoint: bool = True,
        conn: Connection | None = None,
    ) -> AppendResult:
        """Append entries durably (and sign a checkpoint over the new size) in one transaction.

        Pass ``conn`` to join a caller's write transaction (it must have been
        opened on :func:`ledger.db.writer`); otherwise one is opened here.
        """
        if positions is not None and len(positions) != len(entries):
            raise LogError("one source position per entry")
        if conn is not None:
            return self._append(conn, entries, positions, checkpoint)
        with self._writer.begin() as own:
            return self._append(own, entries, positions, checkpoint)

    def _append(
        self,
        conn: Connection,
        entries: Sequence[bytes],
        positions: Sequence[int] | None,
        sign: bool,
    ) -> AppendResult:
        size, cp_size = self._lock_state(conn)
        frontier = self._load_frontier(conn, size)
        new_nodes: list[dict[str, object]] = []
        leaves: list[bytes] = []
        for offset, data in enumerate(entries):
            h = merkle.leaf_hash(data)
            leaves.append(h)
            frontier.append((0, size + offset, h))
            new_nodes.append({"id": node_key(0, size + offset), "hash": h})
            while len(frontier) > 1 and frontier[-1][0] == frontier[-2][0]:
                (lvl, left_i, left), (_, _, right) = frontier[-2], frontier[-1]
                parent = (lvl + 1, left_i >> 1, merkle.node_hash(left, right))
                frontier[-2:] = [parent]
                new_nodes.append({"id": node_key(parent[0], parent[1]), "hash": parent[2]})
        new_size = size + len(entries)
        if entries:
            rows = [
                {"idx": size + i, "data": data, "source_position": pos}
                for i, (data, pos) in enumerate(
                    zip(entries, positions or [None] * len(entries), strict=True)
                )
            ]
            conn.execute(insert(log_entries), rows)
            conn.execute(insert(log_nodes), new_nodes)
            conn.execute(update(log_state).where(log_state.c.id == 1).values(size=new_size))
        signed = None
        if sign and new_size > cp_size:
            root = _fold([h for _, _, h in frontier]) if frontier else merkle.EMPTY_ROOT
            signed = self._publish(conn, cp_size, new_size, root)
        return AppendResult(size, new_size, tuple(leaves), signed)

    def sign_checkpoint(self) -> SignedCheckpoint:
        """Sign the current tree if it grew since the last checkpoint; return the latest."""
        with self._writer.begin() as conn:
            size, cp_size = self._lock_state(conn)
            if size > cp_size:
                return self._publish(conn, cp_size, size, self._root(conn, size))
        return self.latest_checkpoint()

    def _publish(self, conn: Connection, seen: int, size: int, root: bytes) -> SignedCheckpoint:
        note = Checkpoint(self.origin, size, root).sign(self.signer)
        swapped = conn.execute(
            update(log_state)
            .where(log_state.c.id == 1, log_state.c.checkpoint_size == seen)
            .values(checkpoint_size=size)
        ).rowcount
        if swapped != 1:  # cannot happen while appends hold the state lock
            raise LogError("checkpoint compare-and-swap lost: another signer moved the log")
        conn.execute(
            insert(log_checkpoints).values(
                size=size, root=root, note=note, signed_at=datetime.now(UTC)
            )
        )
        return SignedCheckpoint(size, root, note)

    def _lock_state(self, conn: Connection) -> tuple[int, int]:
        query = select(log_state.c.size, log_state.c.checkpoint_size).where(log_state.c.id == 1)
        if not is_sqlite(self.engine):
            query = query.with_for_update()
        row = conn.execute(query).one()
        return int(row.size), int(row.checkpoint_size)

    def _load_frontier(self, conn: Connection, size: int) -> list[Node]:
        wanted = merkle.perfect_subtrees(0, size)
        hashes = self._fetch(conn, set(wanted))
        return [(lvl, idx, hashes[(lvl, idx)]) for lvl, idx in wanted]

    # --- reading ---------------------------------------------------------------------------

    def size(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(log_state.c.size)).scalar_one())

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

    def last_source_position(self) -> int | None:
        with self.engine.connect() as conn:
            return conn.execute(
                select(log_entries.c.source_position)
                .where(log_entries.c.source_position.is_not(None))
                .order_by(log_entries.c.source_position.desc())
                .limit(1)
            ).scalar_one_or_none()

    def leaf_hash(self, index: int) -> bytes:
        with self.engine.connect() as conn:
            return self._fetch(conn, {(0, index)})[(0, index)]

    def root(self, size: int) -> bytes:
        with self.engine.connect() as conn:
            self._check_size(conn, size)
            return self._root(conn, size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        if not 0 <= index < size:
            raise LogError(f"index {index} is outside a tree of size {size}")
        return self._prove(size, lambda read: merkle.inclusion_proof(read, index, size))

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

    def _prove(self, size: int, build: Callable[[merkle.NodeReader], list[bytes]]) -> list[bytes]:
        wanted = merkle.needed_nodes(build)
        with self.engine.connect() as conn:
            self._check_size(conn, size)
            hashes = self._fetch(conn, wanted)
        return build(lambda level, index: hashes[(level, index)])

    def _root(self, conn: Connection, size: int) -> bytes:
        wanted = merkle.perfect_subtrees(0, size)
        hashes = self._fetch(conn, set(wanted))
        return _fold([hashes[k] for k in wanted]) if wanted else merkle.EMPTY_ROOT

    def _check_size(self, conn: Connection, size: int) -> None:
        current = int(conn.execute(select(log_state.c.size)).scalar_one())
        if not 0 <= size <= current:
            raise LogError(f"tree size {size} is beyond the log's size {current}")

    @staticmethod
    def _fetch(conn: Connection, wanted: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        keys = {node_key(lvl, idx): (lvl, idx) for lvl, idx in wanted}
        if not keys:
            return {}
        rows = conn.execute(
            select(log_nodes.c.id, log_nodes.c.hash).where(log_nodes.c.id.in_(list(keys)))
        )
        found = {keys[row.id]: bytes(row.hash) for row in rows}
        if len(found) != len(keys):
            raise LogError("tree nodes are missing: the log store is damaged")
        return found


def _fold(parts: Sequence[bytes]) -> bytes:
    """Root from the perfect subtrees of a tree, left to right."""
    acc = parts[-1]
    for part in reversed(parts[:-1]):
        acc = merkle.node_hash(part, acc)
    return acc
