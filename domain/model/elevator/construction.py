"""Construction (施工告知): installation, modification, major repair and relocation, each opened by
the construction unit's notification and closed by its completion, then by the supervisory
inspection (:mod:`~domain.model.elevator.inspection`).
"""

from __future__ import annotations

from dataclasses import replace

from domain.model.catalogue import (
    ConstructionCompleted,
    ConstructionKind,
    ConstructionNotified,
    Statement,
)
from domain.model.elevator.registry import PARTIES, STEPS
from domain.model.elevator.state import (
    Construction,
    ElevatorState,
    Lifecycle,
    registered_and_whole,
)
from domain.model.rules import RuleViolation, data_of


def _check_construction_notified(state: ElevatorState, stmt: Statement) -> None:
    kind = data_of(stmt, ConstructionNotified).kind
    code = state.equipment_code
    if state.construction is not None:
        open_ = state.construction
        raise RuleViolation(
            "one-construction-at-a-time",
            f"elevator {code} already has an open {open_.kind} construction by {open_.unit},"
            f" notified {open_.notified_at.isoformat()}; it must pass its supervisory inspection"
            " first",
        )
    if kind is ConstructionKind.INSTALLATION:
        if state.lifecycle is not Lifecycle.MANUFACTURED:
            raise RuleViolation(
                "installation-needs-new-elevator",
                f"elevator {code} is {state.lifecycle}, not newly manufactured: it cannot be"
                " installed again (a move is a relocation)",
            )
    elif not registered_and_whole(state):
        raise RuleViolation(
            "construction-needs-registration",
            f"a {kind} of elevator {code} needs it registered and in service or stopped; it is"
            f" {state.lifecycle}",
        )


def _construction_notified(state: ElevatorState, stmt: Statement) -> ElevatorState:
    """A stopped elevator under construction is no longer merely stopped: its way back into
    service is the construction's supervisory inspection, not use.resumed."""
    kind = data_of(stmt, ConstructionNotified).kind
    return replace(
        state,
        construction=Construction(kind, stmt.issuer, stmt.occurred_at),
        lifecycle=Lifecycle.UNDER_CONSTRUCTION,
        stopped_at=None,
        inspections=state.inspections.out_of_use(stmt.occurred_at.date()),
    )


STEPS.register(
    "construction.notified", check=_check_construction_notified, evolve=_construction_notified
)
# any licensed construction unit: the owner engages it, and the notice is the first the ledger
# hears of that engagement
PARTIES.register("construction.notified", who=None)


def _check_construction_completed(state: ElevatorState, stmt: Statement) -> None:
    kind = data_of(stmt, ConstructionCompleted).kind
    code = state.equipment_code
    open_ = state.construction
    if open_ is None or open_.completed_at is not None:
        raise RuleViolation(
            "construction-not-open",
            f"elevator {code} has no notified construction waiting to be completed",
        )
    if open_.kind is not kind:
        raise RuleViolation(
            "construction-kind-mismatch",
            f"the open construction of elevator {code} is a {open_.kind}, not a {kind}",
        )
    if stmt.issuer != open_.unit:
        raise RuleViolation(
            "construction-unit-mismatch",
            f"the {kind} of elevator {code} was notified by {open_.unit}; {stmt.issuer} may not"
            " complete it",
        )


def _construction_completed(state: ElevatorState, stmt: Statement) -> ElevatorState:
    assert state.construction is not None
    return replace(
        state,
        construction=replace(state.construction, completed_at=stmt.occurred_at),
        last_construction_kind=state.construction.kind,
        awaiting_supervisory=True,
        lifecycle=Lifecycle.AWAITING_INSPECTION,
    )


STEPS.register(
    "construction.completed", check=_check_construction_completed, evolve=_construction_completed
)
PARTIES.register("construction.completed", who=None)  # construction-unit-mismatch, its check
