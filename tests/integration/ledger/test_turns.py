"""``Turns``: writers and followers take turns at an SQLite database, writers first.

- the turn excludes: a writer waits while a follower holds it (and the other way round), and
  goes on as soon as it is released — across threads of one process here, as across processes;
- a follower never overtakes a writer already waiting (the queue file);
- no turns where they are not needed: PostgreSQL, an in-memory SQLite database.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from ledger.db import make_engine
from ledger.turns import Turns

Take = Callable[[], AbstractContextManager[object]]


@pytest.fixture
def turns(tmp_path: Path) -> Turns:
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    try:
        return Turns.of(engine, 727004)
    finally:
        engine.dispose()


def take_in_thread(
    take: Take, name: str, order: list[str]
) -> tuple[threading.Thread, threading.Event]:
    """Take the turn on a thread of its own; ``order`` records when it got it."""
    got = threading.Event()

    def run() -> None:
        with take():
            order.append(name)
            got.set()

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread, got


def test_the_files_lie_beside_the_database(turns: Turns, tmp_path: Path) -> None:
    assert turns.path == f"{tmp_path / 'ledger.db'}.lock-727004"
    assert turns.queue_path == f"{turns.path}-queue"


@pytest.mark.parametrize("holder", ["runner", "writer"])
@pytest.mark.parametrize("waiter", ["runner", "writer"])
def test_the_turn_excludes_until_released(turns: Turns, holder: str, waiter: str) -> None:
    order: list[str] = []
    with getattr(turns, holder)():
        thread, got = take_in_thread(getattr(turns, waiter), waiter, order)
        assert not got.wait(0.3), f"a {waiter} took the turn a {holder} held"
    assert got.wait(10), f"the {waiter} still waits after the {holder} released the turn"
    thread.join()


def test_a_runner_never_overtakes_a_waiting_writer(turns: Turns) -> None:
    order: list[str] = []
    with turns.runner():  # a projection transaction under way
        writer, writer_got = take_in_thread(turns.writer, "writer", order)
        time.sleep(0.2)  # the writer is queued, waiting for the turn
        runner, runner_got = take_in_thread(turns.runner, "runner", order)
        time.sleep(0.2)
        assert order == []
    assert writer_got.wait(10) and runner_got.wait(10)
    writer.join()
    runner.join()
    assert order == ["writer", "runner"]


def test_no_turns_on_postgresql_or_in_memory() -> None:
    memory = make_engine("sqlite://")
    postgres = make_engine("postgresql://nobody@127.0.0.1:1/none")  # never connected
    try:
        for engine in (memory, postgres):
            none = Turns.of(engine, 727004)
            assert none.path is None and none.queue_path is None
            with none.writer(), none.runner(), none.writer():  # no-ops: they even nest
                pass
    finally:
        memory.dispose()
        postgres.dispose()
