"""Manufacture: the statement that brings an elevator into the ledger, and its sale.

``elevator.manufactured`` is the only statement accepted about an unknown elevator, so the
existence rules every other statement passes
(:func:`~domain.model.elevator.registry.check_elevator_statement`) do not apply to it; its own rule
is that it comes once.
"""

from __future__ import annotations

from dataclasses import replace

from domain.model.catalogue import ElevatorManufactured, Statement
from domain.model.elevator.registry import STEPS
from domain.model.elevator.state import ElevatorState, Lifecycle
from domain.model.rules import RuleViolation, data_of


def _check_manufactured(state: ElevatorState, stmt: Statement) -> None:
    if state.lifecycle is not None:
        raise RuleViolation(
            "already-manufactured",
            f"elevator {state.equipment_code} was already recorded as manufactured at"
            f" {(state.manufactured_at or stmt.occurred_at).isoformat()}",
        )


def _manufactured(state: ElevatorState, stmt: Statement) -> ElevatorState:
    data = data_of(stmt, ElevatorManufactured)
    return replace(
        state,
        category=str(data.category),
        lifecycle=Lifecycle.MANUFACTURED,
        manufactured_at=stmt.occurred_at,
    )


STEPS.register("elevator.manufactured", check=_check_manufactured, evolve=_manufactured)
STEPS.register("elevator.sold", check=None, evolve=None)
