"""For random logs every generated proof verifies, and any change makes it fail."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.merkle import (
    MemoryTree,
    ProofError,
    batch_inclusion_proofs,
    perfect_subtrees,
    verify_consistency,
    verify_inclusion,
)

leaves = st.lists(st.binary(max_size=12), min_size=1, max_size=70, unique=True)


def _tree(data: list[bytes]) -> MemoryTree:
    tree = MemoryTree()
    for d in data:
        tree.append(d)
    return tree


def _flip(h: bytes, bit: int) -> bytes:
    b = bytearray(h)
    b[(bit // 8) % len(b)] ^= 1 << (bit % 8)
    return bytes(b)


@settings(max_examples=150)
@given(leaves, st.data())
def test_inclusion_proofs_verify_and_any_change_breaks_them(
    data: list[bytes], draw: st.DataObject
) -> None:
    tree = _tree(data)
    size = draw.draw(st.integers(1, tree.size))
    index = draw.draw(st.integers(0, size - 1))
    proof, root, leaf = tree.inclusion_proof(index, size), tree.root(size), tree.node(0, index)
    verify_inclusion(index, size, leaf, proof, root)
    bit = draw.draw(st.integers(0, 255))
    with pytest.raises(ProofError):
        verify_inclusion(index, size, _flip(leaf, bit), proof, root)
    with pytest.raises(ProofError):
        verify_inclusion(index, size, leaf, proof, _flip(root, bit))
    if proof:
        i = draw.draw(st.integers(0, len(proof) - 1))
        bad = [*proof[:i], _flip(proof[i], bit), *proof[i + 1 :]]
        with pytest.raises(ProofError):
            verify_inclusion(index, size, leaf, bad, root)
    other = draw.draw(st.integers(0, size - 1))
    if other != index:
        with pytest.raises(ProofError):
            verify_inclusion(other, size, leaf, proof, root)
    # A checkpoint binds size and root: the proof fails against another size's root.
    if tree.size > index + 1:
        other_size = draw.draw(st.integers(index + 1, tree.size).filter(lambda s: s != size))
        with pytest.raises(ProofError):
            verify_inclusion(index, other_size, leaf, proof, tree.root(other_size))


@settings(max_examples=60)
@given(leaves)
def test_consistency_holds_between_every_pair_of_sizes(data: list[bytes]) -> None:
    tree = _tree(data)
    for old in range(1, tree.size + 1):
        for new in range(old, tree.size + 1):
            proof = tree.consistency_proof(old, new)
            verify_consistency(old, new, tree.root(old), tree.root(new), proof)


@settings(max_examples=150)
@given(leaves, st.data())
def test_a_tampered_consistency_proof_fails(data: list[bytes], draw: st.DataObject) -> None:
    tree = _tree(data)
    new = draw.draw(st.integers(1, tree.size))
    old = draw.draw(st.integers(1, new))
    proof, r1, r2 = tree.consistency_proof(old, new), tree.root(old), tree.root(new)
    bit = draw.draw(st.integers(0, 255))
    with pytest.raises(ProofError):
        verify_consistency(old, new, _flip(r1, bit), r2, proof)
    with pytest.raises(ProofError):
        verify_consistency(old, new, r1, _flip(r2, bit), proof)
    if proof:
        i = draw.draw(st.integers(0, len(proof) - 1))
        with pytest.raises(ProofError):
            verify_consistency(
                old, new, r1, r2, [*proof[:i], _flip(proof[i], bit), *proof[i + 1 :]]
            )
        with pytest.raises(ProofError):
            verify_consistency(old, new, r1, r2, proof[:-1])
    with pytest.raises(ProofError):
        verify_consistency(old, new, r1, r2, [*proof, r1])


@settings(max_examples=150)
@given(leaves, st.data())
def test_proofs_built_together_equal_proofs_built_one_by_one(
    data: list[bytes], draw: st.DataObject
) -> None:
    """A batch's proofs come from the leaves from its first index on and the perfect subtrees
    left of it, nothing else."""
    tree = _tree(data)
    size = draw.draw(st.integers(1, tree.size))
    indices = draw.draw(st.lists(st.integers(0, size - 1), min_size=1, max_size=20))
    lo = min(indices)
    known = {(i << lv, (i + 1) << lv): tree.node(lv, i) for lv, i in perfect_subtrees(0, lo)}
    known.update(((i, i + 1), tree.node(0, i)) for i in range(lo, size))
    proofs = batch_inclusion_proofs(indices, size, known)
    assert proofs == [tree.inclusion_proof(i, size) for i in indices]
    if lo > 0:  # the subtrees left of the first index are needed, not guessed
        (missing, *_) = known
        del known[missing]
        with pytest.raises(KeyError):
            batch_inclusion_proofs(indices, size, known)
