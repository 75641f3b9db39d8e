"""Re-verify a log's entries by replaying the write path: signatures, authorization, rules.

The structural audit (:mod:`ledger.audit`) shows the log is what the server signed and that
the chains link. This module shows every entry is something the ledger's rules would have
accepted: a fresh in-memory :class:`~domain.application.elevator_ledger.ElevatorLedger`, trusting
only the
root authority's key, is fed the entries' envelopes in log order, each at its own
``recorded_at``. Every signature is checked against the key history the replay itself builds
from the key statements (registrations, revocations at their ``recorded_at``), every
statement is authorized and checked against its subject's rules exactly as on the write path,
and the entry the replay builds must be byte-for-byte the stored one (same subject, version,
prev and recorded_at, hence the same hash). The first entry that fails is reported with its
index and the rule.

The replay runs on every core by default: :mod:`domain.application.audit_shards` splits it by
elevator
(each shard replays all organization statements and its own elevators' chains), which gives
the same answer as one process; ``workers=1`` replays in this process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from domain.application.audit_shards import ShardedReplay
from domain.application.elevator_ledger import ElevatorLedger
from domain.model.admission import Accepted
from domain.model.errors import Rejected
from domain.model.trust import TrustAnchor
from ledger.audit import AuditError, Finding, LogAuditor, parse_entries
from ledger.entry import Entry, format_time
from ledger.note import Checkpoint
from ledger.parallel import ParallelVerifier, available_cores

#: An in-memory event store; every subject's state stays cached while the replay runs.
REPLAY_ENV: Mapping[str, str] = {
    "PERSISTENCE_MODULE": "eventsourcing.popo",
    "AGGREGATE_CACHE_MAXSIZE": "1000000",
}
BATCH = 1000


@dataclass(frozen=True)
class ReverifyResult:
    entries: int  # entries re-accepted identically
    problem: Finding | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


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
        self.app = ElevatorLedger(
            anchor,
            env=dict(REPLAY_ENV if env is None else env),
            verifier=verifier,
            require_disclosures=False,
        )
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


def open_replay(
    anchor: TrustAnchor, env: Mapping[str, str] | None = None, workers: int | None = None
) -> Replay:
    """A replay on ``workers`` processes (default: every core); one means this process."""
    workers = available_cores() if workers is None else workers
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    if workers == 1:
        return Reverifier(anchor, env)
    return ShardedReplay(anchor, REPLAY_ENV if env is None else env, workers)


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


def reverify_entries(
    entries: Iterable[tuple[int, bytes]],
    anchor: TrustAnchor,
    progress: Callable[[int], None] | None = None,
    batch: int = BATCH,
    env: Mapping[str, str] | None = None,
    workers: int | None = None,
) -> ReverifyResult:
    """Replay every entry through the write path; report the first that fails.

    The entries are taken in the order given, which must be log order; their indices are only
    used to name a problem (checking them is :func:`ledger.audit.audit_log`'s job).

    ``progress(n)`` is called with the number of entries checked after each batch. ``env``
    overrides the replay's event store (default: in memory; for a log too large for memory,
    e.g. ``{"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": <temp file>}``;
    with several workers, each uses ``<temp file>.<n>``). ``workers``: processes (default:
    every core; 1 replays in this process).
    """
    replay = open_replay(anchor, env, workers)
    try:
        pending: list[tuple[int, bytes]] = []
        problem: Finding | None = None
        for item in entries:
            pending.append(item)
            if len(pending) >= batch:
                problem = replay.check(pending)
                pending.clear()
                if problem is not None:
                    break
                if progress is not None:
                    progress(replay.checked)
        if problem is None:
            problem = (replay.check(pending) if pending else None) or replay.finish()
            if progress is not None:
                progress(replay.checked)
        return ReverifyResult(replay.checked, problem)
    finally:
        replay.close()


@dataclass(frozen=True)
class VerifyReport:
    size: int  # entries audited
    root: bytes  # their recomputed root
    subjects: int  # hash chains
    reaccepted: int  # entries the replay accepted identically
    problem: Finding | None = None
    #: CPU seconds of each replay process, when the replay ran in processes of its own
    replay_cpu: tuple[float, ...] = field(default=(), compare=False)

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_log(
    entries: Iterable[tuple[int, bytes]],
    checkpoint: Checkpoint,
    anchor: TrustAnchor,
    earlier: Sequence[Checkpoint] = (),
    progress: Callable[[int], None] | None = None,
    batch: int = BATCH,
    env: Mapping[str, str] | None = None,
    workers: int | None = None,
) -> VerifyReport:
    """Everything an auditor checks, in one streaming pass over the entries (in log order):
    the structural audit (:class:`ledger.audit.LogAuditor`: indices, entry form, chain links,
    the root against ``checkpoint`` and the prefixes against ``earlier`` checkpoints) and the
    replay of the write path (:func:`open_replay`, on ``workers`` processes, default every
    core). The problem reported is the first by index.

    If ``entries`` itself raises (an unreadable line, a failed download), the entries before it
    are checked first: a problem among them is returned, otherwise the exception propagates.
    """
    auditor = LogAuditor(earlier)
    replay = open_replay(anchor, env, workers)
    pending: list[tuple[int, bytes]] = []
    parsed: list[Entry] = []  # the auditor's parse of each pending entry, reused by the replay

    def flush() -> Finding | None:
        problem = replay.check(pending, parsed) if pending else None
        pending.clear()
        parsed.clear()
        if progress is not None:
            progress(replay.checked)
        return problem

    def settle() -> Finding | None:
        """Everything read so far judged: the first problem among it."""
        problem = flush() or replay.finish()
        if progress is not None:
            progress(replay.checked)
        return problem

    def report(problem: Finding | None) -> VerifyReport:
        cpu = tuple(replay.cpu) if isinstance(replay, ShardedReplay) else ()
        return VerifyReport(
            auditor.size, auditor.root(), auditor.subjects, replay.checked, problem, cpu
        )

    try:
        source = iter(entries)
        while True:
            try:
                index, data = next(source)
            except StopIteration:
                break
            except Exception:
                problem = settle()
                if problem is not None:
                    return report(problem)
                raise
            try:
                parsed.append(auditor.add(index, data))
            except AuditError as exc:
                return report(settle() or exc.finding)
            pending.append((index, data))
            if len(pending) >= batch and (problem := flush()) is not None:
                return report(problem)
        problem = settle()
        if problem is not None:
            return report(problem)
        try:
            auditor.finish(checkpoint)
        except AuditError as exc:
            return report(exc.finding)
        return report(None)
    finally:
        replay.close()
