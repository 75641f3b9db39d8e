"""RFC 6962 Merkle tree hashing, proofs and their verification.

Proof generation follows RFC 6962 §2.1 over a :class:`NodeReader`, which answers
the hash of any *perfect* subtree (``level``, ``index``) covering leaves
``[index * 2**level, (index + 1) * 2**level)``. A store keeps exactly those
nodes, so a root or proof of any size reads O(log n) of them. Verification
follows RFC 9162 §2.1.3.2 and §2.1.4.2.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeReader = Callable[[int, int], bytes]


class ProofError(ValueError):
    """A proof does not verify or a request is out of range."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


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


def range_hash(read: NodeReader, start: int, end: int) -> bytes:
    """MTH(D[start:end]) for a range produced by RFC 6962 recursion."""
    if end == start:
        return EMPTY_ROOT
    parts = [read(level, index) for level, index in perfect_subtrees(start, end)]
    acc = parts[-1]
    for part in reversed(parts[:-1]):
        acc = node_hash(part, acc)
    return acc


def root(read: NodeReader, size: int) -> bytes:
    return range_hash(read, 0, size)


def inclusion_proof(read: NodeReader, index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]) per RFC 6962 §2.1.1."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    proof: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index - start < k:
            proof.append(range_hash(read, start + k, end))
            end = start + k
        else:
            proof.append(range_hash(read, start, start + k))
            start += k
    proof.reverse()
    return proof


def consistency_proof(read: NodeReader, old: int, size: int) -> list[bytes]:
    """PROOF(old, D[0:size]) per RFC 6962 §2.1.2."""
    if not 0 < old <= size:
        raise ProofError(f"no consistency proof from size {old} to size {size}")
    proof: list[bytes] = []
    start, end, complete = 0, size, True
    while old - start != end - start:  # SUBPROOF(m, D[start:end], b)
        k = _split(end - start)
        if old - start <= k:
            proof.append(range_hash(read, start + k, end))
            end = start + k
        else:
            proof.append(range_hash(read, start, start + k))
            start += k
            complete = False
    if not complete:
        proof.append(range_hash(read, start, end))
    proof.reverse()
    return proof


def batch_inclusion_proofs(
    indices: Sequence[int], size: int, known: dict[tuple[int, int], bytes]
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


def needed_nodes(build: Callable[[NodeReader], object]) -> set[tuple[int, int]]:
    """The perfect-subtree nodes ``build`` reads, so a store can fetch them in one query."""
    wanted: set[tuple[int, int]] = set()

    def record(level: int, index: int) -> bytes:
        wanted.add((level, index))
        return EMPTY_ROOT

    build(record)
    return wanted


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

    def root(self, size: int | None = None) -> bytes:
        return root(self.node, self.size if size is None else size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        return inclusion_proof(self.node, index, size)

    def consistency_proof(self, old: int, size: int) -> list[bytes]:
        return consistency_proof(self.node, old, size)
