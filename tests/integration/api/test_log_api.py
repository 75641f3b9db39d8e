"""The log's HTTP read API: checkpoints, key, exact entry bytes, proofs, problem+json errors."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.node import LedgerNode, initialise
from api.settings import Settings
from ledger import merkle
from ledger.note import NoteVerifier, open_checkpoint

ENTRIES = [f'{{"n":{i},"text":"电梯"}}'.encode() for i in range(11)]


@pytest.fixture
def node(tmp_path: Path, database_url: str) -> Iterator[LedgerNode]:
    node, _ = initialise(Settings(home=tmp_path, database_url=database_url))
    yield node
    node.close()


@pytest.fixture
def client(node: LedgerNode) -> Iterator[TestClient]:
    node.log.append(ENTRIES[:4])
    node.log.append(ENTRIES[4:])
    with TestClient(create_app(node=node)) as client:
        yield client


def _tree() -> merkle.MemoryTree:
    tree = merkle.MemoryTree()
    for e in ENTRIES:
        tree.append(e)
    return tree


def test_checkpoint_is_a_signed_note_verifiable_with_the_published_key(client: TestClient) -> None:
    key = client.get("/v1/log/key")
    assert key.headers["content-type"].startswith("text/plain")
    verifier = NoteVerifier.parse(key.text)
    response = client.get("/v1/log/checkpoint")
    assert response.headers["content-type"].startswith("text/plain")
    cp = open_checkpoint(response.text, verifier)
    assert cp.size == len(ENTRIES) and cp.root == _tree().root()


def test_entries_are_served_as_their_exact_bytes(client: TestClient) -> None:
    for i, data in enumerate(ENTRIES):
        assert client.get(f"/v1/log/entries/{i}").content == data


def test_inclusion_proofs_verify_against_the_checkpoint(client: TestClient) -> None:
    root = _tree().root()
    for i in range(len(ENTRIES)):
        body = client.get("/v1/log/proof/inclusion", params={"index": i}).json()
        proof = [base64.b64decode(p) for p in body["proof"]]
        leaf = merkle.leaf_hash(client.get(f"/v1/log/entries/{i}").content)
        assert base64.b64decode(body["leaf_hash"]) == leaf
        merkle.verify_inclusion(i, body["size"], leaf, proof, root)


def test_consistency_proofs_link_old_checkpoints_to_new(client: TestClient) -> None:
    tree = _tree()
    body = client.get("/v1/log/proof/consistency", params={"old": 4, "size": 11}).json()
    proof = [base64.b64decode(p) for p in body["proof"]]
    merkle.verify_consistency(4, 11, tree.root(4), tree.root(11), proof)


@pytest.mark.parametrize(
    "url, status, slug",
    [
        ("/v1/log/entries/11", 404, "no-such-entry"),
        ("/v1/log/entries/-1", 422, "invalid-request"),
        ("/v1/log/entries/abc", 422, "invalid-request"),
        ("/v1/log/entries/99999999999999999999999", 422, "invalid-request"),
        ("/v1/log/proof/inclusion?index=11&size=11", 400, "out-of-range"),
        ("/v1/log/proof/inclusion?index=0&size=12", 400, "out-of-range"),
        ("/v1/log/proof/inclusion?index=x", 422, "invalid-request"),
        ("/v1/log/proof/inclusion", 422, "invalid-request"),
        ("/v1/log/proof/consistency?old=0&size=5", 422, "invalid-request"),
        ("/v1/log/proof/consistency?old=6&size=5", 400, "out-of-range"),
        ("/v1/log/nothing-here", 404, "not-found"),
    ],
)
def test_bad_parameters_get_problem_details(
    client: TestClient, url: str, status: int, slug: str
) -> None:
    response = client.get(url)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/" + slug) and body["status"] == status and body["detail"]
