"""RFC 6962 Merkle tree hashing, proofs and their verification.

A tree's nodes are read through a :data:`HashReader`: given the flat-tree keys
(:func:`node_key`) of some *perfect* subtrees, it returns their hashes in one call, as
Go's ``sumdb/tlog`` ``HashReader.ReadHashes`` does. A store keeps those nodes, so a root
or proof of any size needs O(log n) of them, and one round trip.

Generation is planned, then read, then assembled: a plan (:class:`RangePlan`,
:class:`InclusionBatch`) knows, from sizes and indices alone, which leaf ranges each
hash covers (RFC 6962 §2.1) and which perfect subtrees make up each range
(:func:`subtree_keys`); it asks for all of them at once (``keys``), and folds what the
reader returns into the hashes (:meth:`RangePlan.assemble`, with :func:`fold`).
Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, TypeVar

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Range = tuple[int, int]  # the leaves [start, end)

#: The hashes of the perfect subtrees with these (distinct) flat-tree keys, by key, read in
#: one batch (a store's one statement). Must return every one of them or raise.
HashReader = Callable[[Sequence[int]], Mapping[int, bytes]]

T_co = TypeVar("T_co", covariant=True)

#: Proofs for entries among the last RECENT_WINDOW leaves are built together from those
#: leaves when there are at most RECENT_LEAVES_PER_PROOF leaves to read per proof.
RECENT_WINDOW = 8192
RECENT_LEAVES_PER_PROOF = 8


class ProofError(ValueError):
    """A proof does not verify or a request is out of range."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def fold(hashes: Sequence[bytes]) -> bytes:
    """MTH of the leaves that consecutive perfect subtrees cover, from their hashes left to
    right: RFC 6962 splits a range at its largest power of two, so the range is the first
    subtree beside the rest, folded from the right."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for at in range(len(hashes) - 2, -1, -1):
        acc = node_hash(hashes[at], acc)
    return acc


def node_key(level: int, index: int) -> int:
    """Flat-tree (in-order) number of a perfect subtree: leaves even, parents between."""
    return (index << (level + 1)) | ((1 << level) - 1)


def key_level(key: int) -> int:
    """The level of the perfect subtree numbered ``key``: its trailing one bits."""
    return (key ^ (key + 1)).bit_length() - 1


def _split(n: int) -> int:
    """Largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def perfect_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """Decompose [start, end) into perfect subtrees (level, index), left to right.

    ``start`` must be aligned so that the largest piece fits (true for every
    range RFC 6962 recursion produces).
    """
    out: list[tuple[int, int]] = []
    pos = start
    while pos < end:
        level = (end - pos).bit_length() - 1
        if pos & ((1 << level) - 1):  # not aligned that far: as far as pos's trailing zeros
            level = (pos & -pos).bit_length() - 1
        out.append((level, pos >> level))
        pos += 1 << level
    return out


def subtree_keys(start: int, end: int) -> list[int]:
    """Flat-tree keys of the perfect subtrees making up [start, end), left to right."""
    n = end - start
    if n > 0 and not n & (n - 1) and not start & (n - 1):  # one perfect subtree
        return [(start << 1) | (n - 1)]
    return [node_key(level, index) for level, index in perfect_subtrees(start, end)]


# --- planning: which leaf ranges a proof hashes (RFC 6962 §2.1) ----------------------------


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The leaf ranges whose hashes make PATH(index, D[0:size]) (RFC 6962 §2.1.1), in proof
    order (leaf upward).

    Below ``inner`` (where ``index`` and ``size - 1`` part) the proof holds the sibling of
    the leaf's ancestor at every level, complete but for the top one, which may end at
    ``size``; above, the left sibling at every level where ``index`` is a right child.
    """
    ranges: list[Range] = []
    inner = (index ^ (size - 1)).bit_length()
    for level in range(inner):
        start = ((index >> level) ^ 1) << level
        end = start + (1 << level)
        ranges.append((start, end if end <= size else size))
    for level in range(inner, size.bit_length()):
        if index >> level & 1:
            start = ((index >> level) - 1) << level
            ranges.append((start, start + (1 << level)))
    return ranges


def consistency_ranges(old: int, size: int) -> list[Range]:
    """The leaf ranges whose hashes make PROOF(old, D[0:size]) (RFC 6962 §2.1.2), in proof
    order: SUBPROOF with ranges in place of hashes."""
    ranges: list[Range] = []
    start, end, complete = 0, size, True
    while old - start != end - start:
        k = _split(end - start)
        if old - start <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            complete = False
    if not complete:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


class Plan(Protocol[T_co]):
    """What a proof or root needs read (``keys``, for one :data:`HashReader` call), and how
    it is made of what was read (``assemble``). ``folds``: after assembling, the hashes of
    ranges of several perfect subtrees it computed, which a caller may keep as ``known``."""

    @property
    def keys(self) -> Sequence[int]: ...

    @property
    def folds(self) -> Sequence[tuple[Range, bytes]]: ...

    def assemble(self, hashes: Mapping[int, bytes]) -> T_co: ...


class RangePlan:
    """MTH(D[start:end]) of each of some ranges (as RFC 6962 recursion produces them).

    A range that is one perfect subtree is one key; any other (one ending inside a tree's
    right edge) is the fold of its subtrees, unless ``known`` (leaf range -> hash) has it.
    """

    def __init__(self, ranges: Sequence[Range], known: Mapping[Range, bytes] | None = None) -> None:
        self.ranges = ranges
        self.folds: list[tuple[Range, bytes]] = []
        self._single: list[tuple[int, int]] = []  # (range, key) of the perfect subtrees
        self._known: list[tuple[int, bytes]] = []  # (range, hash) of the ranges known
        self._several: list[tuple[int, list[int]]] = []  # (range, keys) of the ranges to fold
        wanted: dict[int, None] = {}
        for at, (start, end) in enumerate(ranges):
            n = end - start
            if n > 0 and not n & (n - 1) and not start & (n - 1):
                key = (start << 1) | (n - 1)
                self._single.append((at, key))
                wanted[key] = None
                continue
            h = known.get((start, end)) if known else None
            if h is None:
                keys = subtree_keys(start, end)
                self._several.append((at, keys))
                wanted.update(dict.fromkeys(keys))
            else:
                self._known.append((at, h))
        self.keys: list[int] = list(wanted)

    def assemble(self, hashes: Mapping[int, bytes]) -> list[bytes]:
        out = [EMPTY_ROOT] * len(self.ranges)
        for at, key in self._single:
            out[at] = hashes[key]
        for at, h in self._known:
            out[at] = h
        for at, keys in self._several:
            h = fold([hashes[key] for key in keys])
            out[at] = h
            if len(keys) > 1:
                self.folds.append((self.ranges[at], h))
        return out

    def run(self, read: HashReader) -> list[bytes]:
        return self.assemble(read(self.keys))


class InclusionBatch:
    """PATH(i, D[0:size]) for many indices against one size, from one read.

    Entries near the end of the tree (a batch just appended) share their upper nodes: their
    proofs are built together from the leaves at the end and the few perfect subtrees left
    of them (:func:`batch_inclusion_proofs`), when that reads at most
    RECENT_LEAVES_PER_PROOF leaves per proof; every other proof from its own ranges.
    """

    def __init__(
        self, indices: Sequence[int], size: int, known: Mapping[Range, bytes] | None = None
    ) -> None:
        for index in indices:
            if not 0 <= index < size:
                raise ProofError(f"leaf index {index} is outside a tree of size {size}")
        self.indices, self.size = indices, size
        recent = sorted({i for i in indices if size - i <= RECENT_WINDOW})
        first = 0  # skip proofs too few for the leaves they would need read
        while first < len(recent) and (
            size - recent[first] > RECENT_LEAVES_PER_PROOF * (len(recent) - first)
        ):
            first += 1
        self.recent = recent[first:] if len(recent) - first >= 2 else []
        together = set(self.recent)
        self.older = [i for i in indices if i not in together]
        plans = [inclusion_ranges(index, size) for index in self.older]
        self._lengths = [len(ranges) for ranges in plans]
        self._planned = RangePlan([r for ranges in plans for r in ranges], known)
        self._edge: list[tuple[Range, int]] = []  # the subtrees left of the first recent one
        self.keys: list[int] = []
        if self.recent:
            lo = self.recent[0]
            for level, i in perfect_subtrees(0, lo):
                self._edge.append(((i << level, (i + 1) << level), node_key(level, i)))
            self.keys = [key for _, key in self._edge]
            self.keys.extend(range(lo << 1, size << 1, 2))  # the leaves from lo
        if self._planned.keys:  # (which may hold some of those)
            self.keys = list(dict.fromkeys([*self.keys, *self._planned.keys]))

    @property
    def folds(self) -> list[tuple[Range, bytes]]:
        return self._planned.folds

    def assemble(self, hashes: Mapping[int, bytes]) -> list[list[bytes]]:
        planned = self._planned.assemble(hashes)
        proofs: dict[int, list[bytes]] = {}
        at = 0
        for index, length in zip(self.older, self._lengths, strict=True):
            proofs[index] = planned[at : at + length]
            at += length
        if self.recent:
            known = {span: hashes[key] for span, key in self._edge}
            known.update(((i, i + 1), hashes[i << 1]) for i in range(self.recent[0], self.size))
            batch = batch_inclusion_proofs(self.recent, self.size, known)
            proofs.update(zip(self.recent, batch, strict=True))
        return [list(proofs[index]) for index in self.indices]

    def run(self, read: HashReader) -> list[list[bytes]]:
        return self.assemble(read(self.keys))


def range_hash(read: HashReader, start: int, end: int) -> bytes:
    """MTH(D[start:end]) for a range produced by RFC 6962 recursion."""
    return RangePlan([(start, end)]).run(read)[0]


def root(read: HashReader, size: int) -> bytes:
    return range_hash(read, 0, size)


def inclusion_proof(read: HashReader, index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]) per RFC 6962 §2.1.1."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    return RangePlan(inclusion_ranges(index, size)).run(read)


def inclusion_proofs(read: HashReader, indices: Sequence[int], size: int) -> list[list[bytes]]:
    """PATH(i, D[0:size]) for each of ``indices``, with one read (see :class:`InclusionBatch`)."""
    return InclusionBatch(indices, size).run(read)


def consistency_proof(read: HashReader, old: int, size: int) -> list[bytes]:
    """PROOF(old, D[0:size]) per RFC 6962 §2.1.2."""
    if not 0 < old <= size:
        raise ProofError(f"no consistency proof from size {old} to size {size}")
    return RangePlan(consistency_ranges(old, size)).run(read)


def batch_inclusion_proofs(
    indices: Sequence[int], size: int, known: dict[Range, bytes]
) -> list[list[bytes]]:
    """PATH(i, D[0:size]) for many indices at once, each node hashed once.

    ``known`` maps leaf ranges ``(start, end)`` to MTH(D[start:end]); it must hold the
    :func:`perfect_subtrees` of [0, lo) and every leaf from lo on, where lo is the
    smallest index: every other node of these proofs lies over them (a node left of lo
    that a proof needs is the left sibling of an ancestor of leaf lo). Indices are walked
    in order, keeping the path from the root, so neighbours share their upper levels.
    """
    memo = dict(known)

    def mth(start: int, end: int) -> bytes:
        h = memo.get((start, end))
        if h is None:
            if end - start < 2:
                raise KeyError(f"leaf {start} is not known")
            k = _split(end - start)
            h = node_hash(mth(start, start + k), mth(start + k, end))
            memo[(start, end)] = h
        return h

    proofs: dict[int, list[bytes]] = {}
    frames = [(0, size)]  # the ranges holding the index, from the root down
    siblings: list[bytes] = []  # the hash beside each of them
    for index in sorted(set(indices)):
        if not 0 <= index < size:
            raise ProofError(f"leaf index {index} is outside a tree of size {size}")
        while not frames[-1][0] <= index < frames[-1][1]:
            frames.pop()
            siblings.pop()
        start, end = frames[-1]
        while end - start > 1:
            k = _split(end - start)
            if index - start < k:
                siblings.append(mth(start + k, end))
                end = start + k
            else:
                siblings.append(mth(start, start + k))
                start += k
            frames.append((start, end))
        proofs[index] = siblings[::-1]
    return [list(proofs[i]) for i in indices]


# --- verification (RFC 9162 §2.1.3.2, §2.1.4.2) -------------------------------------------


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    if len(leaf) != HASH_SIZE or any(len(p) != HASH_SIZE for p in proof):
        raise ProofError("hashes must be 32 bytes")
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is too short")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], expected_root: bytes
) -> None:
    if root_from_inclusion_proof(index, size, leaf, proof) != expected_root:
        raise ProofError("inclusion proof does not lead to the expected root")


def verify_consistency(
    old: int, size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise :class:`ProofError` unless ``proof`` shows tree ``old`` is a prefix of ``size``.

    Like the transparency-dev vectors, a proof from size 0 is rejected; a
    witness that must accept "old 0" handles that case before calling.
    """
    if any(len(p) != HASH_SIZE for p in proof):
        raise ProofError("hashes must be 32 bytes")
    if old > size:
        raise ProofError(f"old size {old} is larger than new size {size}")
    if old == 0:
        raise ProofError("no consistency proof from an empty tree")
    if old == size:
        if proof:
            raise ProofError("a proof between equal sizes must be empty")
        if old_root != new_root:
            raise ProofError("roots differ for equal sizes")
        return
    if not proof:
        raise ProofError("empty consistency proof")
    path = list(proof)
    if old & (old - 1) == 0:  # old is a power of two: its root is the first node
        path.insert(0, old_root)
    fn, sn = old - 1, size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    if fr != old_root or sr != new_root:
        raise ProofError("consistency proof does not match the roots")


class MemoryTree:
    """An in-memory tree keeping every perfect subtree, for tests and exports."""

    def __init__(self) -> None:
        self.levels: list[list[bytes]] = [[]]

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append_hash(self, h: bytes) -> None:
        level, value = 0, h
        while True:
            row = self.levels[level]
            row.append(value)
            if len(row) % 2:
                return
            value = node_hash(row[-2], row[-1])
            level += 1
            if level == len(self.levels):
                self.levels.append([])

    def append(self, data: bytes) -> None:
        self.append_hash(leaf_hash(data))

    def node(self, level: int, index: int) -> bytes:
        return self.levels[level][index]

    def read_hashes(self, keys: Sequence[int]) -> dict[int, bytes]:
        """This tree as a :data:`HashReader`."""
        out = {}
        for key in keys:
            level = key_level(key)
            out[key] = self.levels[level][key >> (level + 1)]
        return out

    def root(self, size: int | None = None) -> bytes:
        return root(self.read_hashes, self.size if size is None else size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        return inclusion_proof(self.read_hashes, index, size)

    def consistency_proof(self, old: int, size: int) -> list[bytes]:
        return consistency_proof(self.read_hashes, old, size)
