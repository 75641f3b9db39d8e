"""Bundles (ledger/bundle.py) on a synthetic log: a bundle round-trips, and each part tampered
with — an entry's byte, a proof's hash, the checkpoint, a chain's missing version, a wrong log
key, the manifest — is refused with a message naming it."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from ledger import merkle
from ledger.bundle import (
    ENTRIES_FILE,
    MANIFEST_FILE,
    README_FILE,
    SIGNATURE_FILE,
    BundleError,
    build_bundle,
    open_bundle,
    read_members,
)
from ledger.canonical import canonical_json
from ledger.entry import Entry, entry_hash
from ledger.keys import SigningKey
from ledger.log import SignedCheckpoint
from ledger.note import Checkpoint, NoteSigner, sign_note

SIGNER = NoteSigner("bundle.example/log", SigningKey.generate())
T0 = datetime(2025, 1, 1, tzinfo=UTC)
PLAN = ["elevator:A", "organization:X", "elevator:B", "elevator:A", "organization:X"] * 4


class MemoryLog:
    """A log in memory with a signed checkpoint over everything appended."""

    def __init__(self, entries: Sequence[bytes]) -> None:
        self.origin = SIGNER.name
        self.entries = list(entries)
        self.tree = merkle.MemoryTree()
        for data in entries:
            self.tree.append(data)

    def latest_checkpoint(self) -> SignedCheckpoint:
        root = self.tree.root()
        note = Checkpoint(self.origin, self.tree.size, root).sign(SIGNER)
        return SignedCheckpoint(self.tree.size, root, note)

    def inclusion_proofs(self, indices: Sequence[int], size: int) -> list[list[bytes]]:
        return merkle.inclusion_proofs(self.tree.read_hashes, indices, size)

    def chain(self, subject: str) -> list[tuple[int, bytes]]:
        return [
            (i, d) for i, d in enumerate(self.entries) if Entry.from_bytes(d).subject == subject
        ]


def synthetic_log() -> MemoryLog:
    heads: dict[str, tuple[int, str | None]] = {}
    out = []
    for n, subject in enumerate(PLAN):
        version, prev = heads.get(subject, (0, None))
        payload = base64.b64encode(f'{{"n": {n}}}'.encode()).decode()
        envelope = {"payloadType": "x", "payload": payload, "signatures": []}
        data = Entry(envelope, subject, version + 1, prev, T0 + timedelta(minutes=n)).to_bytes()
        heads[subject] = (version + 1, entry_hash(data))
        out.append(data)
    return MemoryLog(out)


def bundle_of(log: MemoryLog, chains: Sequence[str] = ("elevator:A", "organization:X")) -> bytes:
    return build_bundle(
        log,
        SIGNER,
        "elevator:A",
        {s: log.chain(s) for s in chains},
        T0 + timedelta(days=1),
        {"equipment_code": "A"},
        "说明\n",
    )


def rezip(data: bytes, change: Callable[[dict[str, bytes]], None]) -> bytes:
    members = read_members(data)
    change(members)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return out.getvalue()


def resigned(members: dict[str, bytes], manifest: dict[str, object]) -> None:
    """What only the log's operator could do: a new manifest, signed by the log key."""
    text = canonical_json(manifest).decode() + "\n"
    members[MANIFEST_FILE] = text.encode()
    members[SIGNATURE_FILE] = sign_note(text, [SIGNER]).encode()


def refused(data: bytes, *words: str) -> str:
    with pytest.raises(BundleError) as caught:
        open_bundle(data, SIGNER.verifier)
    message = str(caught.value)
    for word in words:
        assert word in message, message
    return message


def test_a_bundle_round_trips_with_its_chains_whole_and_in_version_order() -> None:
    log = synthetic_log()
    opened = open_bundle(bundle_of(log), SIGNER.verifier)
    assert opened.subject == "elevator:A" and opened.extra == {"equipment_code": "A"}
    assert sorted(opened.chains) == ["elevator:A", "organization:X"]
    assert [e.entry.version for e in opened.chains["elevator:A"]] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert [e.index for e in opened.chains["organization:X"]] == [1, 4, 6, 9, 11, 14, 16, 19]
    assert opened.checkpoint.size == len(PLAN) and opened.entry_count == 16
    assert not opened.key_from_bundle
    assert read_members(bundle_of(log))[README_FILE].decode() == "说明\n"


def test_the_same_log_and_instant_give_the_same_bytes() -> None:
    log = synthetic_log()
    assert bundle_of(log) == bundle_of(log)


def test_without_a_pinned_key_the_bundles_own_is_used_and_said_so() -> None:
    opened = open_bundle(bundle_of(synthetic_log()), None)
    assert opened.key_from_bundle and opened.verifier == SIGNER.verifier


def test_a_changed_byte_of_an_entry_is_named_by_its_index() -> None:
    def flip(members: dict[str, bytes]) -> None:
        lines = members[ENTRIES_FILE].split(b"\n")
        doc = orjson.loads(lines[2])
        doc["entry"] = doc["entry"].replace("2025-01-01T00:03", "2025-01-01T00:04")
        lines[2] = orjson.dumps(doc)
        members[ENTRIES_FILE] = b"\n".join(lines)
        manifest = orjson.loads(members[MANIFEST_FILE])
        manifest["entries_sha256"] = hashlib.sha256(members[ENTRIES_FILE]).hexdigest()
        resigned(members, manifest)

    refused(rezip(bundle_of(synthetic_log()), flip), "entry 3", "not the entry the signed manifest")


def test_an_entry_changed_without_the_log_key_breaks_the_entries_digest() -> None:
    def flip(members: dict[str, bytes]) -> None:
        members[ENTRIES_FILE] = members[ENTRIES_FILE].replace(b"00:03", b"00:04", 1)

    refused(rezip(bundle_of(synthetic_log()), flip), ENTRIES_FILE, "SHA-256")


def test_a_changed_hash_of_an_inclusion_proof_is_named_by_its_entry() -> None:
    def flip(members: dict[str, bytes]) -> None:
        lines = members[ENTRIES_FILE].split(b"\n")
        doc = orjson.loads(lines[0])
        first = bytearray(base64.b64decode(doc["proof"][0]))
        first[0] ^= 1
        doc["proof"][0] = base64.b64encode(bytes(first)).decode()
        lines[0] = orjson.dumps(doc)
        members[ENTRIES_FILE] = b"\n".join(lines)
        manifest = orjson.loads(members[MANIFEST_FILE])
        manifest["entries_sha256"] = hashlib.sha256(members[ENTRIES_FILE]).hexdigest()
        resigned(members, manifest)

    refused(
        rezip(bundle_of(synthetic_log()), flip),
        "entry 0 (elevator:A version 1)",
        "inclusion proof does not lead to the checkpoint's root",
    )


def test_a_checkpoint_not_signed_by_the_log_key_is_refused() -> None:
    def forge(members: dict[str, bytes]) -> None:
        manifest = orjson.loads(members[MANIFEST_FILE])
        other = NoteSigner(SIGNER.name, SigningKey.generate())
        size, root = manifest["size"], base64.b64decode(manifest["root"])
        manifest["checkpoint"] = Checkpoint(SIGNER.name, size, root).sign(other)
        resigned(members, manifest)

    refused(rezip(bundle_of(synthetic_log()), forge), "the checkpoint")


def test_a_checkpoint_of_another_tree_is_refused() -> None:
    def forge(members: dict[str, bytes]) -> None:
        manifest = orjson.loads(members[MANIFEST_FILE])
        manifest["checkpoint"] = Checkpoint(SIGNER.name, 7, bytes(32)).sign(SIGNER)
        resigned(members, manifest)

    refused(rezip(bundle_of(synthetic_log()), forge), "size and root differ from its signed")


def test_a_chain_version_missing_from_the_bundle_is_named() -> None:
    def drop(members: dict[str, bytes]) -> None:
        lines = members[ENTRIES_FILE].split(b"\n")
        manifest = orjson.loads(members[MANIFEST_FILE])
        del lines[2], manifest["entries"][2]  # elevator:A version 2, log index 3
        members[ENTRIES_FILE] = b"\n".join(lines)
        manifest["entries_sha256"] = hashlib.sha256(members[ENTRIES_FILE]).hexdigest()
        resigned(members, manifest)

    refused(
        rezip(bundle_of(synthetic_log()), drop), "elevator:A version 2 is missing from the bundle"
    )


def test_a_chain_cut_short_is_caught_by_the_head_the_log_key_signed() -> None:
    def drop(members: dict[str, bytes]) -> None:
        lines = members[ENTRIES_FILE].split(b"\n")
        manifest = orjson.loads(members[MANIFEST_FILE])
        last = max(i for i, e in enumerate(manifest["entries"]) if e["subject"] == "elevator:A")
        del lines[last], manifest["entries"][last]
        members[ENTRIES_FILE] = b"\n".join(lines)
        manifest["entries_sha256"] = hashlib.sha256(members[ENTRIES_FILE]).hexdigest()
        resigned(members, manifest)  # the head in "chains" still says version 8

    refused(rezip(bundle_of(synthetic_log()), drop), "elevator:A", "another head than version 7")


def test_an_entry_dropped_without_the_log_key_is_refused() -> None:
    def drop(members: dict[str, bytes]) -> None:
        lines = members[ENTRIES_FILE].split(b"\n")
        del lines[-2]
        members[ENTRIES_FILE] = b"\n".join(lines)

    refused(rezip(bundle_of(synthetic_log()), drop), "SHA-256")


def test_a_wrong_log_key_is_refused_before_anything_else() -> None:
    stranger = NoteSigner(SIGNER.name, SigningKey.generate()).verifier
    with pytest.raises(BundleError, match="not the pinned"):
        open_bundle(bundle_of(synthetic_log()), stranger)


def test_a_manifest_swapped_for_another_fails_its_signature() -> None:
    def swap(members: dict[str, bytes]) -> None:
        manifest = orjson.loads(members[MANIFEST_FILE])
        manifest["extra"] = {"equipment_code": "B"}
        members[MANIFEST_FILE] = canonical_json(manifest) + b"\n"

    refused(rezip(bundle_of(synthetic_log()), swap), SIGNATURE_FILE, "another text")


def test_a_bundle_signed_by_another_key_under_the_same_name_is_refused() -> None:
    def forge(members: dict[str, bytes]) -> None:
        text = members[MANIFEST_FILE].decode()
        other = NoteSigner(SIGNER.name, SigningKey.generate())
        members[SIGNATURE_FILE] = sign_note(text, [other]).encode()

    refused(rezip(bundle_of(synthetic_log()), forge), SIGNATURE_FILE)


def test_unknown_members_and_non_zip_files_are_refused() -> None:
    def add(members: dict[str, bytes]) -> None:
        members["evil.sh"] = b"rm -rf /"

    refused(rezip(bundle_of(synthetic_log()), add), "unexpected members: evil.sh")
    with pytest.raises(BundleError, match="not a readable ZIP"):
        open_bundle(b"not a zip", SIGNER.verifier)


def test_the_readme_is_not_signed_and_not_read() -> None:
    def change(members: dict[str, bytes]) -> None:
        members[README_FILE] = "任何内容".encode()

    opened = open_bundle(rezip(bundle_of(synthetic_log()), change), SIGNER.verifier)
    assert opened.entry_count == 16


def test_a_bundle_whose_subject_has_no_chain_cannot_be_built() -> None:
    log = synthetic_log()
    with pytest.raises(BundleError, match="not among its chains"):
        build_bundle(log, SIGNER, "elevator:C", {"elevator:A": log.chain("elevator:A")}, T0)
