"""Stateful shards: each worker process keeps its own state across rounds, replies come back
round by round in order, a failing worker is reported with its traceback, and the processes
never outlive the ``with`` block — whether it ends normally, by an error or by Ctrl-C."""

from __future__ import annotations

import os
import time

import pytest

from ledger.parallel import ShardError, Shards
from tests.support.processes import eventually, proc


class Tally:
    """A worker whose state is the sum of what it was sent; fails on request."""

    def __init__(self, start: int) -> None:
        if start < 0:
            raise ValueError("a negative start")
        self.total = start

    def handle(self, message: int | str) -> tuple[int, int]:
        if message == "fail":
            raise ValueError("asked to fail")
        if message == "hang":
            time.sleep(3600)
        assert isinstance(message, int)
        self.total += message
        return os.getpid(), self.total

    def close(self) -> None:
        pass


def pids(shards: Shards[int, int | str, tuple[int, int]]) -> list[int]:
    """The shards' process ids (each answers a round that adds nothing)."""
    shards.submit([0] * shards.count)
    return [pid for pid, _ in shards.drain()[0]]


def gone(pid: int, within: float = 10.0) -> bool:
    """The process has ended and been reaped (by its parent, the fork server)."""
    return eventually(lambda: proc(pid) is None, within)


def test_each_shard_keeps_its_state_and_rounds_come_back_in_order() -> None:
    with Shards(Tally, [0, 100], window=2) as shards:
        answered = shards.submit([1, 2])
        answered += shards.submit([10, 20])
        assert answered == [] and shards.in_flight == 2
        answered += shards.submit([100, 200])  # the window is full: the oldest round is read
        assert len(answered) == 1 and shards.in_flight == 2
        answered += shards.drain()
        assert shards.in_flight == 0
    totals = [[total for _, total in round_] for round_ in answered]
    assert totals == [[1, 102], [11, 122], [111, 322]]
    workers = {pid for round_ in answered for pid, _ in round_}
    assert len(workers) == 2 and os.getpid() not in workers
    assert all(gone(pid) for pid in workers)


def test_a_failing_worker_is_reported_with_its_traceback_and_every_shard_stops() -> None:
    with Shards(Tally, [0, 0]) as shards:
        workers = pids(shards)
        shards.submit([1, "fail"])
        with pytest.raises(ShardError, match=r"(?s)shard 1 failed:.*ValueError: asked to fail"):
            shards.drain()
    assert all(gone(pid) for pid in workers)


def test_a_worker_that_cannot_start_is_reported() -> None:
    with Shards(Tally, [0, -1]) as shards:
        shards.submit([1, 1])
        with pytest.raises(ShardError, match=r"(?s)shard 1 failed:.*a negative start"):
            shards.drain()


@pytest.mark.parametrize("interruption", [RuntimeError, KeyboardInterrupt])
def test_leaving_the_block_early_terminates_busy_workers_at_once(
    interruption: type[BaseException],
) -> None:
    started = time.monotonic()
    with pytest.raises(interruption), Shards(Tally, [0, 0]) as shards:
        workers = pids(shards)
        shards.submit(["hang", "hang"])
        raise interruption()
    assert all(gone(pid) for pid in workers)
    assert time.monotonic() - started < 30  # not waiting for the hour-long messages


def test_one_message_per_shard() -> None:
    with Shards(Tally, [0, 0]) as shards, pytest.raises(ValueError, match="one message per shard"):
        shards.submit([1])
