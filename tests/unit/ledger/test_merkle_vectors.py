"""The Merkle code agrees with transparency-dev/merkle's published vectors."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from ledger.merkle import MemoryTree, ProofError, verify_consistency, verify_inclusion
from tests.conftest import VECTORS


def _cases(kind: str) -> list[Path]:
    return sorted((VECTORS / "merkle" / kind).rglob("*.json"))


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value) if value else b""


def _proof(case: dict[str, Any]) -> list[bytes]:
    return [_b64(p) for p in case["proof"] or []]


def test_all_196_vector_files_are_present() -> None:
    assert len(_cases("inclusion")) + len(_cases("consistency")) == 196


@pytest.mark.parametrize("path", _cases("inclusion"), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_inclusion_vector(path: Path) -> None:
    case = json.loads(path.read_text())
    args = (case["leafIdx"], case["treeSize"], _b64(case["leafHash"]), _proof(case))
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args, _b64(case["root"]))
    else:
        verify_inclusion(*args, _b64(case["root"]))


@pytest.mark.parametrize("path", _cases("consistency"), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_consistency_vector(path: Path) -> None:
    case = json.loads(path.read_text())
    args = (case["size1"], case["size2"], _b64(case["root1"]), _b64(case["root2"]), _proof(case))
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


def test_reference_roots_for_sizes_0_to_8() -> None:
    ref = json.loads((VECTORS / "signed-note.json").read_text())["reference_tree"]
    tree = MemoryTree()
    for size, leaf in enumerate([*ref["leaves_hex"], None]):
        assert tree.root().hex() == ref["roots_hex"][size]
        if leaf is not None:
            tree.append(bytes.fromhex(leaf))


def test_generated_proofs_match_the_happy_path_vectors() -> None:
    ref = json.loads((VECTORS / "signed-note.json").read_text())["reference_tree"]
    tree = MemoryTree()
    for leaf in ref["leaves_hex"]:
        tree.append(bytes.fromhex(leaf))
    for path in _cases("inclusion"):
        case = json.loads(path.read_text())
        if path.stem == "happy-path" and case["treeSize"] <= 8:
            assert tree.inclusion_proof(case["leafIdx"], case["treeSize"]) == _proof(case)
    for path in _cases("consistency"):
        case = json.loads(path.read_text())
        if path.stem == "happy-path" and 0 < case["size1"] < case["size2"] <= 8:
            assert tree.consistency_proof(case["size1"], case["size2"]) == _proof(case)


def test_vectors_match_the_shared_copy() -> None:
    """The vendored vectors are byte-identical to ../shared/vectors wherever that exists."""
    from tests.conftest import SHARED_VECTORS

    if not SHARED_VECTORS.is_dir():
        return  # a clone outside the workspace: the vendored copy is the reference
    shared = {
        p.relative_to(SHARED_VECTORS): p.read_bytes()
        for p in SHARED_VECTORS.rglob("*")
        if p.is_file()
    }
    ours = {p.relative_to(VECTORS): p.read_bytes() for p in VECTORS.rglob("*") if p.is_file()}
    assert ours == shared
