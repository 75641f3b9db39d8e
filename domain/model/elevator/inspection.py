"""Inspection (检验): the supervisory inspection closing a construction, periodic inspections,
re-inspections after a failure, and self-tests.

One statement type, ``inspection.concluded``, whose kind decides both the rule and the effect.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from domain.model.catalogue import (
    ConstructionKind,
    InspectionConcluded,
    InspectionConclusion,
    InspectionKind,
    Statement,
)
from domain.model.elevator.registry import STEPS
from domain.model.elevator.state import (
    ElevatorState,
    FailedInspection,
    Lifecycle,
    registered_and_whole,
)
from domain.model.rules import RuleViolation, data_of

#: Constructions after which the elevator needs a (new) registration before running again.
_NEEDS_REGISTRATION_AFTER = frozenset({ConstructionKind.INSTALLATION, ConstructionKind.RELOCATION})


def _check_inspection(state: ElevatorState, stmt: Statement) -> None:
    kind = data_of(stmt, InspectionConcluded).kind
    code = state.equipment_code
    if kind is InspectionKind.SUPERVISORY:
        if not state.awaiting_supervisory:
            raise RuleViolation(
                "supervisory-inspection-without-construction",
                f"elevator {code} has no completed construction awaiting a supervisory inspection"
                + (
                    " (its last one failed: a re-inspection is due)"
                    if state.failed_inspection_open is not None
                    else ""
                ),
            )
    elif kind is InspectionKind.RE_INSPECTION:
        if state.failed_inspection_open is None:
            raise RuleViolation(
                "re-inspection-without-failure",
                f"elevator {code} has no failed inspection open to re-inspect",
            )
    elif not registered_and_whole(state):
        raise RuleViolation(
            "inspection-needs-registration",
            f"a {kind} inspection needs elevator {code} registered and in service or stopped;"
            f" it is {state.lifecycle}",
        )


def _supervisory_pass(state: ElevatorState, at: datetime) -> ElevatorState:
    """Closes the construction. After an installation or relocation the elevator waits for its
    (re)registration; after a modification or major repair it is back in service (so any use
    while it was not is history now) — a modification with a change registration due (TSG
    08-2017; a major repair needs none)."""
    needs_registration = state.last_construction_kind in _NEEDS_REGISTRATION_AFTER
    change_due = state.change_registration_due
    if state.last_construction_kind is ConstructionKind.MODIFICATION:
        change_due = change_due or at  # the oldest obligation not yet met
    return replace(
        state,
        construction=None,
        awaiting_supervisory=False,
        failed_inspection_open=None,
        last_supervisory_pass_at=at,
        lifecycle=Lifecycle.INSPECTED if needs_registration else Lifecycle.IN_SERVICE,
        change_registration_due=change_due,
        used_unregistered=state.used_unregistered if needs_registration else None,
    )


def _periodic_pass(state: ElevatorState, at: datetime) -> ElevatorState:
    """A periodic pass also closes an open periodic failure: the elevator was found fit."""
    failed = state.failed_inspection_open
    if failed is not None and failed.kind is InspectionKind.PERIODIC:
        failed = None
    return replace(state, last_periodic_pass_at=at, failed_inspection_open=failed)


def _inspection(state: ElevatorState, stmt: Statement) -> ElevatorState:
    data = data_of(stmt, InspectionConcluded)
    at = stmt.occurred_at
    passed = data.conclusion is InspectionConclusion.PASS
    if data.kind is InspectionKind.SUPERVISORY:
        if passed:
            return _supervisory_pass(state, at)
        return replace(
            state,
            awaiting_supervisory=False,
            failed_inspection_open=FailedInspection(InspectionKind.SUPERVISORY, at),
        )
    if data.kind is InspectionKind.RE_INSPECTION:
        failed = state.failed_inspection_open
        assert failed is not None
        if not passed:
            return replace(state, failed_inspection_open=replace(failed, at=at))
        if failed.kind is InspectionKind.SUPERVISORY:
            return _supervisory_pass(state, at)
        return _periodic_pass(state, at)
    if data.kind is InspectionKind.PERIODIC:
        if passed:
            return _periodic_pass(state, at)
        return replace(state, failed_inspection_open=FailedInspection(InspectionKind.PERIODIC, at))
    return state  # self-test: recorded, but it neither opens nor closes a failure


STEPS.register("inspection.concluded", check=_check_inspection, evolve=_inspection)
