"""The log's HTTP read API: checkpoints, key, exact entry bytes, proofs, problem+json errors."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import initialise
from api.settings import Settings
from ledger import merkle
from ledger.note import NoteVerifier, open_checkpoint

OURS = [f'{{"n":{i},"text":"电梯"}}'.encode() for i in range(11)]


@dataclass
class Served:
    client: TestClient
    entries: list[bytes]  # everything in the log: init's genesis entries, then ours

    def tree(self) -> merkle.MemoryTree:
        tree = merkle.MemoryTree()
        for e in self.entries:
            tree.append(e)
        return tree


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[Served]:
    node, _ = initialise(Settings(home=tmp_path, database_url=database_url))
    node.log.append(OURS[:4])
    node.log.append(OURS[4:])
    with TestClient(create_app(node=node)) as client:
        yield Served(client, node.log.entries(0, node.log.size()))
    node.close()


def test_checkpoint_is_a_signed_note_verifiable_with_the_published_key(served: Served) -> None:
    key = served.client.get("/v1/log/key")
    assert key.headers["content-type"].startswith("text/plain")
    verifier = NoteVerifier.parse(key.text)
    response = served.client.get("/v1/log/checkpoint")
    assert response.headers["content-type"].startswith("text/plain")
    cp = open_checkpoint(response.text, verifier)
    assert cp.size == len(served.entries) and cp.root == served.tree().root()
    assert served.entries[-len(OURS) :] == OURS


def test_entries_are_served_as_their_exact_bytes(served: Served) -> None:
    for i, data in enumerate(served.entries):
        assert served.client.get(f"/v1/log/entries/{i}").content == data


def test_entries_are_served_a_page_at_a_time_one_per_line(served: Served) -> None:
    size = len(served.entries)
    whole = served.client.get("/v1/log/entries", params={"start": 0})
    assert whole.headers["content-type"] == "application/jsonl"
    assert whole.content.split(b"\n") == [*served.entries, b""]
    assert whole.headers["cache-control"] == "no-cache"  # a partial page grows
    page = served.client.get("/v1/log/entries", params={"start": 3, "count": 4})
    assert page.content == b"".join(e + b"\n" for e in served.entries[3:7])
    assert page.headers["cache-control"] == "public, max-age=31536000, immutable"
    tail = served.client.get("/v1/log/entries", params={"start": size - 1, "count": 5})
    assert tail.content == served.entries[-1] + b"\n"


def test_inclusion_proofs_verify_against_the_checkpoint(served: Served) -> None:
    root = served.tree().root()
    for i in range(len(served.entries)):
        body = served.client.get("/v1/log/proof/inclusion", params={"index": i}).json()
        proof = [base64.b64decode(p) for p in body["proof"]]
        leaf = merkle.leaf_hash(served.client.get(f"/v1/log/entries/{i}").content)
        assert base64.b64decode(body["leaf_hash"]) == leaf
        merkle.verify_inclusion(i, body["size"], leaf, proof, root)


def test_consistency_proofs_link_old_checkpoints_to_new(served: Served) -> None:
    tree, size = served.tree(), len(served.entries)
    body = served.client.get("/v1/log/proof/consistency", params={"old": 4, "size": size}).json()
    proof = [base64.b64decode(p) for p in body["proof"]]
    merkle.verify_consistency(4, size, tree.root(4), tree.root(size), proof)


@pytest.mark.parametrize(
    "url, status, slug",
    [
        ("/v1/log/entries/{size}", 404, "no-such-entry"),
        ("/v1/log/entries?start={size}", 404, "no-such-entry"),
        ("/v1/log/entries", 422, "invalid-request"),
        ("/v1/log/entries?start=0&count=0", 422, "invalid-request"),
        ("/v1/log/entries?start=0&count=1001", 422, "invalid-request"),
        ("/v1/log/entries/-1", 422, "invalid-request"),
        ("/v1/log/entries/abc", 422, "invalid-request"),
        ("/v1/log/entries/99999999999999999999999", 422, "invalid-request"),
        ("/v1/log/proof/inclusion?index={size}&size={size}", 400, "out-of-range"),
        ("/v1/log/proof/inclusion?index=0&size={size_plus}", 400, "out-of-range"),
        ("/v1/log/proof/inclusion?index=x", 422, "invalid-request"),
        ("/v1/log/proof/inclusion", 422, "invalid-request"),
        ("/v1/log/proof/consistency?old=0&size=5", 422, "invalid-request"),
        ("/v1/log/proof/consistency?old=6&size=5", 400, "out-of-range"),
        ("/v1/log/nothing-here", 404, "not-found"),
    ],
)
def test_bad_parameters_get_problem_details(
    served: Served, url: str, status: int, slug: str
) -> None:
    size = len(served.entries)
    response = served.client.get(url.format(size=size, size_plus=size + 1))
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/" + slug) and body["status"] == status and body["detail"]
