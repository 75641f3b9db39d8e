"""The log key signs only what this server appended: a writer finding the log's tables holding
anything else past (or on the right edge of) the last checkpoint refuses to sign, raises
``LogTampered`` after a critical alarm, and leaves the log and its checkpoints as they were.

Each test plays someone with database access and no key, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, delete, event, func, insert, select, update

from ledger import merkle
from ledger.db import make_engine
from ledger.keys import SigningKey
from ledger.log import LogTampered, MerkleLog
from ledger.merkle import node_key
from ledger.note import NoteSigner, open_checkpoint
from ledger.schema import log_checkpoints, log_entries, log_nodes, log_state

ORIGIN = "ledger.test.example/guarded"
SIGNER = NoteSigner(ORIGIN, SigningKey.generate())
FORGED = b'{"forged": "by someone with database access"}'


@pytest.fixture
def second_process(engine: Engine) -> Iterator[MerkleLog]:
    """The same log through an engine (pool, memory) of its own, as another server has it."""
    other = make_engine(engine.url.render_as_string(hide_password=False))
    yield MerkleLog(other, SIGNER)
    other.dispose()


@pytest.fixture
def log(engine: Engine) -> MerkleLog:
    log = MerkleLog(engine, SIGNER)
    log.sign_checkpoint()  # the empty tree, as `init` signs it
    log.append([os.urandom(24) for _ in range(6)])
    log.append([os.urandom(24) for _ in range(5)])  # 11 entries: a right edge of 8 + 2 + 1
    return log


def _inserted_past_the_checkpoint(log: MerkleLog, bump_size: bool = True) -> None:
    with log.engine.begin() as conn:
        size = int(conn.execute(select(log_state.c.size)).scalar_one())
        conn.execute(
            insert(log_entries).values(
                idx=size, data=FORGED, leaf_hash=merkle.leaf_hash(FORGED), source_position=None
            )
        )
        if bump_size:
            conn.execute(update(log_state).values(size=size + 1))


def _inserted_beyond_the_size(log: MerkleLog) -> None:
    with log.engine.begin() as conn:
        size = int(conn.execute(select(log_state.c.size)).scalar_one())
        conn.execute(
            insert(log_entries).values(
                idx=size + 5, data=FORGED, leaf_hash=merkle.leaf_hash(FORGED), source_position=None
            )
        )


def _size_bumped(log: MerkleLog) -> None:
    with log.engine.begin() as conn:
        conn.execute(update(log_state).values(size=log_state.c.size + 1))


def _last_entry_changed(log: MerkleLog) -> None:
    """The newest signed entry (a leaf on the tree's right edge), its leaf hash with it."""
    with log.engine.begin() as conn:
        conn.execute(
            update(log_entries)
            .where(log_entries.c.idx == 10)
            .values(data=FORGED, leaf_hash=merkle.leaf_hash(FORGED))
        )


def _edge_node_changed(log: MerkleLog) -> None:
    """The stored hash of the first 8 entries (a perfect subtree on the right edge)."""
    with log.engine.begin() as conn:
        conn.execute(
            update(log_nodes).where(log_nodes.c.id == node_key(2, 1)).values(hash=bytes(32))
        )


def _checkpoint_rolled_back(log: MerkleLog) -> None:
    """The newest checkpoint deleted and log_state pointed at the one before: a stretch of
    signed entries now looks unsigned."""
    with log.engine.begin() as conn:
        conn.execute(delete(log_checkpoints).where(log_checkpoints.c.size == 11))
        conn.execute(update(log_state).values(checkpoint_size=6))


def _newest_checkpoint_forged(log: MerkleLog) -> None:
    with log.engine.begin() as conn:
        other = NoteSigner(ORIGIN, SigningKey.generate())
        note = open_checkpoint(log.latest_checkpoint().note, SIGNER.verifier)
        forged = type(note)(ORIGIN, 11, bytes(32)).sign(other)
        conn.execute(
            update(log_checkpoints).where(log_checkpoints.c.size == 11).values(note=forged)
        )


TAMPERING: dict[str, Callable[[MerkleLog], None]] = {
    "a row inserted past the checkpoint, log_state.size bumped": _inserted_past_the_checkpoint,
    "a row inserted where the next entry goes": lambda log: _inserted_past_the_checkpoint(
        log, bump_size=False
    ),
    "a row inserted beyond the log's size": _inserted_beyond_the_size,
    "log_state.size bumped": _size_bumped,
    "the last signed entry changed": _last_entry_changed,
    "a stored node on the right edge changed": _edge_node_changed,
    "the newest checkpoint deleted, log_state rolled back": _checkpoint_rolled_back,
    "the newest checkpoint's note replaced": _newest_checkpoint_forged,
}


@pytest.mark.parametrize("tamper", TAMPERING.values(), ids=TAMPERING.keys())
def test_a_log_changed_outside_the_writer_is_never_signed(
    log: MerkleLog,
    second_process: MerkleLog,
    tamper: Callable[[MerkleLog], None],
    caplog: pytest.LogCaptureFixture,
) -> None:
    tamper(log)
    before = log.latest_checkpoint()  # the last good one (after a rollback: an earlier one)
    for process in (log, second_process):
        with caplog.at_level(logging.CRITICAL, "elevator_ledger.log"), pytest.raises(LogTampered):
            process.append([b"the next honest entry"])
        assert log.latest_checkpoint() == before  # nothing signed
        assert any(r.levelno == logging.CRITICAL for r in caplog.records)
        caplog.clear()
    # reads of the signed log go on
    assert log.inclusion_proof(3, before.size)
    assert log.entry(0)


def test_a_row_changed_inside_a_stored_subtree_is_not_signed_over(log: MerkleLog) -> None:
    """Entries under a stored node are not read to sign (no O(n) read): the next root is built
    from the stored nodes, the honest ones, so the signature never covers the changed row
    (which ``verify`` names, and whose inclusion proof fails)."""
    honest = merkle.MemoryTree()
    for data in log.entries(0, 11):
        honest.append(data)
    with log.engine.begin() as conn:
        conn.execute(
            update(log_entries)
            .where(log_entries.c.idx == 2)
            .values(data=FORGED, leaf_hash=merkle.leaf_hash(FORGED))
        )
    honest.append(b"next")
    signed = log.append([b"next"]).checkpoint
    assert signed is not None and signed.root == honest.root()


def test_what_this_process_appended_unsigned_it_may_sign_later(log: MerkleLog) -> None:
    log.append([b"staged"], checkpoint=False)
    assert log.sign_checkpoint().size == 12


def test_an_unsigned_stretch_another_process_appended_is_refused(
    log: MerkleLog, second_process: MerkleLog
) -> None:
    """Every writer of this code signs in the transaction that appends, so an unsigned stretch
    left by another process cannot come from a crash between the two: it is refused."""
    other = second_process
    other.append([b"left unsigned"], checkpoint=False)
    with pytest.raises(LogTampered, match="not appended by this server"):
        log.sign_checkpoint()
    assert log.latest_checkpoint().size == 11


def test_a_rolled_back_append_leaves_no_claim_behind(log: MerkleLog) -> None:
    with pytest.raises(RuntimeError), log.writer() as w:
        w.append([b"never committed"])
        raise RuntimeError("crash before commit")
    assert log.append([b"next"]).checkpoint is not None


def test_two_processes_taking_turns_sign_each_others_checkpoints(
    log: MerkleLog, second_process: MerkleLog
) -> None:
    other = second_process
    for writer in (other, log, other, log):
        assert writer.append([os.urandom(8)]).checkpoint is not None
    assert log.latest_checkpoint().size == 15


def test_the_guard_costs_the_same_few_statements_whatever_the_log_size(
    engine: Engine,
) -> None:
    """No O(n) read: an append-and-sign runs as many statements at 10 entries as at 2,000."""
    log = MerkleLog(engine, SIGNER)
    counts = []
    for target in (10, 2000):
        log.append([os.urandom(8) for _ in range(target - log.size())])
        statements: list[str] = []

        def count(*args: object, seen: list[str] = statements) -> None:
            seen.append(str(args[2]))

        event.listen(engine, "before_cursor_execute", count)
        try:
            log.append([b"one more"])
        finally:
            event.remove(engine, "before_cursor_execute", count)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(log_checkpoints)).scalar_one() == 4


def test_a_look_before_accepting_overtaken_by_a_commit_is_no_alarm(log: MerkleLog) -> None:
    """The service's unlocked look at the state row (``check_unsigned``) may be older than a
    checkpoint another thread of this process has since signed: that is not a rollback."""
    with log.engine.connect() as conn:
        stale = conn.execute(log._state_query()).one()
    log.append([b"signed meanwhile by another thread"])
    log._guard.start(stale, locked=False)  # no LogTampered
    with pytest.raises(LogTampered, match="saw the log signed at size 12"):
        log._guard.start(stale)  # read under the lock, it would be one
