"""Event-sourced aggregates: one hash chain per subject, and the key index.

A subject chain's only event carries a ledger entry (canonical JSON, see
``ledger.entry``); its state is what the domain's pure ``evolve`` functions make
of the statements in those entries. Aggregate ids are UUIDv5 of the subject,
so an elevator is found by its equipment code without an index.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID, uuid5

import orjson
from eventsourcing.domain import Aggregate, event

from domain.model.catalogue import Statement, Subject
from domain.model.elevator import ElevatorState, evolve_elevator
from domain.model.organization import OrganizationState, evolve_organization
from domain.model.subjects import SubjectRef
from domain.model.submission import statement_of
from domain.model.timeline import tolerant_evolve

NAMESPACE = UUID("5b0c3f1e-7d2a-4c59-9a0e-3e1f2d6c8b71")


@functools.lru_cache(maxsize=65536)
def subject_id(kind: str, ident: str) -> UUID:
    """Cached: a UUIDv5 costs several microseconds, and every statement needs a few."""
    return uuid5(NAMESPACE, f"{kind}:{ident}")


def payload_hash(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


#: What the write path has just parsed, by the hash of the entry holding it: (version, statement).
#: Applying the event that carries the entry takes it from here instead of parsing the entry
#: again; replaying stored events parses. Keyed by the entry's hash, so only ever the truth.
_JUST_PARSED: dict[str, tuple[int, Statement]] = {}
_JUST_PARSED_MAX = 4096


def known_entry(entry_hash: str, version: int, statement: Statement) -> None:
    """Say what the entry with ``entry_hash`` holds, just before its event is triggered."""
    if len(_JUST_PARSED) >= _JUST_PARSED_MAX:  # left behind by events never triggered
        _JUST_PARSED.clear()
    _JUST_PARSED[entry_hash] = (version, statement)


class SubjectChain(Aggregate):
    """The hash chain of entries about one subject.

    Instance attributes (set by the creation event; not class annotations, which
    the eventsourcing library would read as event fields): ``head`` (entry hash
    of the latest entry), ``seen`` (payload hash -> (version, entry hash), to
    answer replays), ``state`` (what ``evolve`` made of the statements), ``latest_occurred_at``
    (the latest ``occurred_at`` of its statements) and ``refold_due``.

    Events are applied in log order, and ``evolve`` of a statement dated after all the others
    is the occurred-order fold (:mod:`domain.model.timeline`) — the usual case, one comparison.
    A statement dated earlier (back-dated) makes the log-order ``state`` wrong: ``refold_due``
    says so, until the application, which can read the chain's stored statements, sets the
    occurred-order fold (:meth:`refolded`). A chain rebuilt from stored events, or fast-forwarded
    past another process's back-dated entry, is marked the same way.
    """

    #: the pure domain function turning (state, statement) into the next state
    evolve: ClassVar[Any]

    def _start(
        self, state: Any, entry: str, entry_hash: str, payload: str, disclosures: Sequence[str]
    ) -> None:
        self.head: str | None = None
        self.seen: dict[str, tuple[int, str]] = {}
        self.state = state
        self.latest_occurred_at: datetime | None = None
        self.refold_due = False
        self._link(entry, entry_hash, payload)

    def _link(self, entry: str, entry_hash: str, payload: str) -> None:
        known = _JUST_PARSED.pop(entry_hash, None)
        if known is None:  # the entry says its own version (see ledger.entry)
            doc = orjson.loads(entry)
            known = doc["version"], statement_of(doc)
        version, statement = known
        self.head = entry_hash
        self.seen[payload] = (version, entry_hash)
        occurred = statement.occurred_at
        latest = self.latest_occurred_at
        if latest is None or occurred >= latest:
            self.latest_occurred_at = occurred
            self.state = type(self).evolve(self.state, statement)
        else:  # back-dated: the log-order state is not the occurred-order one; refolded later
            self.refold_due = True
            self.state = tolerant_evolve(type(self).evolve, self.state, statement)

    def refolded(self, state: Any) -> None:
        """Keep ``state``, the occurred-order fold of every statement of the chain."""
        self.state = state
        self.refold_due = False

    @event("Appended")
    def append(
        self, entry: str, entry_hash: str, payload: str, disclosures: Sequence[str] = ()
    ) -> None:
        """``disclosures``: the personal values of the entry's statement
        (:mod:`domain.model.personal`),
        stored with the event, never in the entry; the state does not keep them. (Events stored
        before disclosures existed have none.)"""
        self._link(entry, entry_hash, payload)


class Elevator(SubjectChain):
    evolve = staticmethod(evolve_elevator)

    @staticmethod
    def create_id(equipment_code: str) -> UUID:
        return subject_id("elevator", equipment_code)

    @event("Started")
    def __init__(
        self,
        equipment_code: str,
        entry: str,
        entry_hash: str,
        payload: str,
        disclosures: Sequence[str] = (),
    ) -> None:
        self._start(ElevatorState.empty(equipment_code), entry, entry_hash, payload, disclosures)


class Organization(SubjectChain):
    evolve = staticmethod(evolve_organization)

    @staticmethod
    def create_id(uscc: str) -> UUID:
        return subject_id("organization", uscc)

    @event("Started")
    def __init__(
        self, uscc: str, entry: str, entry_hash: str, payload: str, disclosures: Sequence[str] = ()
    ) -> None:
        self._start(OrganizationState.empty(uscc), entry, entry_hash, payload, disclosures)


@dataclass(frozen=True)
class ChainEventEntry:
    """What a chain event (``Started`` or ``Appended``) carries: the ledger entry's text and
    the disclosures kept beside it."""

    entry: str
    disclosures: list[str]


def chain_event_entry(event: object) -> ChainEventEntry:
    """The entry and disclosures of a chain event, typed. The library makes the event classes
    from the decorated methods' signatures, so no class declares these fields for a type
    checker; this is the one place that reads them. Events stored before disclosures existed
    have none."""
    fields: Any = event
    return ChainEventEntry(fields.entry, list(getattr(event, "disclosures", ())))


def entry_in_state(state: bytes) -> str:
    """The entry in a chain event's stored state (the library's JSON of the event's fields),
    read without decoding the whole event."""
    entry: str = orjson.loads(state)["entry"]
    return entry


def chain_id_of(subject: str) -> UUID:
    """The chain of an entry's subject (:class:`~domain.model.subjects.SubjectRef`'s wire form);
    raises :class:`~domain.model.subjects.SubjectError` for text of another form."""
    ref = SubjectRef.parse(subject)
    return (Elevator if ref.kind is Subject.ELEVATOR else Organization).create_id(ref.id)


class KeyRecord(Aggregate):
    """Global index of signing keys: key id -> owner, public key, binding, revocation."""

    @staticmethod
    def create_id(key_id: str) -> UUID:
        return subject_id("key", key_id)

    @event("Registered")
    def __init__(
        self,
        key_id: str,
        owner: str,
        algorithm: str,
        public_key: str,
        bound_elevator: str | None,
        registered_at: datetime,
    ) -> None:
        self.key_id, self.owner, self.algorithm = key_id, owner, algorithm
        self.public_key, self.bound_elevator = public_key, bound_elevator
        self.registered_at = registered_at
        self.revoked_at: datetime | None = None

    @event("Revoked")
    def revoke(self, revoked_at: datetime) -> None:
        self.revoked_at = revoked_at
