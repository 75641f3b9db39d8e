"""The persistent Merkle log behaves identically on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, text

from ledger import merkle
from ledger.db import make_engine
from ledger.keys import SigningKey
from ledger.log import LogError, MerkleLog
from ledger.migrate import upgrade
from ledger.note import NoteSigner, open_checkpoint

ORIGIN = "ledger.test.example/elevators"


@pytest.fixture
def signer() -> NoteSigner:
    return NoteSigner(ORIGIN, SigningKey.generate())


@pytest.fixture
def log(engine: Engine, signer: NoteSigner) -> MerkleLog:
    return MerkleLog(engine, signer)


def _fill(log: MerkleLog, batches: list[int]) -> merkle.MemoryTree:
    tree = merkle.MemoryTree()
    for n in batches:
        entries = [os.urandom(24) for _ in range(n)]
        log.append(entries)
        for e in entries:
            tree.append(e)
    return tree


def test_an_empty_log_has_size_zero_and_the_empty_root(log: MerkleLog) -> None:
    assert log.size() == 0
    assert log.root(0) == merkle.EMPTY_ROOT
    with pytest.raises(LogError):
        log.latest_checkpoint()


def test_entries_are_stored_byte_for_byte(log: MerkleLog) -> None:
    data = [b'{"a":1}', b"\x00\xff binary", "统一社会信用代码".encode()]
    result = log.append(data)
    assert result.first_index == 0 and result.size == 3
    assert [log.entry(i) for i in range(3)] == data
    assert log.entries(1, 3) == data[1:]
    assert log.leaf_hash(1) == merkle.leaf_hash(data[1])
    with pytest.raises(LogError):
        log.entry(3)


def test_roots_and_proofs_match_an_in_memory_tree(log: MerkleLog) -> None:
    tree = _fill(log, [1, 2, 3, 5, 8, 13, 21, 1, 1, 10])
    for size in range(1, tree.size + 1):
        assert log.root(size) == tree.root(size)
        for index in range(0, size, 3):
            proof = log.inclusion_proof(index, size)
            assert proof == tree.inclusion_proof(index, size)
            merkle.verify_inclusion(index, size, log.leaf_hash(index), proof, tree.root(size))
        for old in range(1, size + 1, 4):
            proof = log.consistency_proof(old, size)
            merkle.verify_consistency(old, size, tree.root(old), tree.root(size), proof)


def test_every_append_signs_a_checkpoint_that_verifies(log: MerkleLog, signer: NoteSigner) -> None:
    tree = _fill(log, [4, 7])
    cp = open_checkpoint(log.latest_checkpoint().note, signer.verifier)
    assert (cp.origin, cp.size, cp.root) == (ORIGIN, 11, tree.root())
    earlier = log.checkpoint_at(4)
    assert earlier is not None and earlier.root == tree.root(4)


def test_a_checkpoint_is_only_signed_when_the_tree_grew(log: MerkleLog) -> None:
    log.append([b"x"], checkpoint=False)
    first = log.sign_checkpoint()
    assert first.size == 1
    assert log.sign_checkpoint() == first


def test_proof_requests_out_of_range_are_refused(log: MerkleLog) -> None:
    _fill(log, [5])
    requests: list[Callable[[], object]] = [
        lambda: log.inclusion_proof(5, 5),
        lambda: log.inclusion_proof(0, 6),
        lambda: log.consistency_proof(0, 5),
        lambda: log.consistency_proof(3, 6),
        lambda: log.consistency_proof(4, 3),
        lambda: log.root(6),
    ]
    for bad in requests:
        with pytest.raises(LogError):
            bad()


def test_the_source_position_commits_with_the_entries(log: MerkleLog) -> None:
    assert log.source_position() == 0
    with log.writer() as w:
        w.append([b"a", b"b"], positions=[3, 7])
        w.append([b"c"], positions=[12])
        w.sign_checkpoint()
    assert (log.source_position(), log.size()) == (12, 3)
    assert [log.index_of_position(p) for p in (3, 7, 12, 5)] == [0, 1, 2, None]
    assert log.index_of_position(12, not_before=2) == 2
    assert log.index_of_position(12, not_before=3) is None
    with pytest.raises(LogError, match="not beyond"), log.writer() as w:
        w.append([b"d"], positions=[11])
    with pytest.raises(LogError, match="not beyond"), log.writer() as w:
        w.append([b"d", b"e"], positions=[20, 20])


def test_a_failed_append_leaves_nothing_behind(log: MerkleLog, engine: Engine) -> None:
    log.append([b"a"])
    with pytest.raises(RuntimeError, match="crash"), log.writer() as w:
        w.append([b"b", b"c", b"d", b"e"], positions=[2, 3, 4, 5])
        w.sign_checkpoint()
        raise RuntimeError("crash before commit")
    assert (log.size(), log.source_position(), log.latest_checkpoint().size) == (1, 0, 1)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM log_entries")).scalar_one() == 1
        assert conn.execute(text("SELECT count(*) FROM log_nodes")).scalar_one() == 0
    log.append([b"b"])
    tree = merkle.MemoryTree()
    tree.append(b"a")
    tree.append(b"b")
    assert log.root(2) == tree.root()


def test_two_writers_in_separate_processes_never_fork(
    database_url: str, signer: NoteSigner
) -> None:
    """Two independent engines (as two processes would have) append concurrently."""
    engines = [make_engine(database_url) for _ in range(2)]
    upgrade(engines[0])
    logs = [MerkleLog(e, signer) for e in engines]

    def work(log: MerkleLog) -> None:
        for _ in range(15):
            log.append([os.urandom(16) for _ in range(3)])

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(work, logs * 2))
    size = logs[0].size()
    assert size == 4 * 15 * 3
    tree = merkle.MemoryTree()
    for data in logs[1].entries(0, size):
        tree.append(data)
    assert logs[1].root(size) == tree.root()
    checkpoints = [logs[0].checkpoint_at(s) for s in range(1, size + 1)]
    signed = [c for c in checkpoints if c is not None]
    assert signed[-1].size == size
    for c in signed:  # every published checkpoint is a prefix of the final tree
        assert c.root == tree.root(c.size)
    for e in engines:
        e.dispose()
