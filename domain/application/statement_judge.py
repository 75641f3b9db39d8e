"""Judging one statement inside a unit of work: load what it is judged against, decide, append.

The decision itself is pure (:mod:`domain.model.admission`); this is the part that reads
aggregates: the subject's chain (checked against the log when it comes from the event store
rather than the cache), the organizations the authorization asks about, the elevator a terminal
key is bound to, the signing keys. An
accepted statement is appended to its chain in the unit of work (saved with the others by the
application); the exact same statement again is answered with the original entry.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.application import AggregateNotFoundError, Repository

from domain.application.aggregates import (
    Elevator,
    KeyRecord,
    Organization,
    SubjectChain,
    known_entry,
)
from domain.application.fresh_cache import FreshAggregates
from domain.application.signers import Signers
from domain.application.unit_of_work import UnitOfWork
from domain.model.admission import (
    Accepted,
    check_backdated_statement,
    check_prev,
    check_statement,
    entry_for,
    is_late,
    replayed,
)
from domain.model.catalogue import Statement, Subject
from domain.model.elevator import ElevatorState
from domain.model.errors import Attribution, Rejected
from domain.model.organization import OrganizationState
from domain.model.personal import check_personal, parse_disclosures
from domain.model.rules import statement_data
from domain.model.subjects import SubjectRef
from domain.model.submission import invalid, parse_statement, parse_submission
from domain.model.timeline import (
    ELEVATOR_RULES,
    ORGANIZATION_RULES,
    Dated,
    dated_entry,
    fold_occurred,
)
from domain.model.trust import KeyInfo, TrustAnchor
from ledger.disclosure import DisclosureError
from ledger.dsse import Envelope
from ledger.entry import entry_hash

#: The entry text stored at a version of a chain (``ElevatorLedger.chain_entry``).
EntryAt = Callable[[UUID, int], str]
#: The entry texts stored in a chain after a version up to another, in version order
#: (``ElevatorLedger.chain_entries``).
ChainEntries = Callable[[UUID, int, int], list[str]]
#: How many parsed stored statements (of all chains) are kept for the next back-dated
#: statements: a few megabytes, the chains most recently joined by one
HISTORY_ENTRIES = 10_000


class StatementJudge:
    """Judges statements one by one against the chains and keys a unit of work sees."""

    def __init__(
        self,
        anchor: TrustAnchor,
        signers: Signers,
        fresh: FreshAggregates,
        repository: Repository[UUID],
        entry_at: EntryAt,
        chain_entries: ChainEntries,
        require_disclosures: bool,
    ) -> None:
        self.anchor, self.signers, self.fresh = anchor, signers, fresh
        self.repository, self.entry_at, self.chain_entries = repository, entry_at, chain_entries
        #: Per chain, its stored statements parsed (versions 1..n), most recently used last,
        #: at most HISTORY_ENTRIES in all:
        #: stored entries never change, so the next back-dated statement about the same chain
        #: reads only the entries stored since (signers whose clocks lag, a batch of paper
        #: records typed in).
        self._histories: OrderedDict[UUID, list[Dated]] = OrderedDict()
        self._kept = 0  # statements in _histories
        #: Personal fields are signed as salted digests; a submission must carry their values
        #: (disclosures). Re-verifying the public log has only the digests
        #: (domain.application.audit).
        self.require_disclosures = require_disclosures
        #: Asked about every chain loaded from the event store (not from the cache) before a
        #: statement is judged against it (see ``ElevatorLedger.check_loaded``).
        self.check_loaded: Callable[[SubjectChain], None] | None = None
        #: Elevators whose terminal bindings another process judges: a shard of the audit's
        #: replay (domain.application.audit_shards) holds only its own elevators' chains.
        self.bindings_judged_elsewhere: set[str] = set()

    def judge(
        self, raw: bytes | Mapping[str, Any], work: UnitOfWork, recorded_at: datetime, position: int
    ) -> Accepted:
        """Accept the envelope at ``position`` of the batch into ``work``, or raise the
        :class:`Rejected` that says why not."""
        parsed = work.preverified.parsed.get(position)
        envelope, envelope_json, disclosures = parsed or parse_submission(raw)
        signers = self.signers.verified(envelope, work, work.preverified.get(position))
        try:
            return self._judge_signed(
                envelope, envelope_json, disclosures, signers, work, recorded_at
            )
        except Rejected as exc:  # every signature verified: the refusal is its signers'
            exc.attribution = attribution(signers, envelope.payload, recorded_at)
            raise

    def _judge_signed(
        self,
        envelope: Envelope,
        envelope_json: dict[str, Any],
        disclosures: list[Any],
        signers: list[KeyInfo],
        work: UnitOfWork,
        recorded_at: datetime,
    ) -> Accepted:
        """:meth:`judge` once the envelope's signatures have verified."""
        stmt = parse_statement(envelope.payload, envelope_json["payload"])
        personal = self._personal(stmt, disclosures)
        chain_cls = Elevator if stmt.statement_type.subject is Subject.ELEVATOR else Organization
        chain = self.chain(chain_cls, stmt.subject_id, work)
        digest = hashlib.sha256(envelope.payload).hexdigest()
        if chain is not None and digest in chain.seen:
            pending = work.pending.get((chain.id, digest))
            if pending is not None:  # twice in one unit of work: stored once
                return dataclasses.replace(pending, duplicate=True, notification_id=None)
            version, ehash = chain.seen[digest]
            return replayed(self.entry_at(chain.id, version), ehash, version)
        version = 1 if chain is None else chain.version + 1
        head = None if chain is None else chain.head
        check_prev(stmt, head, version - 1)
        refolded = self._decide(stmt, signers, chain, work, recorded_at)
        entry = entry_for(envelope_json, stmt, version, head, recorded_at)
        data = entry.to_bytes()
        ehash = entry_hash(data)
        text = data.decode()
        known_entry(ehash, version, stmt)  # applying the event need not parse the entry again
        if chain is None:
            created: SubjectChain = chain_cls(stmt.subject_id, text, ehash, digest, personal)
            work.chains[created.id] = created
        else:
            chain.append(entry=text, entry_hash=ehash, payload=digest, disclosures=personal)
            if refolded is not None:
                chain.refolded(refolded)
            if any(KeyRecord.create_id(k.key_id) in work.keys for k in signers):
                # signed by a key this unit of work registers: the chains are saved (and so
                # logged) in the order of ``work.chains``, so this chain goes after the key's
                # organization, or the log would hold the entry before the key that signs it
                work.chains[chain.id] = work.chains.pop(chain.id)
        self.signers.index(stmt, recorded_at, work)
        late = is_late(stmt, recorded_at)
        accepted = Accepted(data, ehash, entry.subject, version, recorded_at, stmt, late)
        work.accepted.append(accepted)
        work.pending[(chain_cls.create_id(stmt.subject_id), digest)] = accepted
        return accepted

    def _decide(
        self,
        stmt: Statement,
        signers: Sequence[KeyInfo],
        chain: SubjectChain | None,
        work: UnitOfWork,
        recorded_at: datetime,
    ) -> ElevatorState | OrganizationState | None:
        """Raise the :class:`Rejected` that says why ``stmt`` may not join ``chain``. A
        statement dated at or after the chain's latest is judged against its state (the fast
        path: one comparison more than before); one dated earlier on the occurred axis
        (domain.model.timeline), which returns the chain's state with it, for the chain to
        keep (None on the fast path: ``evolve`` makes that state)."""

        def organizations(uscc: str) -> OrganizationState | None:
            return self._organization(uscc, work)

        def key_owner(key_id: str) -> str | None:
            return self.signers.owner(key_id, work)

        latest = None if chain is None else chain.latest_occurred_at
        elevators = self._elevators(stmt, work)
        if chain is None or latest is None or stmt.occurred_at >= latest:
            state = None if chain is None else chain.state
            check_statement(
                stmt,
                signers,
                state,
                organizations,
                key_owner,
                self.anchor.uscc,
                recorded_at,
                elevators,
            )
            return None
        return check_backdated_statement(
            stmt,
            signers,
            chain.state,
            self.history(chain, work),
            organizations,
            key_owner,
            self.anchor.uscc,
            recorded_at,
            elevators,
        )

    def _personal(self, stmt: Statement, raw: Sequence[Any]) -> list[str]:
        """The disclosures to keep beside the entry, once they match the statement."""
        try:
            disclosures = parse_disclosures(raw)
        except DisclosureError as exc:
            invalid([{"loc": exc.loc, "msg": exc.message}])
        errors = check_personal(stmt, disclosures, self.require_disclosures)
        if errors:
            invalid(errors)
        return [d.encoded for d in disclosures]

    def chain(self, cls: type[SubjectChain], ident: str, work: UnitOfWork) -> SubjectChain | None:
        """The subject's chain as ``work`` sees it (not a copy: the unit of work changes it in
        place, and a failed save evicts it), or None if the subject has none yet."""
        cid = cls.create_id(ident)
        if cid in work.chains:
            return work.chains[cid]
        cache = self.repository.cache
        cold = cache is None or cid not in cache.cache
        try:
            chain: SubjectChain = self.fresh.get(cid)
        except AggregateNotFoundError:
            return None
        if cold and self.check_loaded is not None:
            try:
                self.check_loaded(chain)
            except Rejected:
                if cache is not None:  # judged again, and checked again, next time
                    with contextlib.suppress(KeyError):
                        cache.get(cid, evict=True)
                raise
        if chain.refold_due:
            self.refold(chain, work)
        work.chains[cid] = chain
        return chain

    def history(self, chain: SubjectChain, work: UnitOfWork) -> list[Dated]:
        """The chain's statements as ``work`` sees them: those stored, then those this unit
        of work appended and has not saved yet. Read for back-dated statements only."""
        subject = _subject_of(chain)
        pending = [
            Dated(a.statement, a.version, a.recorded_at)
            for a in work.accepted
            if not a.duplicate and a.subject == subject
        ]
        stored_to = min((d.version for d in pending), default=chain.version + 1) - 1
        return [*self._stored(chain.id, stored_to), *pending]

    def forget_histories(self) -> None:
        """Forget the parsed stored statements (the next back-dated statement reads its chain
        from the event store again: what ``bench.backdated`` measures as the cold case)."""
        self._histories.clear()
        self._kept = 0

    def _stored(self, chain_id: UUID, version: int) -> list[Dated]:
        """The chain's stored statements up to ``version``: those parsed before, and those
        stored since read from the event store."""
        known = self._histories.pop(chain_id, [])
        self._kept -= len(known)
        known = [d for d in known if d.version <= version]  # never more than is stored
        after = len(known)
        known += [dated_entry(text) for text in self.chain_entries(chain_id, version, after)]
        while self._kept + len(known) > HISTORY_ENTRIES and self._histories:
            self._kept -= len(self._histories.popitem(last=False)[1])
        if len(known) <= HISTORY_ENTRIES:
            self._histories[chain_id] = known
            self._kept += len(known)
        return list(known)

    def refold(self, chain: SubjectChain, work: UnitOfWork) -> None:
        """Set the chain's state to the occurred-order fold of its statements (it holds a
        back-dated one and was rebuilt or advanced in log order)."""
        rules: Any = ELEVATOR_RULES if isinstance(chain, Elevator) else ORGANIZATION_RULES
        chain.refolded(fold_occurred(rules, _subject_id(chain), self.history(chain, work)))

    def _elevators(
        self, stmt: Statement, work: UnitOfWork
    ) -> Callable[[str], ElevatorState | None] | None:
        """How the rules find the elevator a terminal key is bound to (None: its binding is
        judged in another shard of the replay, which holds that elevator's chain)."""
        if self.bindings_judged_elsewhere and stmt.type == "key.registered":
            data = statement_data(stmt)
            if getattr(data, "bound_elevator", None) in self.bindings_judged_elsewhere:
                return None
        return lambda code: self._elevator(code, work)

    def _elevator(self, code: str, work: UnitOfWork) -> ElevatorState | None:
        chain = self.chain(Elevator, code, work)
        return chain.state if isinstance(chain, Elevator) else None

    def _organization(self, uscc: str, work: UnitOfWork) -> OrganizationState | None:
        chain = self.chain(Organization, uscc, work)
        return chain.state if isinstance(chain, Organization) else None


def _subject_of(chain: SubjectChain) -> str:
    """The wire form of the chain's subject, as entries name it (``elevator:<code>``)."""
    kind = Subject.ELEVATOR if isinstance(chain, Elevator) else Subject.ORGANIZATION
    return str(SubjectRef(kind, _subject_id(chain)))


def _subject_id(chain: SubjectChain) -> str:
    state = chain.state
    return str(state.equipment_code if isinstance(state, ElevatorState) else state.uscc)


#: The longest statement type, subject or nonce an attribution keeps (a refused payload may
#: hold anything: these are what the submitter said, not what the catalogue allows).
ATTRIBUTED_TEXT = 128


def attribution(signers: Sequence[KeyInfo], payload: bytes, at: datetime) -> Attribution | None:
    """Who a refusal at ``at`` of a statement whose signatures all verified is filed under:
    the owners of its keys not revoked by then (a revoked key may be in other hands: it
    files nothing under its former owner), with the statement's type, subject and nonce as
    far as the payload reads (it may be the very thing refused). Refusals only: nothing here
    runs for an accepted statement."""
    kept = tuple((k.owner, k.key_id) for k in signers if k.revoked_at is None or k.revoked_at > at)
    if not kept:
        return None
    try:
        doc = orjson.loads(payload)
    except orjson.JSONDecodeError:
        doc = None
    doc = doc if isinstance(doc, dict) else {}

    def text(name: str) -> str | None:
        value = doc.get(name)
        return value[:ATTRIBUTED_TEXT] if isinstance(value, str) else None

    kind, code, uscc = text("type"), text("elevator"), text("organization")
    subject = f"elevator:{code}" if code else f"organization:{uscc}" if uscc else None
    return Attribution(kept, kind, subject, text("nonce"))
