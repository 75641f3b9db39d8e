"""The offline log audit on a synthetic log: a sound log passes, and every kind of damage is
reported as the first bad entry, by index, with a one-line reason."""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ledger import merkle
from ledger.audit import (
    AuditResult,
    ConsistencyError,
    Finding,
    LogAuditor,
    SeenCheckpoints,
    audit_log,
    check_consistency,
)
from ledger.entry import Entry, entry_hash
from ledger.keys import SigningKey
from ledger.note import Checkpoint, NoteSigner, open_checkpoint

SIGNER = NoteSigner("audit.example/log", SigningKey.generate())
VERIFIER = SIGNER.verifier
T0 = datetime(2024, 1, 1, tzinfo=UTC)
# subjects in log order: interleaved chains of different lengths
PLAN = ["elevator:A", "elevator:B", "elevator:A", "organization:X", "elevator:B", "elevator:A"] * 6
Log = list[tuple[int, bytes]]


def envelope(n: int) -> dict[str, object]:
    payload = base64.b64encode(f'{{"statement": {n}}}'.encode()).decode()
    return {
        "payloadType": "application/vnd.example+json",
        "payload": payload,
        "signatures": [{"keyid": "k1", "sig": "c2lnbmF0dXJl"}],
    }


def build(plan: Sequence[str] = PLAN, backdated: int | None = None) -> list[bytes]:
    """Entries chained per subject, as the ledger writes them; with ``backdated``, that entry
    is recorded a day earlier (a consistent rewrite: every later link follows it)."""
    heads: dict[str, tuple[int, str]] = {}
    out: list[bytes] = []
    for n, subject in enumerate(plan):
        version, prev = heads.get(subject, (0, None))
        at = T0 + timedelta(minutes=n) - timedelta(days=1 if n == backdated else 0)
        data = Entry(envelope(n), subject, version + 1, prev, at).to_bytes()
        heads[subject] = (version + 1, entry_hash(data))
        out.append(data)
    return out


def indexed(entries: Sequence[bytes]) -> Log:
    return list(enumerate(entries))


def note_of(entries: Sequence[bytes]) -> str:
    tree = merkle.MemoryTree()
    for data in entries:
        tree.append(data)
    return Checkpoint(SIGNER.name, tree.size, tree.root()).sign(SIGNER)


def checkpoint_of(entries: Sequence[bytes]) -> Checkpoint:
    """The signed checkpoint a log server publishes for these entries, as an auditor opens it."""
    return open_checkpoint(note_of(entries), VERIFIER)


def problem(log: Log, checkpoint: Checkpoint) -> Finding:
    result = audit_log(log, checkpoint)
    assert not result.ok
    assert result.problem is not None
    return result.problem


def successor(entries: Sequence[bytes], index: int) -> int:
    """The next entry of the same subject."""
    subject = Entry.from_bytes(entries[index]).subject
    return next(
        i for i in range(index + 1, len(entries)) if Entry.from_bytes(entries[i]).subject == subject
    )


def last_of_subject(entries: Sequence[bytes], subject: str) -> int:
    return max(i for i, d in enumerate(entries) if Entry.from_bytes(d).subject == subject)


ENTRIES = build()
CHECKPOINT = checkpoint_of(ENTRIES)


# --- a sound log ---------------------------------------------------------------------------


def test_a_sound_log_passes() -> None:
    result = audit_log(indexed(ENTRIES), CHECKPOINT)
    assert result == AuditResult(len(ENTRIES), CHECKPOINT.root, 3)
    assert result.ok


def test_the_folded_root_is_the_rfc6962_root_at_every_size() -> None:
    tree = merkle.MemoryTree()
    auditor = LogAuditor()
    assert auditor.root() == merkle.EMPTY_ROOT
    for index, data in enumerate(ENTRIES):
        tree.append(data)
        auditor.add(index, data)
        assert auditor.root() == tree.root()


def test_an_empty_log_matches_the_empty_checkpoint() -> None:
    assert audit_log([], checkpoint_of([])).ok


# --- damage, each named by the first bad index ----------------------------------------------


def _with_byte(data: bytes, at: int, new: bytes) -> bytes:
    assert data[at : at + 1] != new
    return data[:at] + new + data[at + 1 :]


def test_a_changed_byte_that_breaks_the_entry_names_it() -> None:
    k = 7
    entries = list(ENTRIES)
    entries[k] = _with_byte(entries[k], 1, b"#")
    found = problem(indexed(entries), CHECKPOINT)
    assert found.index == k
    assert str(found).startswith(f"entry {k}: not a ledger entry")


def test_an_entry_re_encoded_non_canonically_is_named() -> None:
    """Same JSON value, other bytes: the leaf hash would differ from the one signed."""
    k = 7
    entries = list(ENTRIES)
    entries[k] = entries[k].replace(b'"envelope":{', b'"envelope": {', 1)
    assert problem(indexed(entries), CHECKPOINT) == Finding(k, "entry bytes are not canonical")


def test_a_changed_version_digit_names_the_entry() -> None:
    k = 5  # elevator:A version 3
    entries = list(ENTRIES)
    at = entries[k].index(b'"version":3') + len(b'"version":')
    entries[k] = _with_byte(entries[k], at, b"4")
    found = problem(indexed(entries), CHECKPOINT)
    assert found.index == k
    assert "elevator:A version 4 follows version 2 (entry 2); expected version 3" in found.reason


def test_a_changed_byte_inside_a_valid_entry_breaks_the_link_from_its_successor() -> None:
    """A change that keeps the entry well-formed changes its hash: the next entry of the same
    chain no longer links to it, and the reason names the changed entry too."""
    k = 2  # elevator:A version 2
    entries = list(ENTRIES)
    payload = Entry.from_bytes(entries[k]).envelope["payload"]
    at = entries[k].index(payload.encode()) + 3
    entries[k] = _with_byte(entries[k], at, b"Z")
    Entry.from_bytes(entries[k])  # still a well-formed entry
    found = problem(indexed(entries), CHECKPOINT)
    j = successor(ENTRIES, k)
    assert found.index == j
    assert found.reason == f"prev does not match the hash of elevator:A version 2 (entry {k})"


def test_a_changed_byte_in_a_chain_head_is_caught_by_the_root() -> None:
    k = last_of_subject(ENTRIES, "organization:X")
    entries = list(ENTRIES)
    at = entries[k].index(b'"recorded_at":"2024') + len(b'"recorded_at":"')
    entries[k] = _with_byte(entries[k], at + 3, b"5")  # 2024 -> 2025
    found = problem(indexed(entries), CHECKPOINT)
    assert found.index is None
    assert "not to the signed checkpoint's root" in found.reason


def test_a_deleted_entry_is_named() -> None:
    k = 11
    log = indexed(ENTRIES)
    del log[k]
    found = problem(log, CHECKPOINT)
    assert found == Finding(k, f"missing or out of order (entry {k + 1} follows entry {k - 1})")
    assert str(found) == f"entry {k}: missing or out of order (entry {k + 1} follows entry {k - 1})"


def test_a_deleted_entry_with_the_rest_renumbered_breaks_its_chain() -> None:
    k = 2  # elevator:A version 2
    entries = [d for i, d in enumerate(ENTRIES) if i != k]
    found = problem(indexed(entries), CHECKPOINT)
    j = successor(ENTRIES, k) - 1  # elevator:A version 3, one place earlier now
    assert found.index == j
    assert "elevator:A version 3 follows version 1" in found.reason


def test_the_first_entry_missing_is_named() -> None:
    found = problem(indexed(ENTRIES)[1:], CHECKPOINT)
    assert found == Finding(0, "missing or out of order (entry 1 follows the start)")


def test_a_repeated_entry_is_named() -> None:
    log = indexed(ENTRIES)
    log.insert(6, log[5])
    assert problem(log, CHECKPOINT) == Finding(5, "repeated or out of order (found after entry 5)")


def test_two_swapped_entries_are_named() -> None:
    k = 9
    log = indexed(ENTRIES)
    log[k], log[k + 1] = log[k + 1], log[k]
    assert problem(log, CHECKPOINT) == Finding(
        k, f"missing or out of order (entry {k + 1} follows entry {k - 1})"
    )


def test_two_entries_of_one_chain_swapped_and_renumbered_are_named() -> None:
    first = 2
    second = successor(ENTRIES, first)
    entries = list(ENTRIES)
    entries[first], entries[second] = entries[second], entries[first]
    found = problem(indexed(entries), CHECKPOINT)
    assert found.index == first
    assert "elevator:A version 3 follows version 1" in found.reason


def test_two_entries_of_different_chains_swapped_and_renumbered_are_caught_by_the_root() -> None:
    entries = list(ENTRIES)
    entries[3], entries[4] = entries[4], entries[3]  # organization:X v1 and elevator:B v2
    found = problem(indexed(entries), CHECKPOINT)
    assert found.index is None and "checkpoint's root" in found.reason


def _relinked(k: int, prev: str | None, version: int | None = None) -> list[bytes]:
    """The log with entry ``k`` re-made (and everything re-signed by the server), so only the
    chain check can notice."""
    entries = list(ENTRIES)
    old = Entry.from_bytes(entries[k])
    version = old.version if version is None else version
    entries[k] = Entry(old.envelope, old.subject, version, prev, old.recorded_at).to_bytes()
    return entries


def test_a_broken_prev_link_is_named() -> None:
    k = 5  # elevator:A version 3; its prev should be entry 2's hash
    entries = _relinked(k, entry_hash(ENTRIES[0]))
    found = problem(indexed(entries), checkpoint_of(entries))
    assert (
        str(found) == f"entry {k}: prev does not match the hash of elevator:A version 2 (entry 2)"
    )


def test_a_first_version_with_a_prev_is_named() -> None:
    entries = _relinked(1, entry_hash(ENTRIES[0]))
    assert problem(indexed(entries), checkpoint_of(entries)) == Finding(
        1, "elevator:B version 1 has a prev"
    )


def test_a_chain_starting_beyond_version_1_is_named() -> None:
    entries = _relinked(3, None, version=2)
    assert problem(indexed(entries), checkpoint_of(entries)) == Finding(
        3, "organization:X starts at version 2, not version 1"
    )


def test_a_checkpoint_for_another_root_is_refused() -> None:
    other = Checkpoint(SIGNER.name, CHECKPOINT.size, merkle.leaf_hash(b"another tree"))
    found = problem(indexed(ENTRIES), other)
    assert found.index is None
    assert found.reason.startswith(f"the {len(ENTRIES)} entries hash to ")


def test_a_checkpoint_for_more_entries_names_the_first_missing() -> None:
    bigger = checkpoint_of([*ENTRIES, b"{}"])
    assert problem(indexed(ENTRIES), bigger) == Finding(
        len(ENTRIES), f"the checkpoint covers {len(ENTRIES) + 1} entries, the log holds 36"
    )


def test_a_checkpoint_for_fewer_entries_is_refused() -> None:
    found = problem(indexed(ENTRIES), checkpoint_of(ENTRIES[:-1]))
    assert found.index is None and "covers 35 entries, the log holds 36" in found.reason


def test_the_first_problem_wins() -> None:
    entries = list(ENTRIES)
    entries[20] = b"not json"
    log = indexed(entries)
    del log[4]
    assert problem(log, CHECKPOINT).index == 4


# --- earlier checkpoints --------------------------------------------------------------------


def test_earlier_checkpoints_must_be_prefixes() -> None:
    earlier = [checkpoint_of(ENTRIES[:n]) for n in (0, 1, 7, 16, 36)]
    assert audit_log(indexed(ENTRIES), CHECKPOINT, earlier).ok

    rewritten = build(backdated=12)  # a server rewrote entry 12 consistently and re-signed
    assert audit_log(indexed(rewritten), checkpoint_of(rewritten), earlier[:3]).ok
    found = problem_with(indexed(rewritten), checkpoint_of(rewritten), [earlier[3]])
    assert found.index is None
    assert found.reason.startswith("the first 16 entries do not hash to the root of the checkpoint")
    assert "the log was rewritten" in found.reason


def test_an_earlier_checkpoint_beyond_the_log_means_truncation() -> None:
    found = problem_with(
        indexed(ENTRIES[:20]), checkpoint_of(ENTRIES[:20]), [checkpoint_of(ENTRIES)]
    )
    assert found.index is None and "the log was truncated" in found.reason


def problem_with(log: Log, checkpoint: Checkpoint, earlier: list[Checkpoint]) -> Finding:
    result = audit_log(log, checkpoint, earlier)
    assert result.problem is not None
    return result.problem


# --- consistency between checkpoints ----------------------------------------------------------


def _tree(entries: Sequence[bytes]) -> merkle.MemoryTree:
    tree = merkle.MemoryTree()
    for data in entries:
        tree.append(data)
    return tree


@pytest.mark.parametrize(("old", "new"), [(1, 36), (7, 16), (16, 36), (35, 36), (36, 36)])
def test_consistent_checkpoints_pass(old: int, new: int) -> None:
    tree = _tree(ENTRIES)
    proof = tree.consistency_proof(old, new) if old < new else []
    got = check_consistency(note_of(ENTRIES[:old]), note_of(ENTRIES[:new]), proof, VERIFIER)
    assert (got.size, got.root) == (new, tree.root(new))


def test_any_checkpoint_extends_the_empty_one() -> None:
    assert check_consistency(note_of([]), note_of(ENTRIES), [], VERIFIER).size == len(ENTRIES)


def test_a_smaller_checkpoint_is_a_shrunk_log() -> None:
    with pytest.raises(ConsistencyError, match="the log shrank"):
        check_consistency(note_of(ENTRIES), note_of(ENTRIES[:10]), [], VERIFIER)


def test_two_roots_for_one_size_are_a_fork() -> None:
    forked = _relinked(5, None)
    with pytest.raises(ConsistencyError, match="the log forked"):
        check_consistency(note_of(ENTRIES), note_of(forked), [], VERIFIER)


def test_a_rewritten_prefix_has_no_consistency_proof() -> None:
    rewritten = [*_relinked(5, None), *build(["elevator:C"] * 4)]
    proof = _tree(rewritten).consistency_proof(16, len(rewritten))
    with pytest.raises(ConsistencyError, match="not consistent with the one of size 16"):
        check_consistency(note_of(ENTRIES[:16]), note_of(rewritten), proof, VERIFIER)


def test_checkpoints_must_be_signed_by_the_log_key() -> None:
    stranger = NoteSigner(SIGNER.name, SigningKey.generate())
    tree = _tree(ENTRIES)
    forged = Checkpoint(SIGNER.name, tree.size, tree.root()).sign(stranger)
    with pytest.raises(ConsistencyError, match="not signed by any known key"):
        check_consistency(note_of(ENTRIES[:5]), forged, tree.consistency_proof(5, 36), VERIFIER)


# --- the auditor's memory of checkpoints ------------------------------------------------------


def test_seen_checkpoints_remember_the_latest_and_pin_the_keys(tmp_path: Path) -> None:
    seen = SeenCheckpoints(tmp_path / "state" / "seen.json")
    assert seen.get(VERIFIER) is None
    seen.remember(VERIFIER, note_of(ENTRIES[:7]), {"authority": "A key-a"})
    seen.remember(VERIFIER, note_of(ENTRIES), {"authority": "A key-a"})
    got = seen.get(VERIFIER, {"authority": "A key-a"})
    assert got is not None and got.checkpoint == CHECKPOINT and got.note == note_of(ENTRIES)

    with pytest.raises(
        ConsistencyError, match=re.escape("the authority of audit.example/log is A key-b")
    ):
        seen.get(VERIFIER, {"authority": "A key-b"})
    impostor = NoteSigner(SIGNER.name, SigningKey.generate()).verifier
    with pytest.raises(ConsistencyError, match=re.escape("the log key of audit.example/log is ")):
        seen.get(impostor)
    other = NoteSigner("another.example/log", SigningKey.generate()).verifier
    assert seen.get(other) is None
