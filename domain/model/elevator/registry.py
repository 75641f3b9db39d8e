"""The registry of statement types: per type, its rule and its effect; and the two functions the
rest of the ledger calls, which apply the rules every statement passes and then the registered
ones.

A lifecycle-area module (:mod:`~domain.model.elevator.construction`, ...) registers each of its
types once in :data:`STEPS` (a :class:`~domain.model.rules.StepRegistry`), right under the type's
check and effect, so that a type's rule and effect are read together. The dispatch is one
dictionary lookup per call: this is the write path's hot loop.
"""

from __future__ import annotations

from datetime import datetime

from domain.model.catalogue import Statement
from domain.model.elevator.state import ElevatorState, Lifecycle
from domain.model.rules import RuleViolation, StepRegistry, check_not_in_the_future

__all__ = ["STEPS", "check_elevator_statement", "evolve_elevator"]

#: The elevator statement types, registered by the lifecycle-area modules when the package loads.
STEPS: StepRegistry[ElevatorState] = StepRegistry()
_CHECKS = STEPS.checks
_EVOLUTIONS = STEPS.evolutions


def check_elevator_statement(state: ElevatorState, stmt: Statement, recorded_at: datetime) -> None:
    """Raise :class:`RuleViolation` unless ``stmt`` fits the elevator's history.

    First the rules every statement passes (docs/lifecycle.md, "Existence and time"), in this
    order, then the rule registered for ``stmt.type``: the first rule broken is the one reported.
    ``recorded_at`` is the ledger's clock: a statement may not claim to have happened later than
    that (plus :data:`~domain.model.rules.CLOCK_SKEW`).
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
