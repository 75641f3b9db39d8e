"""Faults and rescue: faults reported and cleared, and entrapment rescues (困人救援) going alarm,
(dispatched), arrived, released.

Each type also names who may sign it about this elevator (``PARTIES.register``): faults are the
use unit's and the contracted maintainer's; a rescue is answered by the use unit first, the
contracted maintainer as the main force, and whoever the dispatch sent (another maintainer, a
social force) next, with the 96333 platform recording every step (docs/lifecycle.md, "Who may
sign what about an elevator").
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
from domain.model.elevator.registry import PARTIES, STEPS, not_a_party
from domain.model.elevator.state import (
    ElevatorState,
    Rescue,
    RescueStage,
    is_own_party,
    maintenance_unit_on,
    registered_use_unit,
)
from domain.model.elevator.use import note_use
from domain.model.roles import Role
from domain.model.rules import RuleViolation, data_of, statement_data

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


def _who_reports_fault(state: ElevatorState, stmt: Statement, acting_as: frozenset[Role]) -> None:
    """The use unit or the contracted maintainer (a terminal signs as its owner, which must be
    one of them on the day)."""
    if not is_own_party(state, stmt.issuer, stmt.occurred_at.date()):
        raise not_a_party(
            "fault-reporter-not-a-party",
            state,
            stmt,
            "the registered use unit or the maintenance unit under contract that day",
        )


STEPS.register("fault.reported", check=_check_fault_reported, evolve=_fault_reported)
PARTIES.register("fault.reported", who=_who_reports_fault)


def _check_fault_cleared(state: ElevatorState, stmt: Statement) -> None:
    fault_id = data_of(stmt, FaultCleared).fault_id
    if fault_id not in state.open_faults:
        raise RuleViolation(
            "fault-not-open", f"elevator {state.equipment_code} has no open fault {fault_id}"
        )


def _fault_cleared(state: ElevatorState, stmt: Statement) -> ElevatorState:
    fault_id = data_of(stmt, FaultCleared).fault_id
    return replace(state, open_faults={k: v for k, v in state.open_faults.items() if k != fault_id})


def _who_clears_fault(state: ElevatorState, stmt: Statement, acting_as: frozenset[Role]) -> None:
    """Clearing a fault is repair work: the maintainer under contract on the day does it."""
    if stmt.issuer != maintenance_unit_on(state, stmt.occurred_at.date()):
        raise not_a_party(
            "only-contracted-maintainer-clears", state, stmt, "the maintenance unit under contract"
        )


STEPS.register("fault.cleared", check=_check_fault_cleared, evolve=_fault_cleared)
PARTIES.register("fault.cleared", who=_who_clears_fault)


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


def _who_raises_alarm(state: ElevatorState, stmt: Statement, acting_as: frozenset[Role]) -> None:
    """The use unit (first responder, 首负责任; its terminal too) or the 96333 platform taking
    the call; not another elevator's use unit."""
    if Role.RESCUE_PLATFORM not in acting_as and stmt.issuer != registered_use_unit(state):
        raise not_a_party(
            "rescue-alarm-not-a-party", state, stmt, "the registered use unit or the 96333 platform"
        )


STEPS.register("rescue.alarm", check=_check_rescue_alarm, evolve=_rescue_alarm)
PARTIES.register("rescue.alarm", who=_who_raises_alarm)


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
        responder=data.responder,
    )
    return replace(state, rescues={**state.rescues, data.rescue_id: rescue})


def _who_dispatches(state: ElevatorState, stmt: Statement, acting_as: frozenset[Role]) -> None:
    """The 96333 platform, or the use unit calling its responder; the dispatch may name anyone
    (escalation to other maintainers and social forces is the dispatcher's call)."""
    if Role.RESCUE_PLATFORM not in acting_as and stmt.issuer != registered_use_unit(state):
        raise not_a_party(
            "rescue-dispatch-not-a-party",
            state,
            stmt,
            "the 96333 platform or the registered use unit",
        )


STEPS.register("rescue.dispatched", check=_check_rescue_dispatched, evolve=_rescue_dispatched)
PARTIES.register("rescue.dispatched", who=_who_dispatches)


def _answers_rescue(state: ElevatorState, stmt: Statement, acting_as: frozenset[Role]) -> bool:
    """Whether the issuer may sign an arrival or release: the 96333 platform (recording the
    times), the maintainer under contract (the main force), or the responder the rescue's
    dispatch sent (another maintainer when the platform escalates)."""
    if Role.RESCUE_PLATFORM in acting_as:
        return True
    if stmt.issuer == maintenance_unit_on(state, stmt.occurred_at.date()):
        return True
    data = statement_data(stmt)
    assert isinstance(data, RescueArrived | RescueReleased)
    rescue = state.rescues.get(data.rescue_id)
    return rescue is not None and rescue.responder == stmt.issuer


_ANSWERERS = "the 96333 platform, the maintenance unit under contract or the dispatched responder"


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


def _who_arrives(state: ElevatorState, stmt: Statement, acting_as: frozenset[Role]) -> None:
    if not _answers_rescue(state, stmt, acting_as):
        raise not_a_party("rescue-arrival-not-a-party", state, stmt, _ANSWERERS)


STEPS.register("rescue.arrived", check=_check_rescue_arrived, evolve=_rescue_arrived)
PARTIES.register("rescue.arrived", who=_who_arrives)


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


def _who_releases(state: ElevatorState, stmt: Statement, acting_as: frozenset[Role]) -> None:
    if not _answers_rescue(state, stmt, acting_as):
        raise not_a_party("rescue-release-not-a-party", state, stmt, _ANSWERERS)


STEPS.register("rescue.released", check=_check_rescue_released, evolve=_rescue_released)
PARTIES.register("rescue.released", who=_who_releases)
