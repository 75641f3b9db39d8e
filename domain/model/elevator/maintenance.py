"""Maintenance (维保): the contracts between a maintenance unit and the use unit, and the visits
made under them and confirmed by the use unit.
"""

from __future__ import annotations

from dataclasses import replace

from domain.model.catalogue import (
    MaintenanceConfirmed,
    MaintenanceContractEnded,
    MaintenanceContractSigned,
    MaintenancePerformed,
    Statement,
)
from domain.model.elevator.registry import PARTIES, STEPS
from domain.model.elevator.state import Contract, ElevatorState, Lifecycle, registered_use_unit
from domain.model.rules import RuleViolation, data_of

# --- contracts ------------------------------------------------------------------------------


def _check_contract_signed(state: ElevatorState, stmt: Statement) -> None:
    data = data_of(stmt, MaintenanceContractSigned)
    code = state.equipment_code
    number = data.contract_number
    if number in state.contracts:
        raise RuleViolation(
            "contract-number-taken",
            f"elevator {code} already has maintenance contract {number}",
        )
    use_unit = registered_use_unit(state)
    if use_unit is not None and data.use_unit != use_unit:
        raise RuleViolation(
            "contract-not-with-use-unit",
            f"contract {number} is with {data.use_unit}, but elevator {code}'s registered use"
            f" unit is {use_unit}",
        )
    for other_number, other in state.contracts.items():
        if (
            other.maintenance_unit != data.maintenance_unit
            and data.valid_from <= other.exclusive_until
            and other.valid_from <= data.valid_to
        ):
            raise RuleViolation(
                "one-maintenance-unit-at-a-time",
                f"contract {number} ({data.valid_from}..{data.valid_to}) overlaps contract"
                f" {other_number} of {other.maintenance_unit} ({other.valid_from}.."
                f"{other.exclusive_until}) for elevator {code}",
            )


def _contract_signed(state: ElevatorState, stmt: Statement) -> ElevatorState:
    data = data_of(stmt, MaintenanceContractSigned)
    contract = Contract(
        data.maintenance_unit, data.use_unit, data.valid_from, data.valid_to, None, data.policy
    )
    return replace(state, contracts={**state.contracts, data.contract_number: contract})


STEPS.register("maintenance_contract.signed", check=_check_contract_signed, evolve=_contract_signed)
# the issuer is the contract's maintenance unit (schema), the use unit co-signs (authorization)
# and is the registered one (contract-not-with-use-unit)
PARTIES.register("maintenance_contract.signed", who=None)


def _check_contract_ended(state: ElevatorState, stmt: Statement) -> None:
    number = data_of(stmt, MaintenanceContractEnded).contract_number
    code = state.equipment_code
    contract = state.contracts.get(number)
    if contract is None:
        raise RuleViolation(
            "contract-unknown", f"elevator {code} has no maintenance contract {number}"
        )
    if contract.ended_on is not None:
        raise RuleViolation(
            "contract-already-ended",
            f"maintenance contract {number} of elevator {code} already ended on"
            f" {contract.ended_on}",
        )
    parties = {contract.maintenance_unit, contract.use_unit, registered_use_unit(state)}
    if stmt.issuer not in parties:
        raise RuleViolation(
            "only-contract-party-ends",
            f"{stmt.issuer} is not a party to maintenance contract {number} of elevator {code}"
            f" (maintenance unit {contract.maintenance_unit}, use unit {contract.use_unit})",
        )


def _contract_ended(state: ElevatorState, stmt: Statement) -> ElevatorState:
    number = data_of(stmt, MaintenanceContractEnded).contract_number
    ended = replace(state.contracts[number], ended_on=stmt.occurred_at.date())
    return replace(state, contracts={**state.contracts, number: ended})


STEPS.register("maintenance_contract.ended", check=_check_contract_ended, evolve=_contract_ended)
PARTIES.register("maintenance_contract.ended", who=None)  # only-contract-party-ends, its check


# --- visits ---------------------------------------------------------------------------------


def _check_maintenance_performed(state: ElevatorState, stmt: Statement) -> None:
    visit_id = data_of(stmt, MaintenancePerformed).visit_id
    code = state.equipment_code
    if state.lifecycle in (Lifecycle.MANUFACTURED, Lifecycle.UNDER_CONSTRUCTION):
        raise RuleViolation(
            "maintenance-before-installation",
            f"elevator {code} is {state.lifecycle}: maintenance is recorded once it is installed",
        )
    on = stmt.occurred_at.date()
    if not any(
        c.maintenance_unit == stmt.issuer and c.in_force(on) for c in state.contracts.values()
    ):
        raise RuleViolation(
            "maintenance-without-active-contract",
            f"{stmt.issuer} holds no maintenance contract for elevator {code} in force on {on}",
        )
    if visit_id in state.visits:
        raise RuleViolation(
            "visit-id-taken", f"elevator {code} already has a maintenance visit {visit_id}"
        )


def _maintenance_performed(state: ElevatorState, stmt: Statement) -> ElevatorState:
    visit_id = data_of(stmt, MaintenancePerformed).visit_id
    return replace(state, visits={**state.visits, visit_id: False})


STEPS.register(
    "maintenance.performed", check=_check_maintenance_performed, evolve=_maintenance_performed
)
# maintenance-without-active-contract, in its check
PARTIES.register("maintenance.performed", who=None)


def _check_maintenance_confirmed(state: ElevatorState, stmt: Statement) -> None:
    visit_id = data_of(stmt, MaintenanceConfirmed).visit_id
    code = state.equipment_code
    use_unit = registered_use_unit(state)
    if stmt.issuer != use_unit:
        raise RuleViolation(
            "only-use-unit-confirms",
            f"only elevator {code}'s registered use unit ({use_unit or 'none'}) confirms"
            f" maintenance, not {stmt.issuer}",
        )
    confirmed = state.visits.get(visit_id)
    if confirmed is None:
        raise RuleViolation("visit-unknown", f"elevator {code} has no maintenance visit {visit_id}")
    if confirmed:
        raise RuleViolation(
            "visit-already-confirmed",
            f"maintenance visit {visit_id} of elevator {code} is already confirmed",
        )


def _maintenance_confirmed(state: ElevatorState, stmt: Statement) -> ElevatorState:
    visit_id = data_of(stmt, MaintenanceConfirmed).visit_id
    return replace(state, visits={**state.visits, visit_id: True})


STEPS.register(
    "maintenance.confirmed", check=_check_maintenance_confirmed, evolve=_maintenance_confirmed
)
PARTIES.register("maintenance.confirmed", who=None)  # only-use-unit-confirms, in its check
