"""The registry of statement types: per type, its rule and its effect; and the two functions the
rest of the ledger calls, which apply the rules every statement passes and then the registered
ones; and, per statement type, who may sign it relative to the elevator (:data:`PARTIES`).

A lifecycle-area module (:mod:`~domain.model.elevator.construction`, ...) registers each of its
types once in :data:`STEPS` (a :class:`~domain.model.rules.StepRegistry`), right under the type's
check and effect, so that a type's rule and effect are read together. The dispatch is one
dictionary lookup per call: this is the write path's hot loop.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from domain.model.catalogue import KeyRegistered, Statement
from domain.model.elevator.state import ElevatorState, Lifecycle, is_own_party
from domain.model.roles import Role
from domain.model.rules import RuleViolation, StepRegistry, check_not_in_the_future, data_of

__all__ = [
    "PARTIES",
    "STEPS",
    "PartyCheck",
    "PartyRegistry",
    "check_elevator_statement",
    "check_terminal_binding",
    "evolve_elevator",
    "not_a_party",
]

#: The elevator statement types, registered by the lifecycle-area modules when the package loads.
STEPS: StepRegistry[ElevatorState] = StepRegistry()
_CHECKS = STEPS.checks
_EVOLUTIONS = STEPS.evolutions

#: Who may sign a statement relative to the elevator: ``(state, stmt, acting_as)`` raises
#: :class:`RuleViolation` unless the issuer is one of the elevator's own parties for that type.
#: ``acting_as`` holds the type's signer roles the issuer holds on ``occurred_at`` (the 96333
#: platform, the regulator... are parties by their role, not by a relation to one elevator).
PartyCheck = Callable[[ElevatorState, Statement, frozenset[Role]], None]


class PartyRegistry:
    """Per elevator statement type, who may sign it relative to the elevator, registered once by
    the area module beside the type's ``STEPS.register`` line. ``who=None`` is the decision that
    the role (and licence) alone suffice: docs/lifecycle.md ("Who may sign what about an
    elevator") says why for each type."""

    __slots__ = ("checks", "names")

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.checks: dict[str, PartyCheck] = {}

    def register(self, name: str, *, who: PartyCheck | None) -> None:
        if name in self.names:
            raise ValueError(f"statement type {name} already has its parties registered")
        self.names.add(name)
        if who is not None:
            self.checks[name] = who


#: The relation checks of the elevator statement types (every type is registered, see above).
PARTIES = PartyRegistry()
_PARTY_CHECKS = PARTIES.checks


def check_elevator_statement(
    state: ElevatorState,
    stmt: Statement,
    recorded_at: datetime,
    acting_as: frozenset[Role] | None = None,
) -> None:
    """Raise :class:`RuleViolation` unless ``stmt`` fits the elevator's history.

    First the rules every statement passes (docs/lifecycle.md, "Existence and time"), in this
    order, then whether the issuer may sign it about this elevator (:data:`PARTIES`), then the
    rule registered for ``stmt.type``: the first rule broken is the one reported.
    ``recorded_at`` is the ledger's clock: a statement may not claim to have happened later than
    that (plus :data:`~domain.model.rules.CLOCK_SKEW`). ``acting_as``: the type's signer roles
    the issuer holds on ``occurred_at`` (authorization has checked it holds one); None, for
    callers that judged no roles (tests of the lifecycle alone), means all of them.
    """
    code = state.equipment_code
    if stmt.elevator != code:
        raise RuleViolation(
            "statement-for-another-elevator",
            f"{stmt.type} is about {stmt.elevator or stmt.organization}, not elevator {code}",
        )
    check_not_in_the_future(stmt.occurred_at, recorded_at)
    if stmt.type != "elevator.manufactured":  # the one statement that needs no elevator yet
        # Inline rather than a helper: this runs for every statement written.
        if state.lifecycle is None or state.manufactured_at is None:
            raise RuleViolation(
                "elevator-unknown",
                f"elevator {code} is unknown to the ledger: elevator.manufactured must come before"
                f" {stmt.type}",
            )
        if state.lifecycle is Lifecycle.CANCELLED:
            raise RuleViolation(
                "elevator-cancelled",
                f"elevator {code}'s registration is cancelled; {stmt.type} cannot be recorded",
            )
        if state.lifecycle is Lifecycle.SCRAPPED and stmt.type != "registration.cancelled":
            raise RuleViolation(
                "elevator-scrapped",
                f"elevator {code} was scrapped at"
                f" {(state.scrapped_at or state.manufactured_at).isoformat()};"
                f" only registration.cancelled may follow, not {stmt.type}",
            )
        if stmt.occurred_at < state.manufactured_at:
            raise RuleViolation(
                "before-manufacture",
                f"{stmt.type} at {stmt.occurred_at.isoformat()} is before elevator {code} was"
                f" manufactured ({state.manufactured_at.isoformat()})",
            )
    party = _PARTY_CHECKS.get(stmt.type)
    if party is not None:
        party(state, stmt, stmt.statement_type.signer_roles if acting_as is None else acting_as)
    check = _CHECKS.get(stmt.type)
    if check is not None:
        check(state, stmt)


def evolve_elevator(state: ElevatorState, stmt: Statement) -> ElevatorState:
    """The state after ``stmt`` (assumed accepted by :func:`check_elevator_statement`).

    Statements that change nothing the rules read (a sale, a supervision check, a penalty...)
    return ``state`` itself.
    """
    evolve = _EVOLUTIONS.get(stmt.type)
    return state if evolve is None else evolve(state, stmt)


def not_a_party(rule: str, state: ElevatorState, stmt: Statement, parties: str) -> RuleViolation:
    """The refusal of an issuer that is not one of the elevator's own parties for ``stmt.type``
    on its date; ``parties`` names who may sign it (for the message)."""
    return RuleViolation(
        rule,
        f"{stmt.type} about elevator {state.equipment_code} on {stmt.occurred_at.date()} is for"
        f" {parties}; {stmt.issuer} is none of them",
    )


def check_terminal_binding(state: ElevatorState | None, stmt: Statement) -> None:
    """Raise :class:`RuleViolation` unless the terminal key ``stmt`` registers (``key.registered``
    with ``bound_elevator``) may be bound to that elevator, whose state is ``state`` (None: no
    chain).

    An organization statement judged against an elevator: the terminal will sign faults and
    alarms as its owner, so its owner must answer for the elevator on the day it is bound — its
    registered use unit or the maintainer under contract — and the elevator must be in the
    ledger and not scrapped or cancelled.
    """
    data = data_of(stmt, KeyRegistered)
    code = data.bound_elevator
    if state is None or state.lifecycle in (None, Lifecycle.SCRAPPED, Lifecycle.CANCELLED):
        status = "unknown" if state is None or state.lifecycle is None else str(state.lifecycle)
        raise RuleViolation(
            "terminal-elevator-unknown",
            f"terminal key {data.key_id} is bound to elevator {code}, which is {status} in the"
            " ledger",
        )
    on = stmt.occurred_at.date()
    if not is_own_party(state, stmt.organization or "", on):
        raise RuleViolation(
            "terminal-owner-not-a-party",
            f"terminal key {data.key_id} of {stmt.organization} is bound to elevator {code}, but"
            f" on {on} {stmt.organization} is neither its registered use unit nor its maintenance"
            " unit under contract",
        )
