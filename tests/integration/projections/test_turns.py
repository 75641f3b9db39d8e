"""Writers and projection runners take turns (SQLite), in short projection transactions.

- a submission holds the turn around accepting its batch and integrating it into the log;
- a runner holds it around each of its write transactions, each at most ``batch`` entries, and
  applies each entry once even when another runner moves the models meanwhile;
- on SQLite the turn is a lock (a writer waits while a runner holds it, and goes on the moment
  it is released; tests/integration/ledger/test_turns.py has the rest); on PostgreSQL there
  is none;
- the in-process projection thread (what callers building a node use) still follows the log.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import Connection, select

from api.bootstrap import PROJECTION_BATCH, open_node, read_models, turns
from api.node import LedgerNode
from ledger.turns import Turns
from projections import read
from projections.runner import LoggedEntry, Projection, ProjectionRunner
from projections.schema import entries
from tests.support.processes import eventually
from tests.support.seeded import Seeded, seed

CODES = ["311023010201600501", "311023010201600502"]


@pytest.fixture
def seeded(tmp_path: Path, database_url: str) -> Seeded:
    return seed(tmp_path, database_url, CODES)


@pytest.fixture
def node(seeded: Seeded) -> Iterator[LedgerNode]:
    node = open_node(seeded.settings)
    yield node
    node.close()


class Recorder:
    """A turn that records who held it, and when."""

    def __init__(self) -> None:
        self.held = False
        self.events: list[str] = []

    @contextlib.contextmanager
    def __call__(self) -> Iterator[object]:
        assert not self.held, "the turn taken twice"
        self.held = True
        self.events.append("turn")
        try:
            yield self
        finally:
            self.held = False
            self.events.append("end")


def test_a_submission_holds_the_turn_while_accepting_and_integrating(
    node: LedgerNode, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder()
    node.service.turn = recorder
    accept, integrate = node.app.accept_batch, node.service.sequencer.integrate

    def accepting(*args: object, **kwargs: object) -> object:
        recorder.events.append("accept" if recorder.held else "accept outside the turn")
        return accept(*args, **kwargs)  # type: ignore[arg-type]

    def integrating(*args: object, **kwargs: object) -> object:
        recorder.events.append("integrate" if recorder.held else "integrate outside the turn")
        return integrate(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(node.app, "accept_batch", accepting)
    monkeypatch.setattr(node.service.sequencer, "integrate", integrating)
    node.service.submit(seeded.fault(CODES[0]))
    assert recorder.events == ["turn", "accept", "integrate", "end"]


def test_a_runner_takes_the_turn_around_each_short_transaction(
    node: LedgerNode, seeded: Seeded
) -> None:
    for i in range(7):
        node.service.submit(seeded.fault(CODES[i % 2]))
    size = node.log.latest_checkpoint().size
    recorder = Recorder()
    applied: list[tuple[str, int, bool]] = []

    class Watched:
        def __init__(self, inner: Projection) -> None:
            self.inner, self.name = inner, inner.name

        def apply(self, conn: Connection, items: Sequence[LoggedEntry]) -> None:
            applied.append((self.name, len(items), recorder.held))
            self.inner.apply(conn, items)

        def reset(self, conn: Connection) -> None:
            self.inner.reset(conn)

    models = [Watched(p) for p in read_models(node.app, node.engine)]
    runner = ProjectionRunner(node.engine, node.log, models, batch=3, turn=recorder)
    assert runner.catch_up() == {p.name: size for p in models}
    assert all(held for _, _, held in applied), applied
    assert all(n <= 3 for _, n, _ in applied), applied
    assert recorder.events.count("turn") >= len(models) * (size // 3)
    # caught up, the runner does not take the turn at all
    before = len(recorder.events)
    assert runner.catch_up() == {p.name: 0 for p in models}
    assert len(recorder.events) == before
    assert node.projections.batch == PROJECTION_BATCH <= 200  # the node's runner: short ones
    # the node's runner and writer take the database's turns, as runner and as writer
    path = turns(node.engine).path
    for taken, side in ((node.projections.turn, Turns.runner), (node.service.turn, Turns.writer)):
        assert getattr(taken, "__func__", None) is side
        assert getattr(getattr(taken, "__self__", None), "path", None) == path


def test_a_runner_asked_to_stop_ends_after_its_current_transaction(
    node: LedgerNode, seeded: Seeded
) -> None:
    for i in range(5):
        node.service.submit(seeded.fault(CODES[i % 2]))
    runner = ProjectionRunner(node.engine, node.log, read_models(node.app, node.engine), batch=2)
    asked: list[int] = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 1  # one transaction, then stop

    first = runner.catch_up(stop=stop)
    assert sum(first.values()) == 2  # one transaction of the first model
    rest = runner.catch_up()
    size = node.log.latest_checkpoint().size
    assert {n: first[n] + rest[n] for n in first} == {n: size for n in first}


def test_on_sqlite_a_writer_waits_for_the_turn_and_goes_on_once_it_is_free(
    node: LedgerNode, seeded: Seeded
) -> None:
    if not seeded.url.startswith("sqlite"):
        assert turns(node.engine).path is None  # PostgreSQL queues lock waiters itself
        return
    envelope = seeded.fault(CODES[0])
    done = threading.Event()

    def submit() -> None:
        node.service.submit(envelope)
        done.set()

    with turns(node.engine).runner():  # e.g. the projection process in one of its transactions
        writer = threading.Thread(target=submit)
        writer.start()
        assert not done.wait(0.5), "the writer went on while another held the turn"
    assert done.wait(30), "the writer still waits after the turn was released"
    writer.join()


def test_the_in_process_worker_follows_the_log(node: LedgerNode, seeded: Seeded) -> None:
    node.start_projection_worker()
    assert node.worker is not None and node.process is None
    receipt = node.committer.submit(seeded.fault(CODES[1]))

    def shown() -> bool:
        _, items = read.elevator_entries(node.engine, CODES[1], 0, 1, True)
        return bool(items) and items[0]["entry_hash"] == receipt.entry_hash

    assert eventually(shown, within=10)


def test_models_moved_by_another_runner_meanwhile_are_applied_exactly_once(
    node: LedgerNode, seeded: Seeded
) -> None:
    for i in range(9):
        node.service.submit(seeded.fault(CODES[i % 2]))
    size = node.log.latest_checkpoint().size
    other = ProjectionRunner(node.engine, node.log, read_models(node.app, node.engine), batch=5)
    runner = ProjectionRunner(node.engine, node.log, read_models(node.app, node.engine), batch=4)
    moved: list[int] = []

    def meanwhile() -> bool:  # asked before each transaction, after the positions were read
        if not moved:
            steps = iter(range(7))  # the other runner: 7 transactions, then it stops
            other.catch_up(stop=lambda: next(steps, None) is None)
            moved.append(1)
        return False

    first = runner.catch_up(stop=meanwhile)
    assert moved
    applied = {n: first[n] + runner.catch_up()[n] for n in first}
    assert all(0 < count < size for count in applied.values()), applied  # the rest was other's
    assert runner.positions() == {name: size for name in runner.projections}
    with node.engine.connect() as conn:
        indexes = conn.execute(select(entries.c.log_index).order_by(entries.c.log_index))
        assert list(indexes.scalars()) == list(range(size))  # every entry once, none twice
