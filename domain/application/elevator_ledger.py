"""The application: a verified envelope in, an accepted chain entry out.

``ElevatorLedger`` is an eventsourcing application: it gets what a batch of statements is
judged against, has each statement judged (:mod:`domain.application.statement_judge`: the
signatures against registered keys *before* the payload is read, then the pure decision of
:mod:`domain.model.admission`), and saves the accepted ones together, in one transaction.
Nothing is stored unless every check of a statement passed. Its queries beyond the library's
are its recorder's (:mod:`domain.application.recorders`).
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import InfrastructureFactory, IntegrityError
from eventsourcing.utils import Environment, get_topic

from domain.application.aggregates import (
    Elevator,
    Organization,
    SubjectChain,
    chain_event_entry,
    chain_id_of,
    entry_in_state,
)
from domain.application.fresh_cache import FreshAggregates
from domain.application.recorders import LedgerQueries, recorder_topic
from domain.application.signers import Signers
from domain.application.statement_judge import StatementJudge
from domain.application.unit_of_work import UnitOfWork
from domain.model.admission import Accepted
from domain.model.errors import Conflict, Rejected, StoreDisagrees
from domain.model.submission import parse_submission
from domain.model.trust import KeyInfo, TrustAnchor
from ledger.parallel import ParallelVerifier

#: batches this large have their signatures checked on the other cores
#: (domain.application.preverify)
PREVERIFY_FROM = 32
Clock = Callable[[], datetime]
#: the events that carry ledger entries (key index events are not entries)
CHAIN_TOPICS = [
    get_topic(cls)
    for cls in (Elevator.Started, Organization.Started, SubjectChain.Appended)  # type: ignore[attr-defined]
]


_NOTHING_KNOWN: Mapping[int, bytes] = {}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UnreadableEvent(LookupError):
    """A stored event that cannot be decoded: its row was damaged or edited."""


class ElevatorLedger(Application[UUID]):
    name = "ElevatorLedger"

    def __init__(
        self,
        anchor: TrustAnchor,
        env: Mapping[str, str] | None = None,
        clock: Clock = utcnow,
        max_retries: int = 12,
        verifier: ParallelVerifier | None = None,
        writer_lock: Callable[[], AbstractContextManager[object]] | None = None,
        require_disclosures: bool = True,
    ) -> None:
        super().__init__(env=dict(env or {}))
        # Cached aggregates known current without a query each (see domain.application.fresh_cache).
        self._fresh = FreshAggregates(self)
        self.anchor, self.clock, self.max_retries = anchor, clock, max_retries
        self.verifier = verifier  # spreads large batches' signature checks over all cores
        self.signers = Signers(anchor, self._fresh, self.repository)
        self.judge = StatementJudge(
            anchor,
            self.signers,
            self._fresh,
            self.repository,
            self.chain_entry,
            self.chain_entries,
            require_disclosures,
        )
        # Commands change cached aggregates in place (no deep copy on the write path), so one
        # unit of work at a time per process, and readers of cached chains wait for it.
        self._lock = threading.RLock()
        # Across processes: judging and saving under one database-wide lock means no writer
        # ever judges against a state another process is about to change (no conflicts).
        self.writer_lock = writer_lock or contextlib.nullcontext
        recorder = self.recorder  # checked once: the feed's readers ask on every batch
        self._queries = recorder if isinstance(recorder, LedgerQueries) else None

    def construct_factory(self, env: Environment) -> InfrastructureFactory[Any]:
        """The library's factory for the configured backend, told to make the ledger's own
        recorder for it (the one with the ledger's queries), whoever configured the rest."""
        factory: InfrastructureFactory[Any] = super().construct_factory(env)
        topic = recorder_topic(factory)
        if topic is not None:
            factory.env[factory.APPLICATION_RECORDER_TOPIC] = topic
        return factory

    @property
    def queries(self) -> LedgerQueries:
        """The recorder, as the ledger's queries on the event store's table."""
        if self._queries is None:
            raise TypeError(
                f"{type(self.recorder).__name__} has no ledger queries: positions in the"
                " event feed need an SQLite or PostgreSQL event store"
            )
        return self._queries

    @property
    def require_disclosures(self) -> bool:
        """Whether a submission must carry the values of its personal fields (disclosures);
        re-verifying the public log has only their digests (domain.application.audit)."""
        return self.judge.require_disclosures

    @require_disclosures.setter
    def require_disclosures(self, required: bool) -> None:
        self.judge.require_disclosures = required

    @property
    def check_loaded(self) -> Callable[[SubjectChain], None] | None:
        """Asked about every chain loaded from the event store (not from the cache) before a
        statement is judged against it; raises a ``Rejected`` (``StoreDisagrees``) when the
        chain's head is not the log's (``LedgerNode`` sets it; see
        domain.application.store_check)."""
        return self.judge.check_loaded

    @check_loaded.setter
    def check_loaded(self, check: Callable[[SubjectChain], None] | None) -> None:
        self.judge.check_loaded = check

    def warm_up(self) -> None:
        """Start the signature pool's workers before the first large batch needs them."""
        if self.verifier is not None:
            self.verifier.warm_up()

    # --- commands --------------------------------------------------------------------------

    def accept(self, envelope: bytes | Mapping[str, Any]) -> Accepted:
        """Accept one envelope, or raise the :class:`Rejected` that says why not."""
        result = self.accept_batch([envelope])[0]
        if isinstance(result, Rejected):
            raise result
        return result

    def accept_batch(
        self,
        envelopes: Sequence[bytes | Mapping[str, Any]],
        recorded_at: Sequence[datetime] | None = None,
    ) -> list[Accepted | Rejected]:
        """Judge each envelope on its own; commit the accepted ones together.

        ``recorded_at`` overrides the ledger clock per envelope. Only operator tools
        importing history (the demo city, migrations from legacy systems) pass it;
        the HTTP API never does.
        """
        preverified = self.signers.preverify(envelopes, self.verifier, PREVERIFY_FROM)
        with self._lock, self.writer_lock():
            try:
                for attempt in range(self.max_retries):
                    self._fresh.begin()  # what other processes wrote since the last unit of work
                    work = UnitOfWork(preverified=preverified)
                    results = self._judge_all(envelopes, recorded_at, work)
                    if not any(not a.duplicate for a in work.accepted):
                        return results
                    try:
                        return self._save(work, results)
                    except IntegrityError:
                        if attempt + 1 == self.max_retries:
                            raise Conflict("concurrent writers kept colliding; retry") from None
                        time.sleep(random.uniform(0, 0.002 * 2**attempt))  # back off, re-judge
                raise AssertionError("unreachable")
            finally:
                self._fresh.end()
                preverified.cancel()

    def _judge_all(
        self,
        envelopes: Sequence[bytes | Mapping[str, Any]],
        recorded_at: Sequence[datetime] | None,
        work: UnitOfWork,
    ) -> list[Accepted | Rejected]:
        """Each envelope's verdict, judged in turn into ``work``."""
        results: list[Accepted | Rejected] = []
        for i, envelope in enumerate(envelopes):
            at = self.clock() if recorded_at is None else recorded_at[i]
            try:
                results.append(self.judge.judge(envelope, work, at, i))
            except StoreDisagrees:  # judging against the event store is unsafe: save nothing
                work.evict(self.repository.cache)
                raise
            except Rejected as exc:
                results.append(exc)
        return results

    def _save(
        self, work: UnitOfWork, results: list[Accepted | Rejected]
    ) -> list[Accepted | Rejected]:
        """Save what ``work`` changed, in one transaction; the results with their positions
        in the event feed. Whatever fails, the changed aggregates are forgotten."""
        try:
            recordings = self.save(*work.changed())
        except BaseException:
            work.evict(self.repository.cache)
            raise
        self._fresh.saved(recordings)
        positions = {
            (r.domain_event.originator_id, r.domain_event.originator_version): r.notification.id
            for r in recordings
        }
        return [_with_position(r, positions) for r in results]

    def verify_envelope(self, raw: bytes | Mapping[str, Any]) -> list[KeyInfo]:
        """Who signed this envelope, among registered keys (a dry run: nothing is judged or
        stored beyond the signatures)."""
        envelope, _, _ = parse_submission(raw)
        return self.signers.verified(envelope, UnitOfWork())

    # --- queries ---------------------------------------------------------------------------

    def key_info(self, key_id: str) -> KeyInfo | None:
        """The registered key with this id, or None (the trust anchor's key is known)."""
        return self.signers.key_info(key_id)

    def elevator(self, equipment_code: str) -> Elevator | None:
        """A private copy of the elevator's chain aggregate, or None."""
        try:
            with self._lock:
                found: Elevator = self.repository.get(Elevator.create_id(equipment_code))
                self._refold_if_due(found)
        except AggregateNotFoundError:
            return None
        return found

    def organization(self, uscc: str) -> Organization | None:
        """A private copy of the organization's chain aggregate, or None."""
        try:
            with self._lock:
                found: Organization = self.repository.get(Organization.create_id(uscc))
                self._refold_if_due(found)
        except AggregateNotFoundError:
            return None
        return found

    def _refold_if_due(self, chain: SubjectChain) -> None:
        """A copy holding a back-dated statement, rebuilt in log order, gets the occurred-order
        state; so does the cached chain it was copied from, if it is the same version (states
        are immutable: shared, not copied), so the events are read once. Under ``_lock``."""
        if not chain.refold_due:
            return
        self.judge.refold(chain, UnitOfWork())
        cache = self.repository.cache
        if cache is not None:
            with contextlib.suppress(KeyError):
                cached = cache.get(chain.id)
                if (
                    isinstance(cached, SubjectChain)
                    and cached.refold_due
                    and cached.version == chain.version
                ):
                    cached.refolded(chain.state)

    def chain_entries(self, chain_id: UUID, version: int, after: int = 0) -> list[str]:
        """The entry texts stored in a chain after version ``after`` up to ``version``, in
        version order: one query, each entry read from its stored event's JSON without
        decoding the whole event."""
        stored = self.recorder.select_events(chain_id, gt=after or None, lte=version)
        return [entry_in_state(e.state) for e in stored]

    def chain_entry(self, chain_id: UUID, version: int) -> str:
        """The entry text stored at ``version`` of a chain."""
        events = list(self.events.get(chain_id, gt=version - 1, lte=version))
        if not events:
            raise KeyError(f"no version {version} in chain {chain_id}")
        return chain_event_entry(events[0]).entry

    def disclosures_of(self, subject: str, version: int) -> list[str]:
        """The disclosures kept beside a subject's entry at ``version`` (for regulators).

        Raises ``KeyError`` when the stored event is missing and :class:`UnreadableEvent`
        when it cannot be decoded (a damaged or edited row: its state or topic)."""
        chain_id = chain_id_of(subject)
        try:
            events = list(self.events.get(chain_id, gt=version - 1, lte=version))
        except Exception as exc:  # whatever the library's decoding raises on a damaged row
            raise UnreadableEvent(
                f"the stored event of {subject} version {version} cannot be read:"
                f" {type(exc).__name__}: {exc}"
            ) from exc
        if not events:
            raise KeyError(f"no version {version} of {subject}")
        return chain_event_entry(events[0]).disclosures

    def notification_id_of(self, chain_id: UUID, version: int) -> int:
        """Position in the event feed of a chain's entry (for receipts of replays)."""
        found = self.chain_positions(chain_id, version)
        if version not in found:
            raise KeyError(f"no version {version} in chain {chain_id}")
        return found[version]

    def chain_positions(self, chain_id: UUID, version: int | None = None) -> dict[int, int]:
        """Version → position in the event feed of a chain's entries (one, with ``version``),
        in one query. The log is appended in feed order, so positions compare as log indexes do."""
        return self.queries.chain_positions(chain_id, version)

    # --- the feed the log follows ------------------------------------------------------------

    def read_feed(
        self, after: int, limit: int, known: Mapping[int, bytes] = _NOTHING_KNOWN
    ) -> list[tuple[int, bytes]]:
        """Chain entries in notification order after ``after``: the log sequencer's input.

        ``known``: entries this process has just saved, by notification id. When every entry
        due is among them (no other process wrote meanwhile), only the ids are read, not the
        events again.
        """
        if known:
            due = self.queries.notification_ids(after, limit, CHAIN_TOPICS)
            if all(i in known for i in due):
                return [(i, known[i]) for i in due]
        notifications = self.recorder.select_notifications(
            start=after, limit=limit, topics=CHAIN_TOPICS, inclusive_of_start=False
        )
        return [(n.id, entry_in_state(n.state).encode()) for n in notifications]


def _with_position(
    result: Accepted | Rejected, positions: Mapping[tuple[UUID, int], int]
) -> Accepted | Rejected:
    if isinstance(result, Rejected) or result.duplicate:
        return result
    nid = positions[(chain_id_of(result.subject), result.version)]
    return Accepted(**{**result.__dict__, "notification_id": nid})
