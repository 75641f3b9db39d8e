"""``LogReader``: every read of the log, and no key: it cannot append or sign.

What follows the log without writing it (the read models' process) opens a reader, so the log's
private key never reaches that process.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import Engine

from ledger.keys import SigningKey
from ledger.log import LogReader, MerkleLog
from ledger.note import NoteSigner, open_checkpoint

ORIGIN = "ledger.test.example/elevators"


def test_a_reader_reads_what_the_log_wrote(engine: Engine) -> None:
    signer = NoteSigner(ORIGIN, SigningKey.generate())
    log = MerkleLog(engine, signer)
    entries = [os.urandom(20) for _ in range(300)]
    for start in range(0, 300, 70):
        log.append(entries[start : start + 70])
    reader = LogReader(engine, ORIGIN)

    assert reader.origin == log.origin == ORIGIN
    assert reader.size() == log.size() == 300
    assert reader.entry(7) == entries[7]
    assert reader.entries(10, 20) == entries[10:20]
    assert reader.leaf_hash(5) == log.leaf_hash(5)
    for size in (1, 70, 256, 300):
        assert reader.root(size) == log.root(size)
    assert reader.inclusion_proof(123, 300) == log.inclusion_proof(123, 300)
    assert reader.inclusion_proofs([3, 298, 299], 300) == log.inclusion_proofs([3, 298, 299], 300)
    assert reader.consistency_proof(70, 300) == log.consistency_proof(70, 300)
    latest = reader.latest_checkpoint()
    assert latest == log.latest_checkpoint() and latest.size == 300
    assert reader.checkpoint_at(140) == log.checkpoint_at(140)
    # its checkpoints are the signed ones, checked with the public key only
    assert open_checkpoint(latest.note, signer.verifier).root == reader.root(300)


def test_a_reader_holds_no_signer_and_cannot_sign_or_append(engine: Engine) -> None:
    reader = LogReader(engine, ORIGIN)
    for name in ("signer", "append", "sign_checkpoint", "writer"):
        assert not hasattr(reader, name), name
    assert not any(isinstance(value, NoteSigner) for value in vars(reader).values())
    assert not isinstance(reader, MerkleLog)
    assert issubclass(MerkleLog, LogReader)  # a writing log is also a reader


def test_a_reader_rejects_negative_cache_settings(engine: Engine) -> None:
    with pytest.raises(ValueError):
        LogReader(engine, ORIGIN, cache_level=-1)
    with pytest.raises(ValueError):
        LogReader(engine, ORIGIN, cache_nodes=-1)
