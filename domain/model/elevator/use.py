"""Use: the registered use unit stops (停止使用) and resumes its elevator, and scraps it (报废);
and the evidence that an elevator was used when it must not have been (:func:`note_use`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from domain.model.catalogue import Statement
from domain.model.elevator.registry import PARTIES, STEPS
from domain.model.elevator.state import (
    REGISTERED_STATES,
    ElevatorState,
    Lifecycle,
    UseEvidence,
    registered_use_unit,
)
from domain.model.rules import RuleViolation

#: While it is being built or waits for its supervisory inspection, the construction unit and the
#: institute run the lift in normal mode themselves: only people in the car prove use then.
_TESTED_BY_ITS_BUILDERS = frozenset(
    {Lifecycle.MANUFACTURED, Lifecycle.UNDER_CONSTRUCTION, Lifecycle.AWAITING_INSPECTION}
)


def note_use(state: ElevatorState, stmt: Statement, *, people: bool) -> ElevatorState:
    """``state`` with ``stmt`` kept as evidence of use where use was not allowed.

    Called by the effects of the statements that show the lift running in service (a rescue
    alarm, a fault in passenger service; ``people``: someone was in the car): they are accepted
    whatever the lifecycle — a rescue of trapped people must be recordable — and the first one
    while the elevator was not registered for use, while it was declared stopped, or since an
    inspection failure, is kept for the regulator (docs/lifecycle.md, "Must not run").
    """
    evidence = UseEvidence(stmt.type, stmt.occurred_at, state.lifecycle)
    unregistered = state.lifecycle not in REGISTERED_STATES
    if (
        state.used_unregistered is None
        and unregistered
        and (people or state.lifecycle not in _TESTED_BY_ITS_BUILDERS)
    ):
        state = replace(state, used_unregistered=evidence)
    if state.lifecycle is Lifecycle.STOPPED and state.used_while_stopped is None:
        state = replace(state, used_while_stopped=evidence)
    failed = state.failed_inspection_open
    if failed is not None and failed.used is None:
        state = replace(state, failed_inspection_open=replace(failed, used=evidence))
    return state


def _one_year_after(moment: datetime) -> datetime:
    try:
        return moment.replace(year=moment.year + 1)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + 1, day=28)


def _require_use_unit(state: ElevatorState, stmt: Statement) -> None:
    use_unit = registered_use_unit(state)
    if stmt.issuer != use_unit:
        raise RuleViolation(
            "only-registered-use-unit",
            f"{stmt.type} is for elevator {state.equipment_code}'s registered use unit"
            f" ({use_unit or 'none: not registered'}), not {stmt.issuer}",
        )


def _check_use_stopped(state: ElevatorState, stmt: Statement) -> None:
    _require_use_unit(state, stmt)
    if state.lifecycle is not Lifecycle.IN_SERVICE:
        raise RuleViolation(
            "stop-only-in-service",
            f"elevator {state.equipment_code} is {state.lifecycle}, not in service",
        )


def _use_stopped(state: ElevatorState, stmt: Statement) -> ElevatorState:
    return replace(
        state,
        lifecycle=Lifecycle.STOPPED,
        stopped_at=stmt.occurred_at,
        inspections=state.inspections.out_of_use(stmt.occurred_at.date()),
    )


STEPS.register("use.stopped", check=_check_use_stopped, evolve=_use_stopped)
PARTIES.register("use.stopped", who=None)  # only-registered-use-unit, in its check


def _check_use_resumed(state: ElevatorState, stmt: Statement) -> None:
    _require_use_unit(state, stmt)
    code = state.equipment_code
    if state.lifecycle is not Lifecycle.STOPPED or state.stopped_at is None:
        raise RuleViolation(
            "resume-only-when-stopped", f"elevator {code} is {state.lifecycle}, not stopped"
        )
    failed = state.failed_inspection_open
    if failed is not None:
        raise RuleViolation(
            "failed-elevator-must-not-run",
            f"elevator {code} failed its {failed.kind} inspection at {failed.at.isoformat()} and"
            " has not passed since; it must not be used",
        )
    if stmt.occurred_at > _one_year_after(state.stopped_at) and (
        state.last_periodic_pass_at is None or state.last_periodic_pass_at <= state.stopped_at
    ):
        raise RuleViolation(
            "restart-after-a-year-needs-inspection",
            f"elevator {code} was stopped at {state.stopped_at.isoformat()}, more than a year"
            f" before {stmt.occurred_at.isoformat()}: it needs a periodic inspection pass before"
            " resuming",
        )


def _use_resumed(state: ElevatorState, stmt: Statement) -> ElevatorState:
    return replace(
        state,
        lifecycle=Lifecycle.IN_SERVICE,
        stopped_at=None,
        used_while_stopped=None,
        inspections=state.inspections.back_in_use(),
    )


STEPS.register("use.resumed", check=_check_use_resumed, evolve=_use_resumed)
PARTIES.register("use.resumed", who=None)  # only-registered-use-unit, in its check


def _scrapped(state: ElevatorState, stmt: Statement) -> ElevatorState:
    """Scrapping ends any open construction and any wait for its inspection with it."""
    return replace(
        state,
        lifecycle=Lifecycle.SCRAPPED,
        scrapped_at=stmt.occurred_at,
        construction=None,
        awaiting_supervisory=False,
        inspections=state.inspections.retire(),
    )


STEPS.register("elevator.scrapped", check=_require_use_unit, evolve=_scrapped)
PARTIES.register("elevator.scrapped", who=None)  # only-registered-use-unit, its check
