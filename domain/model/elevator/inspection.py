"""Inspection (检验): the supervisory inspection closing a construction, periodic inspections,
re-inspections after a failure, and self-tests.

One statement type, ``inspection.concluded``, whose kind decides both the rule and the effect.
"""

from __future__ import annotations

from dataclasses import replace

from domain.model.catalogue import (
    ConstructionKind,
    InspectionConcluded,
    InspectionConclusion,
    InspectionKind,
    Statement,
)
from domain.model.elevator.registry import PARTIES, STEPS, not_a_party
from domain.model.elevator.state import (
    ElevatorState,
    FailedInspection,
    Lifecycle,
    maintenance_unit_on,
    registered_and_whole,
)
from domain.model.roles import Role
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


def _supervisory_pass(state: ElevatorState, stmt: Statement) -> ElevatorState:
    """Closes the construction. After an installation or relocation the elevator waits for its
    (re)registration; after a modification or major repair it is back in service (so any use
    while it was not is history now) — a modification with a change registration due (TSG
    08-2017; a major repair needs none). The schedule counts its years again after an
    installation or modification, moves only its month after a major repair or relocation
    (domain/model/inspection_schedule.py)."""
    at, data = stmt.occurred_at, data_of(stmt, InspectionConcluded)
    kind = state.last_construction_kind
    needs_registration = kind in _NEEDS_REGISTRATION_AFTER
    change_due = state.change_registration_due
    if kind is ConstructionKind.MODIFICATION:
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
        inspections=state.inspections.supervisory_pass(at.date(), kind, data.next_due),
    )


def _periodic_pass(state: ElevatorState, stmt: Statement) -> ElevatorState:
    """A periodic pass also closes an open periodic failure: the elevator was found fit."""
    at, data = stmt.occurred_at, data_of(stmt, InspectionConcluded)
    failed = state.failed_inspection_open
    if failed is not None and failed.kind is InspectionKind.PERIODIC:
        failed = None
    return replace(
        state,
        last_periodic_pass_at=at,
        failed_inspection_open=failed,
        inspections=state.inspections.inspection_pass(
            at.date(), InspectionKind.PERIODIC, data.next_due
        ),
    )


def _failed(state: ElevatorState, stmt: Statement, kind: InspectionKind) -> ElevatorState:
    """A failure (of ``kind``) open from this conclusion; due again at its deadline."""
    data = data_of(stmt, InspectionConcluded)
    at = stmt.occurred_at
    return replace(
        state,
        failed_inspection_open=FailedInspection(kind, at),
        inspections=state.inspections.inspection_failed(
            at.date(), kind, data.rectification_deadline
        ),
    )


def _inspection(state: ElevatorState, stmt: Statement) -> ElevatorState:
    data = data_of(stmt, InspectionConcluded)
    passed = data.conclusion is InspectionConclusion.PASS
    if data.kind is InspectionKind.SUPERVISORY:
        if passed:
            return _supervisory_pass(state, stmt)
        return replace(_failed(state, stmt, InspectionKind.SUPERVISORY), awaiting_supervisory=False)
    if data.kind is InspectionKind.RE_INSPECTION:
        failed = state.failed_inspection_open
        assert failed is not None
        if not passed:
            return _failed(state, stmt, failed.kind)
        if failed.kind is InspectionKind.SUPERVISORY:
            return _supervisory_pass(state, stmt)
        return _periodic_pass(state, stmt)
    if data.kind is InspectionKind.PERIODIC:
        if passed:
            return _periodic_pass(state, stmt)
        return _failed(state, stmt, InspectionKind.PERIODIC)
    # self-test: neither opens nor closes a failure; counts for a self-test year only
    if not passed:
        return state
    return replace(
        state,
        inspections=state.inspections.inspection_pass(
            stmt.occurred_at.date(), InspectionKind.SELF_TEST, data.next_due
        ),
    )


def _who_inspects(state: ElevatorState, stmt: Statement, acting_as: frozenset[Role]) -> None:
    """Inspections are any approved institute's (assigned, not contracted: the ledger holds no
    relation to check). A self-test by a maintenance unit rather than a testing body is the
    contracted maintainer's, testing the lifts it maintains (T7008)."""
    if data_of(stmt, InspectionConcluded).kind is not InspectionKind.SELF_TEST:
        return
    if Role.TESTING_BODY in acting_as:
        return
    if stmt.issuer != maintenance_unit_on(state, stmt.occurred_at.date()):
        raise not_a_party(
            "self-test-by-other-maintainer",
            state,
            stmt,
            "a testing body or the maintenance unit under contract that day",
        )


STEPS.register("inspection.concluded", check=_check_inspection, evolve=_inspection)
PARTIES.register("inspection.concluded", who=_who_inspects)
