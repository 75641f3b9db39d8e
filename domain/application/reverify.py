"""The replay of the write path in one process: a fresh in-memory
:class:`~domain.application.elevator_ledger.ElevatorLedger`, trusting only the root authority's
key, fed a log's entries batch by batch in log order, each judged against the entry the ledger
would have recorded for it.

:mod:`domain.application.audit` runs it here or, split by elevator, on every core
(:mod:`domain.application.audit_shards`, whose shards each run one of these).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from domain.application.ledger_factory import replay_ledger
from domain.model.admission import Accepted
from domain.model.errors import Rejected
from domain.model.trust import TrustAnchor
from ledger.audit import Finding, parse_entries
from ledger.entry import Entry, format_time
from ledger.parallel import ParallelVerifier

#: An in-memory event store; every subject's state stays cached while the replay runs.
REPLAY_ENV: Mapping[str, str] = {
    "PERSISTENCE_MODULE": "eventsourcing.popo",
    "AGGREGATE_CACHE_MAXSIZE": "1000000",
}


class Replay(Protocol):
    """A replay of the write path over consecutive batches of a log (see :class:`Reverifier`)."""

    checked: int  # entries re-accepted identically so far

    def check(
        self, batch: Sequence[tuple[int, bytes]], entries: Sequence[Entry] | None = None
    ) -> Finding | None: ...

    def finish(self) -> Finding | None: ...

    def close(self) -> None: ...


class Reverifier:
    """Replay entries through a fresh ledger, batch by batch, in log order, in this process.

    :meth:`check` takes the next consecutive entries; it returns the first :class:`Finding`,
    after which the replay is spent (later entries would be judged on a wrong history).
    Signatures are checked inline unless a ``verifier`` is given.
    """

    def __init__(
        self,
        anchor: TrustAnchor,
        env: Mapping[str, str] | None = None,
        verifier: ParallelVerifier | None = None,
    ) -> None:
        self.app = replay_ledger(anchor, REPLAY_ENV if env is None else env, verifier)
        self.checked = 0
        self.problem: Finding | None = None

    def check(
        self, batch: Sequence[tuple[int, bytes]], entries: Sequence[Entry] | None = None
    ) -> Finding | None:
        """Replay the next entries; ``entries`` are their parsed forms, if already at hand."""
        if self.problem is not None:
            raise RuntimeError("the replay already found a problem; start a new one")
        # a malformed entry ends the batch: nothing after it can be judged
        parsed, malformed = parse_entries(batch, entries)
        if parsed:
            results = self.app.accept_batch(
                [entry.envelope for _, _, entry in parsed],
                [entry.recorded_at for _, _, entry in parsed],
            )
            for (index, data, entry), result in zip(parsed, results, strict=True):
                reason = _judge(data, entry, result)
                if reason is not None:
                    self.problem = Finding(index, reason)
                    return self.problem
                self.checked += 1
        self.problem = malformed
        return malformed

    def finish(self) -> Finding | None:
        """The first problem (every batch is judged when :meth:`check` returns)."""
        return self.problem

    def close(self) -> None:
        if self.app.verifier is not None:
            self.app.verifier.close()
        self.app.close()


def _judge(data: bytes, stored: Entry, result: Accepted | Rejected) -> str | None:
    """Why the stored entry is not what the ledger would have recorded, or ``None``."""
    if isinstance(result, Rejected):
        rule = result.extra.get("rule")
        why = result.slug if rule is None else f"{result.slug}: {rule}"
        return f"the ledger's rules refuse it ({why}): {result.detail}"
    if result.duplicate:
        return (
            f"repeats the statement already recorded as {result.subject} "
            f"version {result.version}; a replay is never stored twice"
        )
    if result.entry == data:
        return None
    replayed = Entry.from_bytes(result.entry)
    if (replayed.subject, replayed.version) != (stored.subject, stored.version):
        return (
            f"stored as {stored.subject} version {stored.version}, but the ledger would "
            f"have recorded it as {replayed.subject} version {replayed.version}"
        )
    if replayed.prev != stored.prev:
        return (
            f"prev {_short(stored.prev)} is not the hash of {stored.subject} version "
            f"{stored.version - 1} the ledger would link ({_short(replayed.prev)})"
        )
    if replayed.recorded_at != stored.recorded_at:  # cannot differ: the replay used it
        return f"recorded_at {format_time(stored.recorded_at)} does not round-trip"
    return "the ledger would have recorded different bytes for this statement"


def _short(h: str | None) -> str:
    return "null" if h is None else f"{h[:16]}…"
