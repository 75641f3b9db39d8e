"""The elevator's life as pure functions: its state, the rules a statement must satisfy, and how an
accepted statement changes the state.

The state of an elevator is the left fold of its accepted statements through
:func:`evolve_elevator`, starting from :meth:`ElevatorState.empty`. Before a statement is stored,
:func:`check_elevator_statement` decides whether it fits that history — that is how the ledger
keeps "registered without inspection" or "maintained without a contract" out, instead of merely
flagging it later. Each refusal is a :class:`~domain.model.rules.RuleViolation` with its own rule
id;
docs/lifecycle.md is the readable version of this module.

What is *not* checked here: signatures, keys, roles and licences (the application layer, with the
organizations' states). What *is* checked here, because it needs the elevator's history, is the
relationship between the issuer and the elevator: the maintainer holds a contract, the use unit is
the registered one, the construction unit completing a job is the one that notified it.

The state is deep-copied for every command, so it keeps only what the rules need; the full
history is the statements themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Self

from domain.model.catalogue import (
    ComplaintReceived,
    ComplaintResolved,
    ConstructionCompleted,
    ConstructionKind,
    ConstructionNotified,
    ElevatorManufactured,
    FaultCleared,
    FaultCode,
    FaultReported,
    HazardClosed,
    HazardListed,
    InspectionConcluded,
    InspectionConclusion,
    InspectionKind,
    InsuranceClaimPaid,
    InsurancePolicyIssued,
    MaintenanceConfirmed,
    MaintenanceContractEnded,
    MaintenanceContractSigned,
    MaintenancePerformed,
    MaintenancePolicy,
    RectificationCompleted,
    RectificationOrdered,
    RegistrationChanged,
    RegistrationChangeReason,
    RegistrationIssued,
    RegistrationRegime,
    RescueAlarm,
    RescueArrived,
    RescueCodeAssigned,
    RescueDispatched,
    RescueReleased,
    Statement,
)
from domain.model.rules import RuleViolation, check_not_in_the_future, data_of

__all__ = [
    "Construction",
    "Contract",
    "ElevatorState",
    "FailedInspection",
    "Lifecycle",
    "Registration",
    "Rescue",
    "RescueStage",
    "Tracked",
    "active_contract",
    "check_elevator_statement",
    "evolve_elevator",
    "maintenance_unit_on",
    "registered_use_unit",
]


class Lifecycle(StrEnum):
    """Where the elevator is in its life. Overlays (open faults, hazards, a failed inspection,
    an expired contract) are separate fields: they do not change what the elevator *is*."""

    MANUFACTURED = "manufactured"  # made; not (yet) installed anywhere
    UNDER_CONSTRUCTION = "under_construction"  # installation, modification, repair or relocation
    AWAITING_INSPECTION = (
        "awaiting_inspection"  # construction completed, supervisory inspection due
    )
    INSPECTED = "inspected"  # supervisory pass after installation/relocation; (re)registration due
    IN_SERVICE = "in_service"
    STOPPED = "stopped"  # 停止使用 declared by the use unit
    SCRAPPED = "scrapped"  # 报废; the registration is still to be cancelled
    CANCELLED = "cancelled"  # 注销: terminal


#: Lifecycle states in which the elevator is registered and physically whole.
_REGISTERED_STATES = frozenset({Lifecycle.IN_SERVICE, Lifecycle.STOPPED})
#: Constructions after which the elevator needs a (new) registration before running again.
_NEEDS_REGISTRATION_AFTER = frozenset({ConstructionKind.INSTALLATION, ConstructionKind.RELOCATION})


@dataclass(frozen=True, slots=True)
class Construction:
    """The construction job not yet closed by a supervisory pass."""

    kind: ConstructionKind
    unit: str  # USCC of the construction unit that notified it
    notified_at: datetime
    completed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class FailedInspection:
    """An inspection that failed and has not been passed since.

    ``kind`` is what the failed inspection was (supervisory or periodic): a passing re-inspection
    has the effect that kind's pass would have had.
    """

    kind: InspectionKind
    at: datetime  # occurred_at of the latest failing conclusion


@dataclass(frozen=True, slots=True)
class Registration:
    """The current use registration (使用登记)."""

    registration_code: str
    certificate_number: str
    use_unit: str
    district: str
    regime: RegistrationRegime
    registered_at: datetime


@dataclass(frozen=True, slots=True)
class Contract:
    """A maintenance contract (维保合同) between a maintenance unit and a use unit.

    In force from ``valid_from`` to ``valid_to`` inclusive; when ended early, up to and including
    ``ended_on`` (work done on the day the contract ends is still covered).
    """

    maintenance_unit: str
    use_unit: str
    valid_from: date
    valid_to: date
    ended_on: date | None
    policy: MaintenancePolicy

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on <= self.valid_to and (
            self.ended_on is None or on <= self.ended_on
        )

    @property
    def exclusive_until(self) -> date:
        """The last day no other maintenance unit may hold a contract.

        An ended contract gives way on the day it ends, so the successor can start that day.
        """
        if self.ended_on is None:
            return self.valid_to
        return min(self.valid_to, self.ended_on - timedelta(days=1))


class RescueStage(StrEnum):
    ALARM = "alarm"
    DISPATCHED = "dispatched"
    ARRIVED = "arrived"
    RELEASED = "released"


@dataclass(frozen=True, slots=True)
class Rescue:
    """An entrapment rescue (困人救援); released ones are kept so their ids are not reused."""

    stage: RescueStage
    alarm_at: datetime
    dispatched_at: datetime | None = None
    arrived_at: datetime | None = None

    @property
    def last_at(self) -> datetime:
        """The time of the latest step so far: the next step may not be earlier."""
        return self.arrived_at or self.dispatched_at or self.alarm_at


@dataclass(frozen=True, slots=True)
class Tracked:
    """A hazard listing or rectification order: open until closed; ids are never reused."""

    deadline: date
    closed_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True, slots=True)
class ElevatorState:
    """What the rules need to know about one elevator (by equipment code). Immutable.

    ``lifecycle`` is None until ``elevator.manufactured``: the ledger knows nothing yet.
    """

    equipment_code: str
    category: str | None = None
    lifecycle: Lifecycle | None = None
    manufactured_at: datetime | None = None
    construction: Construction | None = None
    last_construction_kind: ConstructionKind | None = None
    awaiting_supervisory: bool = False
    failed_inspection_open: FailedInspection | None = None
    last_supervisory_pass_at: datetime | None = None
    last_periodic_pass_at: datetime | None = None
    registration: Registration | None = None
    rescue_code: str | None = None
    contracts: Mapping[str, Contract] = field(default_factory=dict)  # by contract number
    visits: Mapping[str, bool] = field(default_factory=dict)  # visit id -> confirmed
    open_faults: Mapping[str, FaultCode] = field(default_factory=dict)
    rescues: Mapping[str, Rescue] = field(default_factory=dict)
    hazards: Mapping[str, Tracked] = field(default_factory=dict)
    rectification_orders: Mapping[str, Tracked] = field(default_factory=dict)
    stopped_at: datetime | None = None
    scrapped_at: datetime | None = None
    open_complaints: frozenset[str] = frozenset()
    insurance_policies: Mapping[str, date] = field(default_factory=dict)  # number -> valid_to

    @classmethod
    def empty(cls, equipment_code: str) -> Self:
        """The state before the first statement about ``equipment_code``."""
        return cls(equipment_code=equipment_code)


# --------------------------------------------------------------------------------------------
# Queries for the application layer
# --------------------------------------------------------------------------------------------


def registered_use_unit(state: ElevatorState) -> str | None:
    """The use unit of the current registration, if any: it answers for the elevator."""
    return state.registration.use_unit if state.registration is not None else None


def active_contract(state: ElevatorState, on: date) -> Contract | None:
    """The maintenance contract in force on ``on``.

    On a hand-over day (the old contract ended that day, its successor started) the one not ended
    wins; among equals, the latest to start.
    """
    in_force = [c for c in state.contracts.values() if c.in_force(on)]
    if not in_force:
        return None
    return max(in_force, key=lambda c: (c.ended_on is None, c.valid_from))


def maintenance_unit_on(state: ElevatorState, on: date) -> str | None:
    """The maintenance unit responsible on ``on`` (USCC), if a contract is in force."""
    contract = active_contract(state, on)
    return contract.maintenance_unit if contract is not None else None


# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------


def _at(moment: datetime) -> str:
    return moment.isoformat()


def _one_year_after(moment: datetime) -> datetime:
    try:
        return moment.replace(year=moment.year + 1)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + 1, day=28)


def check_elevator_statement(state: ElevatorState, stmt: Statement, recorded_at: datetime) -> None:
    """Raise :class:`RuleViolation` unless ``stmt`` fits the elevator's history.

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
    if stmt.type == "elevator.manufactured":
        if state.lifecycle is not None:
            raise RuleViolation(
                "already-manufactured",
                f"elevator {code} was already recorded as manufactured at"
                f" {_at(state.manufactured_at or stmt.occurred_at)}",
            )
        return
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
            f"elevator {code} was scrapped at {_at(state.scrapped_at or state.manufactured_at)};"
            f" only registration.cancelled may follow, not {stmt.type}",
        )
    if stmt.occurred_at < state.manufactured_at:
        raise RuleViolation(
            "before-manufacture",
            f"{stmt.type} at {_at(stmt.occurred_at)} is before elevator {code} was manufactured"
            f" ({_at(state.manufactured_at)})",
        )
    check = _CHECKS.get(stmt.type)
    if check is not None:
        check(state, stmt)


# --- construction ---------------------------------------------------------------------------


def _check_construction_notified(state: ElevatorState, stmt: Statement) -> None:
    kind = data_of(stmt, ConstructionNotified).kind
    code = state.equipment_code
    if state.construction is not None:
        open_ = state.construction
        raise RuleViolation(
            "one-construction-at-a-time",
            f"elevator {code} already has an open {open_.kind} construction by {open_.unit},"
            f" notified {_at(open_.notified_at)}; it must pass its supervisory inspection first",
        )
    if kind is ConstructionKind.INSTALLATION:
        if state.lifecycle is not Lifecycle.MANUFACTURED:
            raise RuleViolation(
                "installation-needs-new-elevator",
                f"elevator {code} is {state.lifecycle}, not newly manufactured: it cannot be"
                " installed again (a move is a relocation)",
            )
    elif state.registration is None or state.lifecycle not in _REGISTERED_STATES:
        raise RuleViolation(
            "construction-needs-registration",
            f"a {kind} of elevator {code} needs it registered and in service or stopped; it is"
            f" {state.lifecycle}",
        )


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


# --- inspection -----------------------------------------------------------------------------


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
    elif state.registration is None or state.lifecycle not in _REGISTERED_STATES:
        raise RuleViolation(
            "inspection-needs-registration",
            f"a {kind} inspection needs elevator {code} registered and in service or stopped;"
            f" it is {state.lifecycle}",
        )


# --- registration ---------------------------------------------------------------------------


def _check_registration_issued(state: ElevatorState, stmt: Statement) -> None:
    code = state.equipment_code
    if state.registration is not None:
        raise RuleViolation(
            "already-registered",
            f"elevator {code} is already registered ({state.registration.registration_code});"
            " use registration.changed",
        )
    if not (
        state.lifecycle is Lifecycle.INSPECTED
        and state.last_construction_kind is ConstructionKind.INSTALLATION
    ):
        raise RuleViolation(
            "registration-requires-supervisory-pass",
            f"elevator {code} is {state.lifecycle}: use registration needs a passed supervisory"
            " inspection of its installation",
        )


def _check_registration_changed(state: ElevatorState, stmt: Statement) -> None:
    reason = data_of(stmt, RegistrationChanged).reason
    code = state.equipment_code
    if state.registration is None:
        raise RuleViolation(
            "registration-change-without-registration",
            f"elevator {code} has no registration to change; registration.issued comes first",
        )
    if reason is RegistrationChangeReason.RELOCATION and not (
        state.lifecycle is Lifecycle.INSPECTED
        and state.last_construction_kind is ConstructionKind.RELOCATION
    ):
        raise RuleViolation(
            "relocation-change-needs-inspection",
            f"elevator {code} is {state.lifecycle}: a change for relocation needs a passed"
            " supervisory inspection of the relocation",
        )


def _check_registration_cancelled(state: ElevatorState, stmt: Statement) -> None:
    if state.registration is None and state.lifecycle is not Lifecycle.SCRAPPED:
        raise RuleViolation(
            "cancellation-without-registration",
            f"elevator {state.equipment_code} is {state.lifecycle} and has no registration to"
            " cancel",
        )


# --- maintenance contracts and visits -------------------------------------------------------


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


# --- use ------------------------------------------------------------------------------------


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
            f"elevator {code} failed its {failed.kind} inspection at {_at(failed.at)} and has not"
            " passed since; it must not be used",
        )
    if stmt.occurred_at > _one_year_after(state.stopped_at) and (
        state.last_periodic_pass_at is None or state.last_periodic_pass_at <= state.stopped_at
    ):
        raise RuleViolation(
            "restart-after-a-year-needs-inspection",
            f"elevator {code} was stopped at {_at(state.stopped_at)}, more than a year before"
            f" {_at(stmt.occurred_at)}: it needs a periodic inspection pass before resuming",
        )


# --- faults and rescue ----------------------------------------------------------------------


def _check_fault_reported(state: ElevatorState, stmt: Statement) -> None:
    fault_id = data_of(stmt, FaultReported).fault_id
    if fault_id in state.open_faults:
        raise RuleViolation(
            "fault-already-open",
            f"elevator {state.equipment_code} already has an open fault {fault_id}",
        )


def _check_fault_cleared(state: ElevatorState, stmt: Statement) -> None:
    fault_id = data_of(stmt, FaultCleared).fault_id
    if fault_id not in state.open_faults:
        raise RuleViolation(
            "fault-not-open", f"elevator {state.equipment_code} has no open fault {fault_id}"
        )


def _check_rescue_alarm(state: ElevatorState, stmt: Statement) -> None:
    rescue_id = data_of(stmt, RescueAlarm).rescue_id
    if rescue_id in state.rescues:
        raise RuleViolation(
            "rescue-id-taken", f"elevator {state.equipment_code} already has rescue {rescue_id}"
        )


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
            f"rescue {rescue_id} of elevator {code}: {step} at {_at(step_at)} is before its"
            f" {rescue.stage} at {_at(rescue.last_at)}",
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


def _check_rescue_arrived(state: ElevatorState, stmt: Statement) -> None:
    data = data_of(stmt, RescueArrived)
    _check_rescue_step(
        state,
        data.rescue_id,
        RescueStage.ARRIVED,
        data.arrived_at,
        frozenset({RescueStage.ALARM, RescueStage.DISPATCHED}),
    )


def _check_rescue_released(state: ElevatorState, stmt: Statement) -> None:
    data = data_of(stmt, RescueReleased)
    _check_rescue_step(
        state,
        data.rescue_id,
        RescueStage.RELEASED,
        data.released_at,
        frozenset({RescueStage.ARRIVED}),
    )


# --- supervision, complaints, insurance -----------------------------------------------------


def _check_hazard_listed(state: ElevatorState, stmt: Statement) -> None:
    hazard_id = data_of(stmt, HazardListed).hazard_id
    if hazard_id in state.hazards:
        raise RuleViolation(
            "hazard-id-taken", f"elevator {state.equipment_code} already has hazard {hazard_id}"
        )


def _check_hazard_closed(state: ElevatorState, stmt: Statement) -> None:
    hazard_id = data_of(stmt, HazardClosed).hazard_id
    hazard = state.hazards.get(hazard_id)
    if hazard is None or not hazard.is_open:
        raise RuleViolation(
            "hazard-not-open", f"elevator {state.equipment_code} has no open hazard {hazard_id}"
        )


def _check_rectification_ordered(state: ElevatorState, stmt: Statement) -> None:
    data = data_of(stmt, RectificationOrdered)
    code = state.equipment_code
    if data.order_id in state.rectification_orders:
        raise RuleViolation(
            "order-id-taken", f"elevator {code} already has rectification order {data.order_id}"
        )
    if data.hazard_id is not None:
        hazard = state.hazards.get(data.hazard_id)
        if hazard is None or not hazard.is_open:
            raise RuleViolation(
                "rectification-hazard-not-open",
                f"rectification order {data.order_id} refers to hazard {data.hazard_id}, which"
                f" is not open for elevator {code}",
            )


def _check_rectification_completed(state: ElevatorState, stmt: Statement) -> None:
    order_id = data_of(stmt, RectificationCompleted).order_id
    order = state.rectification_orders.get(order_id)
    if order is None or not order.is_open:
        raise RuleViolation(
            "order-not-open",
            f"elevator {state.equipment_code} has no open rectification order {order_id}",
        )


def _check_complaint_resolved(state: ElevatorState, stmt: Statement) -> None:
    complaint_id = data_of(stmt, ComplaintResolved).complaint_id
    if complaint_id not in state.open_complaints:
        raise RuleViolation(
            "complaint-not-open",
            f"elevator {state.equipment_code} has no open complaint {complaint_id}",
        )


def _check_claim_paid(state: ElevatorState, stmt: Statement) -> None:
    number = data_of(stmt, InsuranceClaimPaid).policy_number
    if number not in state.insurance_policies:
        raise RuleViolation(
            "insurance-policy-unknown",
            f"elevator {state.equipment_code} has no insurance policy {number}",
        )


#: Per-type rules beyond existence and time. Types absent here need only those.
_CHECKS: Mapping[str, Callable[[ElevatorState, Statement], None]] = MappingProxyType(
    {
        "construction.notified": _check_construction_notified,
        "construction.completed": _check_construction_completed,
        "inspection.concluded": _check_inspection,
        "registration.issued": _check_registration_issued,
        "registration.changed": _check_registration_changed,
        "registration.cancelled": _check_registration_cancelled,
        "maintenance_contract.signed": _check_contract_signed,
        "maintenance_contract.ended": _check_contract_ended,
        "maintenance.performed": _check_maintenance_performed,
        "maintenance.confirmed": _check_maintenance_confirmed,
        "use.stopped": _check_use_stopped,
        "use.resumed": _check_use_resumed,
        "elevator.scrapped": _require_use_unit,
        "fault.reported": _check_fault_reported,
        "fault.cleared": _check_fault_cleared,
        "rescue.alarm": _check_rescue_alarm,
        "rescue.dispatched": _check_rescue_dispatched,
        "rescue.arrived": _check_rescue_arrived,
        "rescue.released": _check_rescue_released,
        "hazard.listed": _check_hazard_listed,
        "hazard.closed": _check_hazard_closed,
        "rectification.ordered": _check_rectification_ordered,
        "rectification.completed": _check_rectification_completed,
        "complaint.resolved": _check_complaint_resolved,
        "insurance.claim_paid": _check_claim_paid,
    }
)


# --------------------------------------------------------------------------------------------
# Evolution
# --------------------------------------------------------------------------------------------


def evolve_elevator(state: ElevatorState, stmt: Statement) -> ElevatorState:
    """The state after ``stmt`` (assumed accepted by :func:`check_elevator_statement`).

    Statements that change nothing the rules read (a sale, a supervision check, a penalty...)
    return ``state`` itself.
    """
    evolve = _EVOLVERS.get(stmt.type)
    return state if evolve is None else evolve(state, stmt)


def _manufactured(state: ElevatorState, stmt: Statement) -> ElevatorState:
    data = data_of(stmt, ElevatorManufactured)
    return replace(
        state,
        category=str(data.category),
        lifecycle=Lifecycle.MANUFACTURED,
        manufactured_at=stmt.occurred_at,
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


def _supervisory_pass(state: ElevatorState, at: datetime) -> ElevatorState:
    """Closes the construction. After an installation or relocation the elevator waits for its
    (re)registration; after a modification or major repair it is back in service."""
    needs_registration = state.last_construction_kind in _NEEDS_REGISTRATION_AFTER
    return replace(
        state,
        construction=None,
        awaiting_supervisory=False,
        failed_inspection_open=None,
        last_supervisory_pass_at=at,
        lifecycle=Lifecycle.INSPECTED if needs_registration else Lifecycle.IN_SERVICE,
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


def _registration_issued(state: ElevatorState, stmt: Statement) -> ElevatorState:
    data = data_of(stmt, RegistrationIssued)
    registration = Registration(
        data.registration_code,
        data.certificate_number,
        data.use_unit,
        data.district,
        data.regime,
        stmt.occurred_at,
    )
    return replace(state, registration=registration, lifecycle=Lifecycle.IN_SERVICE)


def _registration_changed(state: ElevatorState, stmt: Statement) -> ElevatorState:
    data = data_of(stmt, RegistrationChanged)
    assert state.registration is not None
    registration = replace(
        state.registration,
        registration_code=data.registration_code,
        certificate_number=data.certificate_number,
        use_unit=data.use_unit,
        district=data.district,
    )
    if data.reason is RegistrationChangeReason.RELOCATION:
        return replace(state, registration=registration, lifecycle=Lifecycle.IN_SERVICE)
    return replace(state, registration=registration)


def _registration_cancelled(state: ElevatorState, stmt: Statement) -> ElevatorState:
    """Cancellation is terminal: nothing stays open under construction or awaiting inspection."""
    return replace(
        state,
        registration=None,
        lifecycle=Lifecycle.CANCELLED,
        construction=None,
        awaiting_supervisory=False,
    )


def _rescue_code(state: ElevatorState, stmt: Statement) -> ElevatorState:
    return replace(state, rescue_code=data_of(stmt, RescueCodeAssigned).rescue_code)


def _contract_signed(state: ElevatorState, stmt: Statement) -> ElevatorState:
    data = data_of(stmt, MaintenanceContractSigned)
    contract = Contract(
        data.maintenance_unit, data.use_unit, data.valid_from, data.valid_to, None, data.policy
    )
    return replace(state, contracts={**state.contracts, data.contract_number: contract})


def _contract_ended(state: ElevatorState, stmt: Statement) -> ElevatorState:
    number = data_of(stmt, MaintenanceContractEnded).contract_number
    ended = replace(state.contracts[number], ended_on=stmt.occurred_at.date())
    return replace(state, contracts={**state.contracts, number: ended})


def _maintenance_performed(state: ElevatorState, stmt: Statement) -> ElevatorState:
    visit_id = data_of(stmt, MaintenancePerformed).visit_id
    return replace(state, visits={**state.visits, visit_id: False})


def _maintenance_confirmed(state: ElevatorState, stmt: Statement) -> ElevatorState:
    visit_id = data_of(stmt, MaintenanceConfirmed).visit_id
    return replace(state, visits={**state.visits, visit_id: True})


def _fault_reported(state: ElevatorState, stmt: Statement) -> ElevatorState:
    data = data_of(stmt, FaultReported)
    return replace(state, open_faults={**state.open_faults, data.fault_id: data.code})


def _fault_cleared(state: ElevatorState, stmt: Statement) -> ElevatorState:
    fault_id = data_of(stmt, FaultCleared).fault_id
    return replace(state, open_faults={k: v for k, v in state.open_faults.items() if k != fault_id})


def _rescue_alarm(state: ElevatorState, stmt: Statement) -> ElevatorState:
    data = data_of(stmt, RescueAlarm)
    rescue = Rescue(RescueStage.ALARM, data.alarm_at)
    return replace(state, rescues={**state.rescues, data.rescue_id: rescue})


def _rescue_dispatched(state: ElevatorState, stmt: Statement) -> ElevatorState:
    data = data_of(stmt, RescueDispatched)
    rescue = replace(
        state.rescues[data.rescue_id],
        stage=RescueStage.DISPATCHED,
        dispatched_at=data.dispatched_at,
    )
    return replace(state, rescues={**state.rescues, data.rescue_id: rescue})


def _rescue_arrived(state: ElevatorState, stmt: Statement) -> ElevatorState:
    data = data_of(stmt, RescueArrived)
    rescue = replace(
        state.rescues[data.rescue_id], stage=RescueStage.ARRIVED, arrived_at=data.arrived_at
    )
    return replace(state, rescues={**state.rescues, data.rescue_id: rescue})


def _rescue_released(state: ElevatorState, stmt: Statement) -> ElevatorState:
    rescue_id = data_of(stmt, RescueReleased).rescue_id
    rescue = replace(state.rescues[rescue_id], stage=RescueStage.RELEASED)
    return replace(state, rescues={**state.rescues, rescue_id: rescue})


def _use_stopped(state: ElevatorState, stmt: Statement) -> ElevatorState:
    return replace(state, lifecycle=Lifecycle.STOPPED, stopped_at=stmt.occurred_at)


def _use_resumed(state: ElevatorState, stmt: Statement) -> ElevatorState:
    return replace(state, lifecycle=Lifecycle.IN_SERVICE, stopped_at=None)


def _scrapped(state: ElevatorState, stmt: Statement) -> ElevatorState:
    """Scrapping ends any open construction and any wait for its inspection with it."""
    return replace(
        state,
        lifecycle=Lifecycle.SCRAPPED,
        scrapped_at=stmt.occurred_at,
        construction=None,
        awaiting_supervisory=False,
    )


def _hazard_listed(state: ElevatorState, stmt: Statement) -> ElevatorState:
    data = data_of(stmt, HazardListed)
    return replace(state, hazards={**state.hazards, data.hazard_id: Tracked(data.deadline)})


def _hazard_closed(state: ElevatorState, stmt: Statement) -> ElevatorState:
    hazard_id = data_of(stmt, HazardClosed).hazard_id
    closed = replace(state.hazards[hazard_id], closed_at=stmt.occurred_at)
    return replace(state, hazards={**state.hazards, hazard_id: closed})


def _rectification_ordered(state: ElevatorState, stmt: Statement) -> ElevatorState:
    data = data_of(stmt, RectificationOrdered)
    orders = {**state.rectification_orders, data.order_id: Tracked(data.deadline)}
    return replace(state, rectification_orders=orders)


def _rectification_completed(state: ElevatorState, stmt: Statement) -> ElevatorState:
    order_id = data_of(stmt, RectificationCompleted).order_id
    closed = replace(state.rectification_orders[order_id], closed_at=stmt.occurred_at)
    return replace(state, rectification_orders={**state.rectification_orders, order_id: closed})


def _complaint_received(state: ElevatorState, stmt: Statement) -> ElevatorState:
    complaint_id = data_of(stmt, ComplaintReceived).complaint_id
    return replace(state, open_complaints=state.open_complaints | {complaint_id})


def _complaint_resolved(state: ElevatorState, stmt: Statement) -> ElevatorState:
    complaint_id = data_of(stmt, ComplaintResolved).complaint_id
    return replace(state, open_complaints=state.open_complaints - {complaint_id})


def _policy_issued(state: ElevatorState, stmt: Statement) -> ElevatorState:
    data = data_of(stmt, InsurancePolicyIssued)
    policies = {**state.insurance_policies, data.policy_number: data.valid_to}
    return replace(state, insurance_policies=policies)


_EVOLVERS: Mapping[str, Callable[[ElevatorState, Statement], ElevatorState]] = MappingProxyType(
    {
        "elevator.manufactured": _manufactured,
        "construction.notified": _construction_notified,
        "construction.completed": _construction_completed,
        "inspection.concluded": _inspection,
        "registration.issued": _registration_issued,
        "registration.changed": _registration_changed,
        "registration.cancelled": _registration_cancelled,
        "rescue_code.assigned": _rescue_code,
        "maintenance_contract.signed": _contract_signed,
        "maintenance_contract.ended": _contract_ended,
        "maintenance.performed": _maintenance_performed,
        "maintenance.confirmed": _maintenance_confirmed,
        "fault.reported": _fault_reported,
        "fault.cleared": _fault_cleared,
        "rescue.alarm": _rescue_alarm,
        "rescue.dispatched": _rescue_dispatched,
        "rescue.arrived": _rescue_arrived,
        "rescue.released": _rescue_released,
        "use.stopped": _use_stopped,
        "use.resumed": _use_resumed,
        "elevator.scrapped": _scrapped,
        "hazard.listed": _hazard_listed,
        "hazard.closed": _hazard_closed,
        "rectification.ordered": _rectification_ordered,
        "rectification.completed": _rectification_completed,
        "complaint.received": _complaint_received,
        "complaint.resolved": _complaint_resolved,
        "insurance.policy_issued": _policy_issued,
    }
)
