"""A batch's signatures checked ahead: each verdict belongs to its envelope and its message,
and a chunk the pool has not begun is checked by the judge itself rather than waited for."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future

from domain.application.preverify import Preverified
from ledger.keys import SigningKey
from ledger.parallel import Check, ParallelVerifier


class NeverBegun(Future[list[bool]]):
    def result(self, timeout: float | None = None) -> list[bool]:
        raise AssertionError("waited for a chunk the pool has not begun")


class IdlePool(ParallelVerifier):
    """A pool that never begins anything: every future stays pending."""

    def __init__(self) -> None:
        super().__init__(workers=1)
        self.submitted: list[Future[list[bool]]] = []

    def submit(self, checks: Sequence[Check]) -> list[Future[list[bool]]]:
        futures: list[Future[list[bool]]] = [NeverBegun() for _ in range(0, len(checks), 64)]
        self.submitted.extend(futures)
        return futures


KEY, OTHER = SigningKey.generate(), SigningKey.generate()


def _messages(n: int) -> list[bytes]:
    return [f"message {i}".encode() for i in range(n)]


def test_chunks_the_pool_has_not_begun_are_checked_by_the_judge() -> None:
    pool = IdlePool()
    pre = Preverified(pool)
    messages = _messages(100)
    for i, message in enumerate(messages):
        signer = OTHER if i == 7 else KEY  # envelope 7 carries a signature by another key
        pre.add(i, KEY.verifying_key, message, signer.sign(message))
    pre.flush()
    verdicts = [pre.get(i) for i in range(100)]
    assert all(f.cancelled() for f in pool.submitted)  # nothing was waited for
    for i, found in enumerate(verdicts):
        assert found is not None
        assert list(found.values()) == [i != 7]


def test_a_verdict_is_only_for_the_envelope_it_was_checked_for() -> None:
    pre = Preverified(IdlePool())
    message = b"signed once"
    pre.add(0, KEY.verifying_key, message, KEY.sign(message))
    pre.add(1, KEY.verifying_key, b"another message", KEY.sign(message))  # replayed signature
    pre.flush()
    first, second = pre.get(0), pre.get(1)
    assert first is not None and list(first.values()) == [True]
    assert second is not None and list(second.values()) == [False]
    assert pre.get(2) is None  # nothing checked ahead: the judge verifies it inline
