"""Manufacture: the statement that brings an elevator into the ledger, and its sale.

``elevator.manufactured`` is the only statement accepted about an unknown elevator, so the
existence rules every other statement passes
(:func:`~domain.model.elevator.registry.check_elevator_statement`) do not apply to it; its own rule
is that it comes once.
"""

from __future__ import annotations

from dataclasses import replace

from domain.model.catalogue import ElevatorManufactured, Statement
from domain.model.elevator.registry import PARTIES, STEPS, not_a_party
from domain.model.elevator.state import ElevatorState, Lifecycle
from domain.model.roles import Role
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
        manufacturer=stmt.issuer,
        lifecycle=Lifecycle.MANUFACTURED,
        manufactured_at=stmt.occurred_at,
    )


STEPS.register("elevator.manufactured", check=_check_manufactured, evolve=_manufactured)
PARTIES.register("elevator.manufactured", who=None)  # any licensed manufacturer: it makes it


def _who_sells(state: ElevatorState, stmt: Statement, acting_as: frozenset[Role]) -> None:
    """The sale record (销售记录) is the maker's: the manufacturer that recorded it."""
    if stmt.issuer != state.manufacturer:
        raise not_a_party(
            "only-manufacturer-sells", state, stmt, f"{state.manufacturer}, its manufacturer"
        )


STEPS.register("elevator.sold", check=None, evolve=None)
PARTIES.register("elevator.sold", who=_who_sells)
