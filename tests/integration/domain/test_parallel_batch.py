"""A large batch is verified on all cores first; a signature still counts only for the exact
envelope it was checked against."""

from __future__ import annotations

import os
import signal
from datetime import timedelta
from pathlib import Path

from domain.model.errors import BadSignature, Rejected
from domain.model.roles import Role
from tests.support.city import NOW, City, statement

CODES = [f"3110230102015{i:05d}" for i in range(40)]


def test_a_signature_moved_to_another_payload_is_refused_inside_a_big_batch(
    tmp_path: Path, sqlite_url: str
) -> None:
    city = City.open(tmp_path, sqlite_url)
    maker = city.org(Role.MANUFACTURER)
    when = NOW - timedelta(days=5)
    envelopes = [
        city.envelope(
            [maker],
            statement(
                "elevator.manufactured", code, maker, when, manufactured_on=when.date().isoformat()
            ),
        )
        for code in CODES
    ]
    forged = dict(envelopes[-1])
    forged["signatures"] = envelopes[0]["signatures"]  # a valid signature, for another payload
    assert city.node.app.verifier is not None
    results = city.node.service.submit_batch([*envelopes[:-1], forged])
    assert all(not isinstance(r, Rejected) for r in results[:-1])
    assert isinstance(results[-1], BadSignature)
    assert city.node.app.elevator(CODES[-1]) is None
    city.node.close()


def test_a_batch_is_still_judged_when_the_verifiers_worker_has_died(
    tmp_path: Path, sqlite_url: str
) -> None:
    """A worker killed (out of memory, by an operator) costs speed, never a batch: its
    signatures are checked inline, and the next batch starts a new pool."""
    city = City.open(tmp_path, sqlite_url)
    maker = city.org(Role.MANUFACTURER)
    when = NOW - timedelta(days=5)

    def batch(codes: list[str]) -> list[dict[str, object]]:
        return [
            city.envelope(
                [maker],
                statement(
                    "elevator.manufactured",
                    code,
                    maker,
                    when,
                    manufactured_on=when.date().isoformat(),
                ),
            )
            for code in codes
        ]

    verifier = city.node.app.verifier
    assert verifier is not None
    first = city.node.service.submit_batch(batch(CODES))
    assert all(not isinstance(r, Rejected) for r in first)
    pool = verifier._pool
    assert pool is not None  # the batch went to the pool
    for process in list(pool._processes.values()):
        assert process.pid is not None
        os.kill(process.pid, signal.SIGKILL)
        process.join()
    second = city.node.service.submit_batch(batch([f"3110230102016{i:05d}" for i in range(40)]))
    assert all(not isinstance(r, Rejected) for r in second), second
    third = city.node.service.submit_batch(batch([f"3110230102017{i:05d}" for i in range(40)]))
    assert all(not isinstance(r, Rejected) for r in third)
    assert verifier._pool is not None and verifier._pool is not pool
    city.node.close()
