"""The log's proof path (one statement, cached upper subtrees) equals the reference computation.

Every proof, root and batch of proofs is compared with :class:`ledger.merkle.MemoryTree`
(RFC 6962 §2.1 as written in ``ledger/merkle.py``) for random sizes and indices while the log
grows, with small cache levels so that the cache is exercised on small trees, with appends
from a second engine (another process) and with rolled-back appends; after every step the
cache must hold only hashes of complete subtrees of the committed tree, each equal to the
reference.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import StaticPool

from ledger import merkle
from ledger.db import make_engine, normalize_url
from ledger.keys import SigningKey
from ledger.log import LogError, MerkleLog
from ledger.migrate import upgrade
from ledger.note import NoteSigner
from tests.conftest import VECTORS

SIGNER = NoteSigner("ledger.test.example/fast-path", SigningKey.generate())
NewLog = Callable[..., MerkleLog]


@pytest.fixture
def new_log(database_url: str, tmp_path: Path) -> Iterator[NewLog]:
    """A factory: each call gives a log on a database of its own (a file, or a schema)."""
    engines: list[Engine] = []

    def make(engine_options: dict[str, Any] | None = None, **options: Any) -> MerkleLog:
        if database_url.startswith("sqlite"):
            url = f"sqlite:///{tmp_path / uuid.uuid4().hex}.db"
        else:
            base = database_url.partition("?")[0]
            schema = f"t_{uuid.uuid4().hex[:12]}"
            with psycopg.connect(base, autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
            url = f"{base}?options={quote(f'-csearch_path={schema}')}"
        if engine_options and url.startswith("postgresql"):  # without make_engine's pool sizes
            engine = create_engine(normalize_url(url), **engine_options)
        else:
            engine = make_engine(url, **(engine_options or {}))
        engines.append(engine)
        upgrade(engine)
        return MerkleLog(engine, SIGNER, **options)

    yield make
    for engine in engines:
        engine.dispose()


def _second_process(log: MerkleLog) -> MerkleLog:
    """The same database through an engine (and pool, and cache) of its own."""
    engine = make_engine(log.engine.url.render_as_string(hide_password=False))
    return MerkleLog(engine, SIGNER)


def _entries(first: int, n: int) -> list[bytes]:
    return [b'{"entry":%d}' % i for i in range(first, first + n)]


def _assert_cache_is_sound(log: MerkleLog, tree: merkle.MemoryTree, level_floor: int) -> None:
    """Only complete subtrees of the committed tree, at the cache level or above, and
    ranges of committed entries, each holding the reference hash."""
    for key, h in log._cache.items():
        level = (key ^ (key + 1)).bit_length() - 1  # trailing one bits of a flat-tree key
        index = key >> (level + 1)
        assert level >= level_floor
        assert (index + 1) << level <= tree.size, f"subtree ({level}, {index}) is incomplete"
        assert h == tree.node(level, index)
    for (start, end), h in log._spans.items():
        assert 0 <= start < end <= tree.size
        assert h == merkle.range_hash(tree.read_hashes, start, end)


def _check_queries(log: MerkleLog, tree: merkle.MemoryTree, data: st.DataObject) -> None:
    for _ in range(data.draw(st.integers(1, 6), label="queries")):
        size = data.draw(st.integers(1, tree.size), label="size")
        index = data.draw(st.integers(0, size - 1), label="index")
        assert log.inclusion_proof(index, size) == tree.inclusion_proof(index, size)
        old = data.draw(st.integers(1, size), label="old")
        assert log.consistency_proof(old, size) == tree.consistency_proof(old, size)
        assert log.root(size) == tree.root(size)
        assert log.leaf_hash(index) == tree.node(0, index)
        indices = data.draw(st.lists(st.integers(0, size - 1), max_size=8), label="indices")
        expected = [tree.inclusion_proof(i, size) for i in indices]
        assert log.inclusion_proofs(indices, size) == expected
        # a batch just appended: the last entries' proofs are built together
        tail = data.draw(st.integers(1, min(size, 40)), label="tail")
        batch = [*range(size - tail, size), *indices]
        assert log.inclusion_proofs(batch, size) == [tree.inclusion_proof(i, size) for i in batch]


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_proofs_equal_the_reference_while_the_log_grows(new_log: NewLog, data: Any) -> None:
    cache_level = data.draw(st.integers(0, 5), label="cache_level")
    cache_nodes = data.draw(st.sampled_from([0, 7, 1 << 18]), label="cache_nodes")
    log = new_log(cache_level=cache_level, cache_nodes=cache_nodes)
    other = _second_process(log)
    tree = merkle.MemoryTree()
    try:
        for _ in range(data.draw(st.integers(1, 5), label="rounds")):
            entries = _entries(tree.size, data.draw(st.integers(1, 70), label="batch"))
            how = data.draw(st.sampled_from(["here", "other", "rolled back"]), label="how")
            if how == "rolled back":  # the writer reads the cache; its nodes never enter it
                staged = merkle.MemoryTree()
                for i in range(tree.size):
                    staged.append_hash(tree.node(0, i))
                for e in entries:
                    staged.append(e)
                with pytest.raises(RuntimeError, match="abort"), log.writer() as w:
                    w.append(entries)
                    assert w.root() == staged.root()
                    raise RuntimeError("abort")
                if tree.size == 0:
                    continue
            else:
                (log if how == "here" else other).append(entries)
                for e in entries:
                    tree.append(e)
            _check_queries(log, tree, data)
            _assert_cache_is_sound(log, tree, cache_level)
            assert len(log._cache) <= cache_nodes and len(log._spans) <= cache_nodes
    finally:
        other.engine.dispose()


def test_a_warm_cache_never_answers_for_a_size_the_log_does_not_have(new_log: NewLog) -> None:
    log = new_log(cache_level=0)
    log.append(_entries(0, 5))
    for size in range(1, 6):  # every node of every tree up to 5 is now cached
        for index in range(size):
            log.inclusion_proof(index, size)
        log.root(size)
    # Every node these would read is in the cache; the log's size still rules.
    requests: list[Callable[[], object]] = [
        lambda: log.inclusion_proof(5, 6),
        lambda: log.inclusion_proof(0, 6),
        lambda: log.consistency_proof(4, 6),
        lambda: log.root(6),
        lambda: log.root(-1),
        lambda: log.leaf_hash(5),
        lambda: log.leaf_hash(-1),
        lambda: log.inclusion_proofs([0, 1], 6),
    ]
    for beyond in requests:
        with pytest.raises(LogError):
            beyond()


def test_what_a_read_inside_an_open_transaction_sees_is_never_kept(new_log: NewLog) -> None:
    """A pool that hands out a connection in the middle of a transaction (here the
    writer's own: one shared connection, never reset) lets a proof see uncommitted rows;
    nothing read that way may be kept, since the transaction can still roll back."""
    shared = {"poolclass": StaticPool, "pool_reset_on_return": None, "pool_pre_ping": False}
    log = new_log(cache_level=0, engine_options=shared)
    log.append(_entries(0, 2))
    with pytest.raises(RuntimeError, match="abort"), log.writer() as w:
        w.append(_entries(100, 6))
        assert len(log.inclusion_proof(0, 8)) == 3  # the writer's uncommitted tree
        raise RuntimeError("abort")
    assert not log._cache and not log._spans
    log.append(_entries(2, 6))
    tree = merkle.MemoryTree()
    for e in _entries(0, 8):
        tree.append(e)
    for size in range(1, 9):
        for index in range(size):
            assert log.inclusion_proof(index, size) == tree.inclusion_proof(index, size)
    _assert_cache_is_sound(log, tree, 0)


def test_a_large_batch_of_proofs_reads_beyond_one_statement(new_log: NewLog) -> None:
    log = new_log(cache_nodes=0)  # nothing kept: every node comes from the store
    entries = _entries(0, 3000)
    log.append(entries)
    tree = merkle.MemoryTree()
    for e in entries:
        tree.append(e)
    indices = list(range(0, 3000, 3))  # > 1,000 leaf rows: several statements on SQLite
    assert log.inclusion_proofs(indices, 2999) == [tree.inclusion_proof(i, 2999) for i in indices]
    with pytest.raises(LogError):
        log.inclusion_proofs(indices, 3001)


def test_a_store_missing_nodes_is_reported_not_papered_over(
    new_log: NewLog,
) -> None:
    log = new_log()
    log.append(_entries(0, 16))
    with log.engine.begin() as conn:
        conn.execute(text("DELETE FROM log_nodes"))
    with pytest.raises(LogError, match="damaged"):
        log.inclusion_proof(0, 16)
    with pytest.raises(LogError, match="damaged"), log.writer() as w:
        w.append(_entries(16, 1))


def test_the_persistent_log_generates_the_published_happy_path_proofs(new_log: NewLog) -> None:
    ref = json.loads((VECTORS / "signed-note.json").read_text())["reference_tree"]
    log = new_log(cache_level=0)
    for leaf in ref["leaves_hex"]:  # one entry per transaction: every edge is exercised
        log.append([bytes.fromhex(leaf)])

    def proof(case: dict[str, Any]) -> list[bytes]:
        return [base64.b64decode(p) for p in case["proof"] or []]

    checked = 0
    for path in sorted((VECTORS / "merkle" / "inclusion").rglob("happy-path.json")):
        case = json.loads(path.read_text())
        if case["treeSize"] <= 8:
            assert log.inclusion_proof(case["leafIdx"], case["treeSize"]) == proof(case)
            assert log.root(case["treeSize"]) == base64.b64decode(case["root"])
            checked += 1
    for path in sorted((VECTORS / "merkle" / "consistency").rglob("happy-path.json")):
        case = json.loads(path.read_text())
        if 0 < case["size1"] < case["size2"] <= 8:
            assert log.consistency_proof(case["size1"], case["size2"]) == proof(case)
            checked += 1
    assert checked > 0


@pytest.mark.postgres
def test_proofs_leave_every_pooled_connection_transactional(postgres_url: str) -> None:
    """The proof path reads in autocommit; a connection handed back that way would make
    the next writer's ``SELECT … FOR UPDATE`` lock nothing."""
    engine = make_engine(postgres_url, pool_size=1, max_overflow=0)
    upgrade(engine)
    log = MerkleLog(engine, SIGNER)
    try:
        log.append(_entries(0, 40))
        log.inclusion_proof(3, 40)
        with pytest.raises(LogError):
            log.inclusion_proof(3, 41)  # fails after the read
        with engine.connect() as conn:
            assert conn.connection.driver_connection is not None
            assert conn.connection.driver_connection.autocommit is False
            conn.execute(text("DROP TABLE log_nodes"))
            conn.commit()
        with pytest.raises(psycopg.Error):
            log.inclusion_proof(3, 40)  # fails inside the read: the connection is discarded
        with engine.connect() as conn:
            assert conn.connection.driver_connection is not None
            assert conn.connection.driver_connection.autocommit is False
            assert conn.execute(text("SELECT count(*) FROM log_entries")).scalar_one() == 40
    finally:
        engine.dispose()
