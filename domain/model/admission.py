"""Whether a statement may join its subject's chain, and the entry it then makes.

Pure: given the chain's head and state, the signers whose signatures verified, a way to look
up organizations and key owners, and the time it is recorded, these functions decide; loading
those states (and saving the entry) is the application's part
(:mod:`domain.application.statement_judge`). Each refusal is a :class:`Rejected` naming why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from domain.model.authorization import OrgLookup, acting_roles, authorize
from domain.model.catalogue import KeyRegistered, Statement, Subject, class_codes_assigned
from domain.model.elevator import ElevatorState, check_elevator_statement, check_terminal_binding
from domain.model.errors import InvalidStatement, RuleBroken, StaleChainHead
from domain.model.organization import OrganizationState, check_organization_statement
from domain.model.rules import RuleViolation, statement_data
from domain.model.subjects import SubjectRef
from domain.model.submission import statement_of
from domain.model.timeline import (
    ELEVATOR_RULES,
    ORGANIZATION_RULES,
    Dated,
    judge_on_its_date,
)
from domain.model.trust import KeyInfo
from ledger.entry import Entry
from ledger.keys import KeyFormatError, VerifyingKey

#: The organization a key id is registered to, if any key has that id.
KeyOwnerLookup = Callable[[str], str | None]
#: An elevator's state by equipment code, None if the ledger has no chain for it.
ElevatorLookup = Callable[[str], ElevatorState | None]


@dataclass(frozen=True)
class Accepted:
    """A statement the ledger accepted: its entry, and where in its chain it is."""

    entry: bytes
    entry_hash: str
    subject: str  # "elevator:<equipment code>" or "organization:<USCC>"
    version: int
    recorded_at: datetime
    statement: Statement
    late: bool
    duplicate: bool = False
    notification_id: int | None = None  # position in the event feed, once saved


#: Policy: from when (the ledger's ``recorded_at``) a statement may no longer give a class code
#: (类别, 3200) where it assigns an elevator's code. The ledger took 3200 for a variety until
#: then; what it recorded so stays acceptable, so ``verify`` (which replays the write path at each
#: entry's ``recorded_at``) still accepts those entries, and an import dated before may carry one.
CLASS_CODES_REFUSED_FROM = datetime(2026, 12, 7, tzinfo=timezone(timedelta(hours=8)))


def check_codes(stmt: Statement, recorded_at: datetime) -> None:
    """Equipment and registration codes begin with a variety (品种), never a class (类别):
    refused with every place a class code is assigned (from :data:`CLASS_CODES_REFUSED_FROM`)."""
    if recorded_at < CLASS_CODES_REFUSED_FROM:
        return
    found = class_codes_assigned(stmt)
    if found:
        errors = [{"loc": loc, "msg": why} for loc, why in found]
        raise InvalidStatement(f"{errors[0]['loc']}: {errors[0]['msg']}", errors=errors)


def check_prev(stmt: Statement, head: str | None, version: int) -> None:
    """A statement that names the entry it follows (``prev``) must follow the chain's head:
    otherwise its signer saw another history (``version`` is the head's)."""
    if stmt.prev is not None and stmt.prev != head:
        raise StaleChainHead(
            f"prev {stmt.prev[:16]}… is not the head of {stmt.subject_id}",
            head=head,
            version=version,
        )


def check_statement(
    stmt: Statement,
    signers: Sequence[KeyInfo],
    state: ElevatorState | OrganizationState | None,
    organizations: OrgLookup,
    key_owner: KeyOwnerLookup,
    authority: str,
    recorded_at: datetime,
    elevators: ElevatorLookup | None = None,
) -> None:
    """May these signers say this about a subject in ``state`` (None: a subject not seen
    yet), now? Its codes first, then authorization, then the subject's rules, which for an
    elevator include whether the issuer is one of its parties, and for a terminal key
    (``elevators``: how to find the elevator it is bound to) whether its owner is."""
    check_codes(stmt, recorded_at)
    category = state.category if isinstance(state, ElevatorState) else None
    authorize(stmt, signers, organizations, authority, category)
    try:
        if stmt.statement_type.subject is Subject.ORGANIZATION:
            if not isinstance(state, OrganizationState):
                state = OrganizationState.empty(stmt.subject_id)
            check_organization_statement(state, stmt, recorded_at)
            check_key_statement(stmt, key_owner)
            if elevators is not None:
                _check_binding(stmt, elevators)
        else:
            if not isinstance(state, ElevatorState):
                state = ElevatorState.empty(stmt.subject_id)
            roles = acting_roles(stmt, organizations, authority)
            check_elevator_statement(state, stmt, recorded_at, roles)
    except RuleViolation as exc:
        raise RuleBroken(exc.rule, exc.message) from exc


def check_backdated_statement(
    stmt: Statement,
    signers: Sequence[KeyInfo],
    state: ElevatorState | OrganizationState,
    history: Sequence[Dated],
    organizations: OrgLookup,
    key_owner: KeyOwnerLookup,
    authority: str,
    recorded_at: datetime,
    elevators: ElevatorLookup | None = None,
) -> ElevatorState | OrganizationState:
    """:func:`check_statement` for a statement dated before the latest of its chain: judged
    on its date and against what occurred after it
    (:func:`domain.model.timeline.judge_on_its_date`). ``state`` is the chain's state now,
    ``history`` its statements with their versions. Returns the chain's state with the
    statement (the occurred-order fold) for the chain to keep.

    The statement itself is judged with the roles its issuer holds on its date (the relation
    checks: :data:`~domain.model.elevator.PARTIES`); the later statements it is checked against
    are re-judged on their own rules and relations to the elevator's parties, each with the roles
    its own issuer holds on its own date."""
    check_codes(stmt, recorded_at)
    category = state.category if isinstance(state, ElevatorState) else None
    authorize(stmt, signers, organizations, authority, category)
    new = Dated(stmt, 1 + max((d.version for d in history), default=0), recorded_at)
    try:
        if stmt.statement_type.subject is Subject.ORGANIZATION:
            after: ElevatorState | OrganizationState = judge_on_its_date(
                ORGANIZATION_RULES, stmt.subject_id, history, new
            )
            check_key_statement(stmt, key_owner)
            if elevators is not None:
                _check_binding(stmt, elevators)
        else:
            roles = acting_roles(stmt, organizations, authority)

            def check_new(s: ElevatorState, st: Statement, at: datetime) -> None:
                check_elevator_statement(s, st, at, roles)

            def check_later(s: ElevatorState, st: Statement, at: datetime) -> None:
                check_elevator_statement(s, st, at, acting_roles(st, organizations, authority))

            after = judge_on_its_date(
                ELEVATOR_RULES,
                stmt.subject_id,
                history,
                new,
                check_new=check_new,
                check_later=check_later,
            )
    except RuleViolation as exc:
        raise RuleBroken(exc.rule, exc.message) from exc
    return after


def check_key_statement(stmt: Statement, key_owner: KeyOwnerLookup) -> None:
    """A key registration must carry a well-formed key whose id it states, and an id no key
    has yet (the organization's own rules see only its own keys)."""
    data = statement_data(stmt)
    if isinstance(data, KeyRegistered):
        try:
            key = VerifyingKey.from_b64(data.public_key, data.algorithm)
        except KeyFormatError as exc:
            raise RuleBroken("key-malformed", str(exc)) from exc
        if key.key_id != data.key_id:
            raise RuleBroken("key-id-mismatch", f"key_id must be {key.key_id}")
        owner = key_owner(data.key_id)
        if owner is not None:
            raise RuleBroken("key-id-taken", f"key {data.key_id[:16]}… is registered to {owner}")


def _check_binding(stmt: Statement, elevators: ElevatorLookup) -> None:
    """A terminal key (``key.registered`` with ``bound_elevator``) is judged against the
    elevator it is bound to, as that elevator's chain stands."""
    data = statement_data(stmt)
    if isinstance(data, KeyRegistered) and data.bound_elevator is not None:
        check_terminal_binding(elevators(data.bound_elevator), stmt)


def is_late(stmt: Statement, recorded_at: datetime) -> bool:
    """Recorded longer after it happened than its type allows (accepted, but flagged)."""
    return recorded_at - stmt.occurred_at > stmt.statement_type.late_after


def entry_for(
    envelope_json: dict[str, Any],
    stmt: Statement,
    version: int,
    head: str | None,
    recorded_at: datetime,
) -> Entry:
    """The ledger entry of an accepted statement: its envelope, linked after ``head``."""
    subject = SubjectRef(stmt.statement_type.subject, stmt.subject_id)
    return Entry(envelope_json, str(subject), version, head, recorded_at)


def replayed(text: str, entry_hash: str, version: int) -> Accepted:
    """The answer to the exact same statement again: the original entry, stored once."""
    entry = Entry.from_bytes(text.encode())
    original = statement_of(text)
    return Accepted(
        text.encode(),
        entry_hash,
        entry.subject,
        version,
        entry.recorded_at,
        original,
        is_late(original, entry.recorded_at),
        duplicate=True,
    )
