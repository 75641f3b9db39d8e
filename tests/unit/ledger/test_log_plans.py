"""The log's proof plans (which perfect subtrees each proof hash folds) give exactly the
reference proofs of ``ledger/merkle.py``, for every small tree and for random large ones."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import merkle
from ledger.log import Plan, consistency_plan, inclusion_plan, node_key


def _virtual(level: int, index: int) -> bytes:
    """A consistent stand-in for any tree: each perfect subtree gets its own hash."""
    return hashlib.sha256(b"%d/%d" % (level, index)).digest()


def _hashes(read: merkle.NodeReader, plan: Plan) -> list[bytes]:
    out = []
    for pieces in plan:
        parts = []
        for level, key in pieces:
            index = key >> (level + 1)
            assert node_key(level, index) == key
            parts.append(read(level, index))
        acc = parts[-1]
        for part in reversed(parts[:-1]):
            acc = merkle.node_hash(part, acc)
        out.append(acc)
    return out


def test_every_proof_of_every_small_tree_matches_the_reference() -> None:
    tree = merkle.MemoryTree()
    for i in range(70):
        tree.append(b"leaf %d" % i)
    for size in range(1, tree.size + 1):
        for index in range(size):
            expected = merkle.inclusion_proof(tree.node, index, size)
            assert _hashes(tree.node, inclusion_plan(index, size)) == expected
        for old in range(1, size + 1):
            expected = merkle.consistency_proof(tree.node, old, size)
            assert _hashes(tree.node, consistency_plan(old, size)) == expected


sizes = st.one_of(st.integers(1, 2**40), st.integers(1, 40).map(lambda b: 2**b))


@settings(max_examples=400)
@given(sizes, st.data())
def test_inclusion_plans_of_large_trees_match_the_reference(size: int, data: st.DataObject) -> None:
    index = data.draw(st.one_of(st.integers(0, size - 1), st.sampled_from([0, size - 1])))
    expected = merkle.inclusion_proof(_virtual, index, size)
    assert _hashes(_virtual, inclusion_plan(index, size)) == expected


@settings(max_examples=400)
@given(sizes, st.data())
def test_consistency_plans_of_large_trees_match_the_reference(
    size: int, data: st.DataObject
) -> None:
    old = data.draw(st.one_of(st.integers(1, size), st.sampled_from([1, size])))
    expected = merkle.consistency_proof(_virtual, old, size)
    assert _hashes(_virtual, consistency_plan(old, size)) == expected
