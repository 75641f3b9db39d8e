"""C2SP signed notes and checkpoints: the published vectors, round trips, strict parsing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.keys import SigningKey
from ledger.note import (
    Checkpoint,
    NoteError,
    NoteSigner,
    NoteVerifier,
    open_checkpoint,
    open_note,
    sign_note,
)
from tests.conftest import VECTORS


def _vectors() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / "signed-note.json").read_text())
    return data


def test_go_sumdb_vector_is_reproduced_byte_for_byte() -> None:
    v = _vectors()["go_sumdb_note"]
    signer = NoteSigner.parse_private(v["private_key"])
    assert signer.private_text() == v["private_key"]
    assert signer.verifier.text() == v["verifier_key"]
    assert sign_note(v["text"], [signer]) == v["text"] + "\n" + v["signature_line"]


def test_c2sp_example_verifies() -> None:
    v = _vectors()["c2sp_example"]
    verifier = NoteVerifier.parse(v["verifier_key"])
    assert verifier.text() == v["verifier_key"]
    note = open_note(v["text"] + "\n" + v["signature_line"], [verifier])
    assert note.text == v["text"] and note.verified_by == ("example.com/foo",)


def _signer(name: str = "log.example/a") -> NoteSigner:
    return NoteSigner(name, SigningKey.generate())


@given(
    origin=st.from_regex(r"[a-z0-9.\-/]{1,40}", fullmatch=True),
    size=st.integers(0, 2**63 - 1),
    root=st.binary(min_size=32, max_size=32),
)
def test_checkpoints_round_trip(origin: str, size: int, root: bytes) -> None:
    signer = NoteSigner(origin, SigningKey.from_raw(bytes(range(32))))
    note = Checkpoint(origin, size, root).sign(signer)
    assert open_checkpoint(note, signer.verifier) == Checkpoint(origin, size, root)


def test_a_note_from_an_unknown_key_only_is_rejected() -> None:
    note = sign_note("hello\n", [_signer()])
    with pytest.raises(NoteError, match="not signed by any known key"):
        open_note(note, [_signer().verifier])


def test_a_bad_signature_from_a_known_key_is_rejected() -> None:
    signer = _signer()
    note = sign_note("hello\n", [signer])
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(note.replace("hello", "hellO"), [signer.verifier])


def test_unknown_cosignatures_are_kept_but_not_trusted() -> None:
    mine, theirs = _signer("a"), _signer("b")
    note = sign_note("text\n", [theirs, mine])
    opened = open_note(note, [mine.verifier])
    assert opened.verified_by == ("a",) and len(opened.signatures) == 2


@pytest.mark.parametrize(
    "mangle",
    [
        lambda n: n[:-1],  # missing final newline
        lambda n: n.replace("text", "te\rxt"),  # control character
        lambda n: n.replace("text", "te\txt"),
        lambda n: n.replace("\n\n", "\n"),  # no signature block
        lambda n: n.replace("\u2014", "-"),  # not an em dash
        lambda n: n + "garbage\n",
    ],
)
def test_malformed_notes_are_rejected(mangle: Any) -> None:
    signer = _signer()
    with pytest.raises(NoteError):
        open_note(mangle(sign_note("text\n", [signer])), [signer.verifier])


@pytest.mark.parametrize(
    "body",
    [
        "o\n01\nAAAA\n",
        "o\n-1\n" + "A" * 43 + "=\n",
        "o\n1\nnot-base64\n",
        "o\n1\n",
        "\n1\nAAAA\n",
        "o\n1\n" + "A" * 43 + "=\n\n",
    ],
)
def test_malformed_checkpoint_bodies_are_rejected(body: str) -> None:
    with pytest.raises(NoteError):
        Checkpoint.parse_text(body)


def test_a_checkpoint_for_another_origin_is_rejected() -> None:
    signer = _signer("log.example/a")
    note = Checkpoint("log.example/b", 1, bytes(32)).sign(signer)
    with pytest.raises(NoteError, match="origin"):
        open_checkpoint(note, signer.verifier)


def test_verifier_key_with_a_wrong_hash_is_rejected() -> None:
    text = _signer().verifier.text()
    name, h, key = text.split("+", 2)
    with pytest.raises(NoteError):
        NoteVerifier.parse(f"{name}+{int(h, 16) ^ 1:08x}+{key}")
