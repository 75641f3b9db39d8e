"""What the ledger knows about one elevator: :class:`ElevatorState` and its parts, and the queries
the application layer asks of it.

The state is the left fold of the elevator's accepted statements (see the package's docstring for
where each statement type's effect is written). It is deep-copied for every command, so it keeps
only what the rules need; the full history is the statements themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Self

from domain.model.catalogue import (
    ConstructionKind,
    FaultCode,
    InspectionKind,
    MaintenancePolicy,
    RegistrationRegime,
)
from domain.model.inspection_schedule import NO_INSPECTIONS, InspectionHistory

__all__ = [
    "REGISTERED_STATES",
    "Construction",
    "Contract",
    "ElevatorState",
    "FailedInspection",
    "Lifecycle",
    "Registration",
    "Rescue",
    "RescueStage",
    "Tracked",
    "UseEvidence",
    "active_contract",
    "is_own_party",
    "maintenance_unit_on",
    "out_of_service",
    "registered_and_whole",
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
REGISTERED_STATES = frozenset({Lifecycle.IN_SERVICE, Lifecycle.STOPPED})


@dataclass(frozen=True, slots=True)
class Construction:
    """The construction job not yet closed by a supervisory pass."""

    kind: ConstructionKind
    unit: str  # USCC of the construction unit that notified it
    notified_at: datetime
    completed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class UseEvidence:
    """A statement that shows the elevator was running with people in it (docs/lifecycle.md,
    "Must not run"): a rescue alarm, or a fault reported in a passenger-service mode or naming a
    trapped passenger. Kept where using the elevator was not allowed, the first one only: it is
    the proof a regulator needs, and later ones add nothing to it."""

    type: str  # the statement type
    at: datetime  # its occurred_at
    lifecycle: Lifecycle | None  # where the elevator stood in its life then


@dataclass(frozen=True, slots=True)
class FailedInspection:
    """An inspection that failed and has not been passed since.

    ``kind`` is what the failed inspection was (supervisory or periodic): a passing re-inspection
    has the effect that kind's pass would have had. ``used`` is the first evidence of use since
    the failure (a failed elevator must not be in use); it goes when the failure is passed.
    """

    kind: InspectionKind
    at: datetime  # occurred_at of the latest failing conclusion
    used: UseEvidence | None = None


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
    #: The organization the dispatch sent (``rescue.dispatched`` ``responder``): besides the
    #: contracted maintainer and the platform, it may sign the arrival and the release.
    responder: str | None = None

    @property
    def last_at(self) -> datetime:
        """The time of the latest step so far: the next step may not be earlier."""
        return self.arrived_at or self.dispatched_at or self.alarm_at


@dataclass(frozen=True, slots=True)
class Tracked:
    """A hazard listing or rectification order: open until closed; ids are never reused."""

    deadline: date
    closed_at: datetime | None = None
    #: Who must act on it, when the order names a party (``rectification.ordered``
    #: ``responsible``); hazards name none.
    responsible: str | None = None

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
    manufacturer: str | None = None  # the issuer of elevator.manufactured
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
    #: the first evidence of use since the elevator was last registered for use and whole (never
    #: registered, under construction, awaiting its supervisory inspection or re-registration);
    #: it goes when the elevator is back in a registered state (the status keeps the first ever)
    used_unregistered: UseEvidence | None = None
    #: the supervisory pass of a modification not yet followed by ``registration.changed`` with
    #: reason ``modification`` (TSG 08-2017: a modification needs a change registration)
    change_registration_due: datetime | None = None
    #: the first evidence of use since the use unit declared the elevator stopped (停止使用):
    #: a declared stop suspends the inspection schedule, so use during it is use of a lift
    #: whose obligations are on hold; it goes when use is resumed
    used_while_stopped: UseEvidence | None = None
    #: what the inspection schedule needs (domain/model/inspection_schedule.py)
    inspections: InspectionHistory = NO_INSPECTIONS
    policy_insurers: Mapping[str, str] = field(default_factory=dict)  # number -> insurer

    @classmethod
    def empty(cls, equipment_code: str) -> Self:
        """The state before the first statement about ``equipment_code``."""
        return cls(equipment_code=equipment_code)


# --------------------------------------------------------------------------------------------
# Queries for the application layer
# --------------------------------------------------------------------------------------------


def registered_and_whole(state: ElevatorState) -> bool:
    """Whether the elevator has a registration and is in service or stopped: what a
    construction or an inspection of a registered elevator needs."""
    return state.registration is not None and state.lifecycle in REGISTERED_STATES


def out_of_service(state: ElevatorState) -> FailedInspection | None:
    """The failed periodic inspection (or failed re-inspection of it) not passed since, if any:
    the elevator must not run until a passing re-inspection, whatever its lifecycle says (the
    lifecycle stays what the use unit declared; this is an overlay on it)."""
    failed = state.failed_inspection_open
    return failed if failed is not None and failed.kind is InspectionKind.PERIODIC else None


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


def is_own_party(state: ElevatorState, uscc: str, on: date) -> bool:
    """Whether ``uscc`` answers for the elevator on ``on``: its registered use unit or the
    maintenance unit whose contract is in force that day (docs/lifecycle.md, "Who may sign
    what about an elevator")."""
    return uscc == registered_use_unit(state) or uscc == maintenance_unit_on(state, on)
