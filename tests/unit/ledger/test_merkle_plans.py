"""The proof plans of ``ledger/merkle.py`` (which perfect subtrees each proof hash folds,
read in one batch) give exactly the proofs of RFC 6962 §2.1 computed literally, by its
recursion, for every small tree and for random large ones."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import merkle

NodeReader = Callable[[int, int], bytes]  # (level, index) -> hash of that perfect subtree


def _virtual(level: int, index: int) -> bytes:
    """A consistent stand-in for any tree: each perfect subtree gets its own hash."""
    return hashlib.sha256(b"%d/%d" % (level, index)).digest()


def _batched(read: NodeReader) -> merkle.HashReader:
    """``read`` as a batched reader of flat-tree keys, checking each key it is given."""

    def read_hashes(keys: Sequence[int]) -> dict[int, bytes]:
        assert len(set(keys)) == len(keys), "a key asked for twice"
        out = {}
        for key in keys:
            level = merkle.key_level(key)
            index = key >> (level + 1)
            assert merkle.node_key(level, index) == key
            out[key] = read(level, index)
        return out

    return read_hashes


# RFC 6962 §2.1 as written: MTH, PATH and PROOF by recursion over the leaf range.


def _mth(read: NodeReader, start: int, end: int) -> bytes:
    n = end - start
    if n & (n - 1) == 0:  # a perfect subtree (RFC recursion keeps such ranges aligned)
        level = n.bit_length() - 1
        return read(level, start >> level)
    k = 1 << ((n - 1).bit_length() - 1)
    return merkle.node_hash(_mth(read, start, start + k), _mth(read, start + k, end))


def _path(read: NodeReader, m: int, start: int, end: int) -> list[bytes]:
    n = end - start
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m - start < k:
        return [*_path(read, m, start, start + k), _mth(read, start + k, end)]
    return [*_path(read, m, start + k, end), _mth(read, start, start + k)]


def _subproof(read: NodeReader, m: int, start: int, end: int, b: bool) -> list[bytes]:
    n = end - start
    if m - start == n:
        return [] if b else [_mth(read, start, end)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m - start <= k:
        return [*_subproof(read, m, start, start + k, b), _mth(read, start + k, end)]
    return [*_subproof(read, m, start + k, end, False), _mth(read, start, start + k)]


def test_every_proof_of_every_small_tree_matches_the_reference() -> None:
    tree = merkle.MemoryTree()
    for i in range(70):
        tree.append(b"leaf %d" % i)
    read = _batched(tree.node)
    for size in range(1, tree.size + 1):
        assert merkle.root(read, size) == _mth(tree.node, 0, size)
        for index in range(size):
            expected = _path(tree.node, index, 0, size)
            assert merkle.inclusion_proof(read, index, size) == expected
        for old in range(1, size + 1):
            expected = _subproof(tree.node, old, 0, size, True)
            assert merkle.consistency_proof(read, old, size) == expected


sizes = st.one_of(st.integers(1, 2**40), st.integers(1, 40).map(lambda b: 2**b))


@settings(max_examples=400)
@given(sizes, st.data())
def test_inclusion_plans_of_large_trees_match_the_reference(size: int, data: st.DataObject) -> None:
    index = data.draw(st.one_of(st.integers(0, size - 1), st.sampled_from([0, size - 1])))
    expected = _path(_virtual, index, 0, size)
    assert merkle.inclusion_proof(_batched(_virtual), index, size) == expected


@settings(max_examples=400)
@given(sizes, st.data())
def test_consistency_plans_of_large_trees_match_the_reference(
    size: int, data: st.DataObject
) -> None:
    old = data.draw(st.one_of(st.integers(1, size), st.sampled_from([1, size])))
    expected = _subproof(_virtual, old, 0, size, True)
    assert merkle.consistency_proof(_batched(_virtual), old, size) == expected


_TREE = merkle.MemoryTree()
for _i in range(300):
    _TREE.append(b"leaf %d" % _i)


@settings(max_examples=200)
@given(st.integers(1, _TREE.size), st.data())
def test_a_batch_of_proofs_is_read_in_one_call_and_matches_the_reference(
    size: int, data: st.DataObject
) -> None:
    """Proofs of a batch just appended are built together from the leaves at its end, the
    others from their own plans: all from one read."""
    tail = data.draw(st.integers(1, min(size, 64)))
    others = data.draw(st.lists(st.integers(0, size - 1), max_size=6))
    indices = [*range(size - tail, size), *others]
    calls = []
    read = _batched(_TREE.node)

    def counted(keys: Sequence[int]) -> Mapping[int, bytes]:
        calls.append(len(keys))
        return read(keys)

    proofs = merkle.inclusion_proofs(counted, indices, size)
    assert proofs == [_path(_TREE.node, i, 0, size) for i in indices]
    assert len(calls) == 1
