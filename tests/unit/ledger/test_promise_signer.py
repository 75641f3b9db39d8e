"""Promise notes signed on a worker process are byte for byte the ones signed here."""

from __future__ import annotations

import time
from collections.abc import Sequence

from ledger.keys import SigningKey
from ledger.note import NoteSigner
from ledger.receipt import Promise, PromiseSigner

SIGNER = NoteSigner("ledger.example/elevators", SigningKey.from_raw(bytes(range(32))))


def _promises(n: int) -> list[Promise]:
    return [
        Promise(
            SIGNER.name,
            f"{i:064x}",
            i,
            "elevator:311023010201500098",
            i + 1,
            "2025-01-01T00:00:00.000000Z",
        )
        for i in range(n)
    ]


def test_a_large_batch_is_signed_on_a_worker_exactly_as_here() -> None:
    signer = PromiseSigner(SIGNER, parallel_from=4, chunk=3)
    try:
        promises = _promises(20)
        notes = signer.start(promises)()
        assert signer._pool is not None  # it did go to the worker
        assert notes == [p.sign(SIGNER) for p in promises]
        assert [Promise.open(n, SIGNER.verifier) for n in notes] == promises
        signer.close()  # and a closed signer starts a new worker when needed
        assert signer.start(promises[:5])() == notes[:5]
    finally:
        signer.close()


def test_a_small_batch_is_signed_here() -> None:
    signer = PromiseSigner(SIGNER, parallel_from=4)
    promises = _promises(3)
    assert signer.start(promises)() == [p.sign(SIGNER) for p in promises]
    assert signer._pool is None


class CountingSigner(PromiseSigner):
    signed_here = 0

    def _sign_here(self, texts: Sequence[str]) -> list[str]:
        self.signed_here += len(texts)
        return super()._sign_here(texts)


def test_chunks_a_busy_worker_has_not_begun_are_signed_here() -> None:
    signer = CountingSigner(SIGNER, parallel_from=4, chunk=3)
    try:
        busy = signer._executor().submit(time.sleep, 1)  # the worker is busy elsewhere
        promises = _promises(20)
        notes = signer.start(promises)()
        # At most two chunks were handed to the worker (its queue holds two); the rest were
        # signed here rather than waited for.
        assert signer.signed_here >= 20 - 2 * 3
        assert notes == [p.sign(SIGNER) for p in promises]
        busy.result()
    finally:
        signer.close()


def test_warming_up_starts_the_worker_before_the_first_batch() -> None:
    signer = PromiseSigner(SIGNER, parallel_from=4)
    try:
        signer.warm_up()
        assert signer._pool is not None and len(signer._pool._processes) == 1
        promises = _promises(8)
        assert signer.start(promises)() == [p.sign(SIGNER) for p in promises]
    finally:
        signer.close()
