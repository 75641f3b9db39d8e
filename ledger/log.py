"""The persistent Merkle log: append entries, serve roots and proofs, sign checkpoints.

Two classes: :class:`LogReader` reads (sizes, entries, roots, proofs, checkpoints) and
holds no key; :class:`MerkleLog` is a reader with the log's signer that also appends and
signs checkpoints. A process that only follows the log (the read models') opens a reader,
so the log's private key never reaches it.

Storage: each entry row keeps its leaf hash; interior hashes of perfect
subtrees are kept only at even levels (2, 4, …): an odd-level node is one
hash over two stored children. That is about 1.33 rows per entry, and a root,
a proof or a new checkpoint still reads O(log n) rows in one query, never a
rescan.

Writers are serialized by the database (``BEGIN IMMEDIATE`` on SQLite, a row
lock on ``log_state`` on PostgreSQL). The right edge of the tree (one perfect
subtree per set bit of the size) is read inside the writer's own transaction,
never kept across transactions, so a rolled-back append or another process can
never leave a stale edge behind. Checkpoints are published with compare-and-swap on
``log_state.checkpoint_size``: no two processes can sign diverging or
shrinking trees. ``log_state.source_position`` records how far the feed the log
follows has been integrated, in the same transaction as the entries, so a
sequencer integrates every source item exactly once.

Reads (roots, inclusion and consistency proofs): :mod:`ledger.merkle` plans the proof
— which perfect subtrees each of its hashes folds — and this module is the store behind
its batched hash reader: every stored row a plan needs comes in one statement on the
pool's DBAPI connection, together with ``log_state.size`` from the same snapshot to
check the requested size. Hashes already in memory are not read again. What is kept in
memory:

- perfect subtrees of ``cache_level`` (default 8, 256 leaves) and above, by
  flat-tree key;
- the fold of the few subtrees a range ending inside the right edge is made of,
  by the leaf range ``[start, end)`` it covers (a bounded dict, emptied when full).

Both are read only outside any write transaction, so only committed rows are ever
seen, and a node row is written only once its subtree is complete. A committed
entry never changes, so neither does the hash of a complete subtree or of a fixed
range of committed entries: nothing kept can go stale, and nothing is ever
invalidated. A writer's transaction (which may roll back) reads this memory but
never adds to it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ledger import merkle
from ledger.db import is_sqlite, writer
from ledger.note import Checkpoint, NoteError, NoteSigner, open_checkpoint
from ledger.schema import log_checkpoints, log_entries, log_state

Node = tuple[int, int, bytes]  # (level, index, hash)
T = TypeVar("T")
_alarms = logging.getLogger("elevator_ledger.log")
_SPANS_KEPT = 4096  # hashes of ranges that end inside a perfect subtree (the right edge)

#: Perfect subtrees of 2**CACHE_LEVEL leaves or more are kept in memory once read (about
#: 2 n / 2**CACHE_LEVEL hashes for n entries: 78,000 at 10 million), up to CACHE_MAX_NODES.
CACHE_LEVEL = 8
CACHE_MAX_NODES = 1 << 18

# Statements built once: constructing them per call costs more than running them.
_SIZE = select(log_state.c.size)
_LOCK_STATE = select(log_state.c.id).where(log_state.c.id == 1).with_for_update()
_PUBLISHED = select(log_state.c.checkpoint_size).where(log_state.c.id == 1).scalar_subquery()
_POSITION_AT = select(log_entries.c.source_position).where(log_entries.c.idx == bindparam("idx"))


class LogError(ValueError):
    """A request to the log is out of range or inconsistent."""


class LogTampered(LogError):
    """The log's tables hold what this writer did not write, past or around the last signed
    checkpoint: signing now would put the log key's signature on someone else's data.

    Raised inside the writer's transaction (which then rolls back): nothing is appended or
    signed. Only someone with database access (or a damaged store) gets the log here, since
    every writer of this code appends and signs in one transaction (see :class:`LogWriter`).
    """


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
        row = log._locked_state(conn)
        self.size = int(row.size)
        self.checkpoint_size = int(row.checkpoint_size)
        self.source_position = int(row.source_position)
        self._frontier: list[Node] | None = None
        #: what the tree at ``size`` must fold to before this writer adds anything: the root
        #: of the last signed checkpoint, or of this process's own unsigned append
        self._expected_root = log._guard.start(row)
        self.appended = 0  # entries this writer inserted (all of them past the checkpoint)

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
                    nodes.append((merkle.node_key(parent[0], parent[1]), parent[2]))
        self._frontier = frontier
        self.size += len(entries)
        if positions:
            self.source_position = positions[-1]
        if entries:
            columns = ("idx", "data", "leaf_hash", "source_position")
            try:
                _bulk_insert(self.conn, "log_entries", columns, leaves)
                _bulk_insert(self.conn, "log_nodes", ("id", "hash"), nodes)
            except IntegrityError as exc:  # only another hand than a writer's puts rows there
                raise self.log._guard.alarm(
                    f"rows are already stored where entries {first}..{self.size - 1} and their"
                    f" tree nodes go, beyond the log's size {first}: {exc.orig}"
                ) from None
            self.appended += len(entries)
        self.conn.execute(
            update(log_state)
            .where(log_state.c.id == 1)
            .values(size=self.size, source_position=self.source_position)
        )
        return AppendResult(first, self.size, tuple(leaf[2] for leaf in leaves), None)

    def root(self) -> bytes:
        frontier = self._frontier if self._frontier is not None else self._load_frontier()
        return merkle.fold([h for _, _, h in frontier])

    def sign_checkpoint(self) -> SignedCheckpoint | None:
        """Sign the tree as it stands in this transaction, if it grew since the last checkpoint.

        Only what this process appended is signed: the leaves past the last checkpoint must be
        the ones this writer inserted (or this process's own unsigned append, see
        :class:`_Guard`), and no entry row may lie beyond them (one primary-key lookup).
        """
        if self.size <= self.checkpoint_size:
            return None
        root = self.root()
        beyond = self.conn.execute(select(func.max(log_entries.c.idx))).scalar_one()
        if beyond is not None and int(beyond) >= self.size:
            raise self.log._guard.alarm(
                f"an entry row is stored at index {beyond}, beyond the {self.size} entries"
                " the log holds"
            )
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
        self.log._guard.signed_here(note, root)
        return SignedCheckpoint(self.size, root, note)

    def _load_frontier(self) -> list[Node]:
        """The right edge of the tree at the size this writer started from, checked against
        the root signed for that size: a stored entry or node on the edge that was changed
        would otherwise be folded into the next checkpoint."""
        subtrees = merkle.perfect_subtrees(0, self.size)
        keys = [merkle.node_key(level, index) for level, index in subtrees]
        found, _ = self.log._hashes(keys, None, self.conn)
        hashes = [found[key] for key in keys]
        frontier = [(lv, i, h) for (lv, i), h in zip(subtrees, hashes, strict=True)]
        if merkle.fold(hashes) != self._expected_root:
            raise self.log._guard.alarm(
                f"the stored right edge of the tree at size {self.size} does not fold to the"
                f" root signed for it: an entry or tree node already signed was changed"
            )
        return frontier


class LogReader:
    """The log on one database, for reading: sizes, entries, roots, proofs, checkpoints.

    It holds no key and cannot write: what a process that only follows or serves the log
    (the read models' process) opens. :class:`MerkleLog` adds the signer and the writer.

    Roots and proofs are built from perfect-subtree hashes; those of ``cache_level`` and
    above are kept in memory once read, at most ``cache_nodes`` of them (see the module
    documentation for why they never need invalidating). Everything else a request needs
    is read in one statement.
    """

    def __init__(
        self,
        engine: Engine,
        origin: str,
        *,
        cache_level: int = CACHE_LEVEL,
        cache_nodes: int = CACHE_MAX_NODES,
    ) -> None:
        if cache_level < 0 or cache_nodes < 0:
            raise ValueError("cache_level and cache_nodes cannot be negative")
        self.engine = engine
        self.origin = origin
        self._cache: dict[int, bytes] = {}  # flat-tree key -> hash of a complete subtree
        self._spans: dict[tuple[int, int], bytes] = {}  # (start, end) -> MTH(D[start:end])
        self._cache_level = cache_level
        self._cache_nodes = cache_nodes
        self._spans_kept = min(_SPANS_KEPT, cache_nodes)
        self._postgres = engine.dialect.name == "postgresql"

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
        if not 0 <= index < MAX_TREE_SIZE:
            raise LogError(f"no entry at index {index}")
        try:
            return self._hashes([index << 1], index + 1)[0][index << 1]
        except _BeyondTheLog as exc:
            raise LogError(f"no entry at index {index}") from exc

    def root(self, size: int) -> bytes:
        return self._planned(size, merkle.RangePlan([(0, size)], self._spans))[0]

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        if not 0 <= index < size:
            raise LogError(f"index {index} is outside a tree of size {size}")
        plan = merkle.RangePlan(merkle.inclusion_ranges(index, size), self._spans)
        return self._planned(size, plan)

    def inclusion_proofs(self, indices: Sequence[int], size: int) -> list[list[bytes]]:
        """Proofs for many entries against one tree size, with one read of their nodes
        (entries near the end of the tree built together: :class:`ledger.merkle.InclusionBatch`)."""
        for index in indices:
            if not 0 <= index < size:
                raise LogError(f"index {index} is outside a tree of size {size}")
        return self._planned(size, merkle.InclusionBatch(indices, size, self._spans))

    def consistency_proof(self, old: int, size: int) -> list[bytes]:
        if not 0 < old <= size:
            raise LogError(f"no consistency proof from size {old} to size {size}")
        plan = merkle.RangePlan(merkle.consistency_ranges(old, size), self._spans)
        return self._planned(size, plan)

    def latest_checkpoint(self) -> SignedCheckpoint:
        """The checkpoint the writers last published (``log_state.checkpoint_size``, moved by
        compare-and-swap), not merely the largest row: a row slipped into the table by another
        hand is not served as the log's latest."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(log_checkpoints).where(log_checkpoints.c.size == _PUBLISHED)
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

    def _planned(self, size: int, plan: merkle.Plan[T]) -> T:
        """What ``plan`` computes, from one read of the subtrees it needs (:meth:`_hashes`),
        which also checks that the log holds ``size`` entries.

        A fold of several subtrees it made (a range ending inside the right edge of the
        tree) is kept by the leaf range it covers: MTH(D[start:end]) of committed entries
        never changes either.
        """
        if size < 0:
            raise LogError(f"no tree of size {size}")
        if size > MAX_TREE_SIZE:  # its node ids would not fit a 64-bit SQL integer
            raise _BeyondTheLog(f"tree size {size} is beyond the log's size {self.size()}")
        hashes, committed = self._hashes(plan.keys, size)
        out = plan.assemble(hashes)
        if committed and self._spans_kept:
            spans = self._spans
            for span, h in plan.folds:
                if len(spans) >= self._spans_kept:  # forgetting is always safe
                    spans.clear()
                spans[span] = h
        return out

    def _hashes(
        self, keys: Sequence[int], size: int | None, conn: Connection | None = None
    ) -> tuple[dict[int, bytes], bool]:
        """The hashes of the perfect subtrees with these flat-tree keys, by key (the log's
        :data:`ledger.merkle.HashReader`, for a tree of ``size``): from the cache or, in one
        statement, from the stored rows they derive from (an odd level is one hash over its
        two stored children); and whether they are all committed.

        Without ``conn``: a committed read that also checks that the log holds ``size``
        entries; what it reads at ``cache_level`` and above is remembered. With ``conn`` (a
        writer's transaction, which may yet roll back): the cache is read, never written.
        """
        cache = self._cache
        out: dict[int, bytes] = {}
        known: dict[int, bytes] = {}  # the children of odd levels, by flat key
        pending: list[tuple[int, int]] = []
        rows: set[int] = set()
        for key in keys:
            h = cache.get(key)
            if h is not None:
                out[key] = h
                continue
            # merkle.key_level inline (a hot loop); a leaf's key is even
            level = (key ^ (key + 1)).bit_length() - 1 if key & 1 else 0
            pending.append((level, key))
            if not level & 1:
                rows.add(key)
                continue
            half = 1 << (level - 1)
            for child in (key - half, key + half):
                ch = cache.get(child)
                if ch is None:
                    rows.add(child)
                else:
                    known[child] = ch
        if conn is None:
            read, remember = self._read_committed(rows, size)
            known.update(read)
        else:
            found: list[tuple[Any, ...]] = []
            for sql, params in _statements(self._postgres, rows, with_size=False):
                found.extend(tuple(r) for r in conn.exec_driver_sql(sql, params))
            known.update(_collect(found, rows, None))
            remember = False
        floor = self._cache_level
        for level, key in pending:
            if level & 1:
                half = 1 << (level - 1)
                left, right = known[key - half], known[key + half]
                h = merkle.node_hash(left, right)
                if remember and level > floor:  # the children are cacheable too
                    self._remember(key - half, left)
                    self._remember(key + half, right)
            else:
                h = known[key]
            if remember and level >= floor:
                self._remember(key, h)
            out[key] = h
        return out, remember

    def _remember(self, key: int, h: bytes) -> None:
        """Keep a committed perfect subtree's hash: it can never change (entries are
        append-only, and a node row is written only once its subtree is complete)."""
        if len(self._cache) < self._cache_nodes:
            self._cache[key] = h

    def _read_committed(
        self, keys: Collection[int], size: int | None
    ) -> tuple[dict[int, bytes], bool]:
        """Stored rows by flat key, checking in the same statement that the log holds at
        least ``size`` entries; and whether they were read outside any transaction, so that
        only committed rows can have been seen (always, with the engine's own pool).

        Straight on the pool's DBAPI connection: one statement, no per-row objects. On
        PostgreSQL in autocommit for the duration, so the read costs one round trip (no
        BEGIN / ROLLBACK).
        """
        statements = _statements(self._postgres, keys, with_size=size is not None)
        raw = self.engine.raw_connection()
        try:
            driver: Any = raw.driver_connection
            if self._postgres:  # psycopg.pq.TransactionStatus.IDLE
                idle = int(driver.info.transaction_status) == 0
            else:
                idle = not driver.in_transaction
            toggle = self._postgres and idle and not driver.autocommit
            if toggle:
                driver.autocommit = True
            try:
                cursor = raw.cursor()
                rows: list[tuple[Any, ...]] = []
                for sql, params in statements:
                    cursor.execute(sql, params)
                    rows.extend(cursor.fetchall())
                cursor.close()
            finally:
                if toggle and not driver.closed:
                    driver.autocommit = False
        except BaseException:
            raw.invalidate()  # its state is unknown: never hand it back to the pool
            raise
        finally:
            raw.close()
        return _collect(rows, keys, size), idle


class MerkleLog(LogReader):
    """The log on one database, with its signer: appends entries and signs checkpoints.

    Every read of :class:`LogReader` works the same; only a process that writes (the
    sequencer's) needs the log's private key.
    """

    def __init__(
        self,
        engine: Engine,
        signer: NoteSigner,
        origin: str | None = None,
        *,
        cache_level: int = CACHE_LEVEL,
        cache_nodes: int = CACHE_MAX_NODES,
    ) -> None:
        super().__init__(
            engine, origin or signer.name, cache_level=cache_level, cache_nodes=cache_nodes
        )
        self._writer = writer(engine)
        self.signer = signer
        self._guard = _Guard(self)

    # --- writing ---------------------------------------------------------------------------

    @contextmanager
    def writer(self, conn: Connection | None = None) -> Iterator[LogWriter]:
        """Lock the log for writing; everything done through the writer commits together.

        Pass ``conn`` to join a caller's transaction (opened on :func:`ledger.db.writer`); then
        this process cannot know whether it commits, so an append left unsigned there is not
        remembered as its own (a later writer refuses to sign it).

        Raises :class:`LogTampered` (and writes nothing) when the log holds what no writer of
        this process appended past the last checkpoint.
        """
        if conn is not None:
            yield LogWriter(self, conn)
            return
        with self._writer.begin() as own:
            w = LogWriter(self, own)
            yield w
        self._guard.committed(w)

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
        """The state row with what the guard checks it against, in the same statement: the
        largest stored checkpoint and the note signed at ``checkpoint_size`` (two primary-key
        lookups, no extra round trip)."""
        latest = select(func.max(log_checkpoints.c.size)).scalar_subquery()
        note = (
            select(log_checkpoints.c.note)
            .where(log_checkpoints.c.size == log_state.c.checkpoint_size)
            .scalar_subquery()
        )
        last = (  # the feed position the last entry came from
            select(log_entries.c.source_position)
            .where(log_entries.c.idx == log_state.c.size - 1)
            .scalar_subquery()
        )
        return select(
            log_state,
            latest.label("latest_signed"),
            note.label("signed_note"),
            last.label("last_position"),
        ).where(log_state.c.id == 1)

    def _locked_state(self, conn: Connection) -> Any:
        """The state row, under the writers' lock. On PostgreSQL the row is locked first and
        read in a second statement: a ``SELECT … FOR UPDATE`` that waited for another writer
        returns that writer's row but runs its subqueries on the snapshot taken before the
        wait, which would not yet show the checkpoint it committed (READ COMMITTED takes a
        new snapshot per statement). SQLite's ``BEGIN IMMEDIATE`` locked before any read."""
        if not is_sqlite(self.engine):
            conn.execute(_LOCK_STATE)
        return conn.execute(self._state_query()).one()

    def check_unsigned(self) -> int:
        """The log's size, after the guard's checks of the state row that need no lock (a
        cheap look before accepting a batch, so that a log found tampered with refuses the
        batch before anything is stored; the writer checks again, under the lock, with the
        tree's right edge)."""
        with self.engine.connect() as conn:
            row = conn.execute(self._state_query()).one()
        self._guard.start(row, locked=False)
        return int(row.size)


class _Guard:
    """What this process knows of the log it signs, so that it signs nothing else.

    Every writer of this code appends and signs a checkpoint in one transaction (the
    sequencer, :meth:`MerkleLog.append`), so at the start of a writer's transaction the log
    holds exactly the signed tree: ``size == checkpoint_size``, and the stored right edge folds
    to the signed root. A committed but unsigned stretch cannot come from a crash (commit and
    signature are one); it comes from another hand in the database — or from this very
    process's ``append(checkpoint=False)``, which it remembers (in memory: after a restart such
    a stretch is refused too). Anything else raises :class:`LogTampered`, after a
    ``logging.critical`` alarm saying what was found.
    """

    def __init__(self, log: MerkleLog) -> None:
        self.log = log
        self.verified: dict[str, bytes] = {}  # checkpoint notes that verified -> their roots
        self.highest = -1  # the largest checkpoint size seen under the lock or signed here
        self.own_unsigned: tuple[int, int, bytes] | None = None  # (signed size, size, root)

    def alarm(self, found: str) -> LogTampered:
        _alarms.critical("log %s: refusing to sign a checkpoint: %s", self.log.origin, found)
        return LogTampered(found)

    def start(self, row: Any, locked: bool = True) -> bytes:
        """Check the state row (and the checkpoints beside it) a writer starts from; the root
        the tree at ``row.size`` must fold to. ``locked``: read under the writers' lock, so
        no commit of this process is newer than it (an unlocked read may be older than what
        another thread has since committed and seen: it is not compared with that)."""
        size, signed = int(row.size), int(row.checkpoint_size)
        latest = None if row.latest_signed is None else int(row.latest_signed)
        if signed > size:
            raise self.alarm(f"log_state holds {size} entries, fewer than the {signed} signed")
        if latest is not None and latest != signed:
            raise self.alarm(
                f"a checkpoint of size {latest} is stored, but log_state says the last signed"
                f" size is {signed}"
            )
        last = row.last_position  # None: no entry, or entries appended without feed positions
        if last is not None and int(last) != int(row.source_position):
            raise self.alarm(
                f"log_state says the feed is integrated up to position {row.source_position},"
                f" but the last entry (index {size - 1}) came from position {last}: the"
                " sequencer would log events twice or never"
            )
        if locked and signed < self.highest:
            raise self.alarm(
                f"this server saw the log signed at size {self.highest};"
                f" log_state now says {signed}"
            )
        root = self._signed_root(row.signed_note, signed)
        if size > max(signed, 0):  # -1: nothing signed yet, not even the empty tree
            own = self.own_unsigned
            if own is None or own[:2] != (signed, size):
                raise self.alarm(
                    f"entries {max(signed, 0)}..{size - 1} are past the last checkpoint (size"
                    f" {signed}) and were not appended by this server"
                )
            root = own[2]
        if locked:
            self.highest = signed
        return root

    def _signed_root(self, note: str | None, size: int) -> bytes:
        if note is None:
            if size > 0:
                raise self.alarm(
                    f"no checkpoint of size {size} is stored, though log_state says so"
                )
            return merkle.EMPTY_ROOT
        root = self.verified.get(note)
        if root is not None:
            return root
        try:
            checkpoint = open_checkpoint(note, self.log.signer.verifier, self.log.origin)
        except NoteError as exc:
            raise self.alarm(
                f"the checkpoint stored for size {size} does not verify: {exc}"
            ) from None
        if checkpoint.size != size:
            raise self.alarm(f"the checkpoint stored for size {size} signs size {checkpoint.size}")
        self._remember(note, checkpoint.root)
        return checkpoint.root

    def _remember(self, note: str, root: bytes) -> None:
        if len(self.verified) >= 64:  # forgetting only costs a verification
            self.verified.clear()
        self.verified[note] = root

    def signed_here(self, note: str, root: bytes) -> None:
        """A note this process signed needs no verification when it reads it back."""
        self._remember(note, root)

    def committed(self, w: LogWriter) -> None:
        """After the writer's own transaction committed: what this process has seen signed,
        and the stretch it appended without signing, if any."""
        self.highest = max(self.highest, w.checkpoint_size)
        if w.size == w.checkpoint_size:
            self.own_unsigned = None
        elif w.appended:
            self.own_unsigned = (w.checkpoint_size, w.size, w.root())


#: No log grows this large; larger sizes are refused before any node id is computed.
MAX_TREE_SIZE = 2**56


class _BeyondTheLog(LogError):
    """A tree size larger than the log."""


# The proof path's statements go straight to the driver. Each returns rows (key, hash, size):
# leaves under their flat-tree key (2 * idx), nodes under theirs (always odd), and with the
# state row (-1, NULL, size) the log's size in the same snapshot as the nodes.
_CHUNK = 500  # ids per SQLite statement (far below its variable limit)
_PG_STATE = "SELECT -1, NULL::bytea, size FROM log_state WHERE id = 1 UNION ALL "
_PG_ROWS = (
    "SELECT idx * 2, leaf_hash, NULL::bigint FROM log_entries WHERE idx = ANY(%s::bigint[]) "
    "UNION ALL SELECT id, hash, NULL FROM log_nodes WHERE id = ANY(%s::bigint[])"
)


def _statements(
    postgres: bool, keys: Collection[int], with_size: bool
) -> list[tuple[str, tuple[Any, ...]]]:
    leaves = [key >> 1 for key in keys if not key & 1]
    nodes = [key for key in keys if key & 1]
    if postgres:
        return [((_PG_STATE if with_size else "") + _PG_ROWS, (leaves, nodes))]
    out: list[tuple[str, tuple[Any, ...]]] = []
    while leaves or nodes or with_size:
        leaf_part, leaves = leaves[:_CHUNK], leaves[_CHUNK:]
        node_part, nodes = nodes[: _CHUNK - len(leaf_part)], nodes[_CHUNK - len(leaf_part) :]
        out.append(_sqlite_statement(leaf_part, node_part, with_size))
        with_size = False
    return out


def _sqlite_statement(
    leaves: list[int], nodes: list[int], with_size: bool
) -> tuple[str, tuple[Any, ...]]:
    # Lists padded (repeating their last id) to a few lengths, so that the driver's
    # statement cache keeps every form compiled.
    leaves = _pad(leaves, 4)
    nodes = _pad(nodes, 8)
    return _sqlite_sql(len(leaves), len(nodes), with_size), (*leaves, *nodes)


def _pad(ids: list[int], multiple: int) -> list[int]:
    if not ids or len(ids) % multiple == 0:
        return ids
    return ids + [ids[-1]] * (multiple - len(ids) % multiple)


@functools.lru_cache(maxsize=512)
def _sqlite_sql(leaves: int, nodes: int, with_size: bool) -> str:
    parts = ["SELECT -1, NULL, size FROM log_state WHERE id = 1"] if with_size else []
    if leaves:
        marks = ", ".join("?" * leaves)
        parts.append(f"SELECT idx * 2, leaf_hash, NULL FROM log_entries WHERE idx IN ({marks})")
    if nodes:
        marks = ", ".join("?" * nodes)
        parts.append(f"SELECT id, hash, NULL FROM log_nodes WHERE id IN ({marks})")
    return " UNION ALL ".join(parts)


def _collect(
    rows: Iterable[tuple[Any, ...]], keys: Collection[int], size: int | None
) -> dict[int, bytes]:
    found: dict[int, bytes] = {}
    current: int | None = None
    for key, h, n in rows:
        if key < 0:
            current = int(n)
        else:
            found[int(key)] = bytes(h)
    if size is not None:
        if current is None:
            raise LogError("the log has no state row: is the database migrated?")
        if size > current:
            raise _BeyondTheLog(f"tree size {size} is beyond the log's size {current}")
    if len(found) != len(keys):
        raise LogError("tree nodes are missing: the log store is damaged")
    return found


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
