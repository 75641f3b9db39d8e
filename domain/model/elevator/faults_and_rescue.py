"""Faults and rescue: faults reported and cleared, and entrapment rescues (困人救援) going alarm,
(dispatched), arrived, released.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from domain.model.catalogue import (
    FaultCleared,
    FaultCode,
    FaultReported,
    RescueAlarm,
    RescueArrived,
    RescueDispatched,
    RescueReleased,
    ServiceMode,
    Statement,
)
from domain.model.elevator.registry import STEPS
from domain.model.elevator.state import ElevatorState, Rescue, RescueStage
from domain.model.elevator.use import note_use
from domain.model.rules import RuleViolation, data_of

#: Service modes in which a lift carries passengers (normal service and the modes a lift in
#: service falls into in an emergency); out of service (0), 检修 (2, maintenance work) and
#: unknown (7) say nothing about passengers.
_PASSENGER_SERVICE = frozenset(
    {
        ServiceMode.NORMAL,
        ServiceMode.FIRE_RETURN,
        ServiceMode.FIREFIGHTER,
        ServiceMode.EMERGENCY_POWER,
        ServiceMode.EARTHQUAKE,
    }
)

# --- faults ---------------------------------------------------------------------------------


def _check_fault_reported(state: ElevatorState, stmt: Statement) -> None:
    fault_id = data_of(stmt, FaultReported).fault_id
    if fault_id in state.open_faults:
        raise RuleViolation(
            "fault-already-open",
            f"elevator {state.equipment_code} already has an open fault {fault_id}",
        )


def _fault_reported(state: ElevatorState, stmt: Statement) -> ElevatorState:
    """A fault in passenger service, or one naming a trapped passenger, shows the lift in use."""
    data = data_of(stmt, FaultReported)
    state = replace(state, open_faults={**state.open_faults, data.fault_id: data.code})
    people = data.code is FaultCode.PASSENGER_TRAPPED
    if people or data.service_mode in _PASSENGER_SERVICE:
        return note_use(state, stmt, people=people)
    return state


STEPS.register("fault.reported", check=_check_fault_reported, evolve=_fault_reported)


def _check_fault_cleared(state: ElevatorState, stmt: Statement) -> None:
    fault_id = data_of(stmt, FaultCleared).fault_id
    if fault_id not in state.open_faults:
        raise RuleViolation(
            "fault-not-open", f"elevator {state.equipment_code} has no open fault {fault_id}"
        )


def _fault_cleared(state: ElevatorState, stmt: Statement) -> ElevatorState:
    fault_id = data_of(stmt, FaultCleared).fault_id
    return replace(state, open_faults={k: v for k, v in state.open_faults.items() if k != fault_id})


STEPS.register("fault.cleared", check=_check_fault_cleared, evolve=_fault_cleared)


# --- rescue ---------------------------------------------------------------------------------


def _check_rescue_alarm(state: ElevatorState, stmt: Statement) -> None:
    rescue_id = data_of(stmt, RescueAlarm).rescue_id
    if rescue_id in state.rescues:
        raise RuleViolation(
            "rescue-id-taken", f"elevator {state.equipment_code} already has rescue {rescue_id}"
        )


def _rescue_alarm(state: ElevatorState, stmt: Statement) -> ElevatorState:
    """An entrapment alarm shows the lift in use: someone was in the car."""
    data = data_of(stmt, RescueAlarm)
    rescue = Rescue(RescueStage.ALARM, data.alarm_at)
    state = replace(state, rescues={**state.rescues, data.rescue_id: rescue})
    return note_use(state, stmt, people=True)


STEPS.register("rescue.alarm", check=_check_rescue_alarm, evolve=_rescue_alarm)


def _check_rescue_step(
    state: ElevatorState,
    rescue_id: str,
    step: RescueStage,
    step_at: datetime,
    after: frozenset[RescueStage],
) -> None:
    code = state.equipment_code
    rescue = state.rescues.get(rescue_id)
    if rescue is None or rescue.stage is RescueStage.RELEASED:
        raise RuleViolation("rescue-not-open", f"elevator {code} has no open rescue {rescue_id}")
    if rescue.stage not in after:
        raise RuleViolation(
            "rescue-out-of-order",
            f"rescue {rescue_id} of elevator {code} is at stage {rescue.stage}; {step} cannot"
            " follow it",
        )
    if step_at < rescue.last_at:
        raise RuleViolation(
            "rescue-times-go-backwards",
            f"rescue {rescue_id} of elevator {code}: {step} at {step_at.isoformat()} is before its"
            f" {rescue.stage} at {rescue.last_at.isoformat()}",
        )


def _check_rescue_dispatched(state: ElevatorState, stmt: Statement) -> None:
    data = data_of(stmt, RescueDispatched)
    _check_rescue_step(
        state,
        data.rescue_id,
        RescueStage.DISPATCHED,
        data.dispatched_at,
        frozenset({RescueStage.ALARM}),
    )


def _rescue_dispatched(state: ElevatorState, stmt: Statement) -> ElevatorState:
    data = data_of(stmt, RescueDispatched)
    rescue = replace(
        state.rescues[data.rescue_id],
        stage=RescueStage.DISPATCHED,
        dispatched_at=data.dispatched_at,
    )
    return replace(state, rescues={**state.rescues, data.rescue_id: rescue})


STEPS.register("rescue.dispatched", check=_check_rescue_dispatched, evolve=_rescue_dispatched)


def _check_rescue_arrived(state: ElevatorState, stmt: Statement) -> None:
    data = data_of(stmt, RescueArrived)
    _check_rescue_step(
        state,
        data.rescue_id,
        RescueStage.ARRIVED,
        data.arrived_at,
        frozenset({RescueStage.ALARM, RescueStage.DISPATCHED}),
    )


def _rescue_arrived(state: ElevatorState, stmt: Statement) -> ElevatorState:
    data = data_of(stmt, RescueArrived)
    rescue = replace(
        state.rescues[data.rescue_id], stage=RescueStage.ARRIVED, arrived_at=data.arrived_at
    )
    return replace(state, rescues={**state.rescues, data.rescue_id: rescue})


STEPS.register("rescue.arrived", check=_check_rescue_arrived, evolve=_rescue_arrived)


def _check_rescue_released(state: ElevatorState, stmt: Statement) -> None:
    data = data_of(stmt, RescueReleased)
    _check_rescue_step(
        state,
        data.rescue_id,
        RescueStage.RELEASED,
        data.released_at,
        frozenset({RescueStage.ARRIVED}),
    )


def _rescue_released(state: ElevatorState, stmt: Statement) -> ElevatorState:
    rescue_id = data_of(stmt, RescueReleased).rescue_id
    rescue = replace(state.rescues[rescue_id], stage=RescueStage.RELEASED)
    return replace(state, rescues={**state.rescues, rescue_id: rescue})


STEPS.register("rescue.released", check=_check_rescue_released, evolve=_rescue_released)
