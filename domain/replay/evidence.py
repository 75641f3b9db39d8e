"""The evidence behind the accountability report: :class:`Evidence` (one chain entry a claim rests
on) and the trail of which entry established what."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from domain.model.catalogue import (
    ComplaintReceived,
    ConstructionCompleted,
    ConstructionNotified,
    FaultReported,
    HazardListed,
    InspectionConcluded,
    InspectionKind,
    InsurancePolicyIssued,
    MaintenanceContractEnded,
    MaintenanceContractSigned,
    RectificationOrdered,
    RescueAlarm,
    RescueArrived,
    RescueDispatched,
    RescueReleased,
    Statement,
)
from domain.model.elevator import ElevatorState, Lifecycle


@dataclass(frozen=True, slots=True)
class Evidence:
    """One chain entry a claim rests on: fetch it by version, check it by hash."""

    version: int
    entry_hash: str
    type: str

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "entry_hash": self.entry_hash, "type": self.type}


@dataclass
class Trail:
    """The entries behind each part of the accountability report, noted as the fold goes."""

    manufacturer: tuple[str, Evidence] | None = None
    construction: tuple[str, Evidence, str] | None = None  # issuer, evidence, kind
    inspection: tuple[str, Evidence, str] | None = None  # institute, evidence, description
    #: the entries behind the inspection schedule: the one its years count from, the latest
    #: inspection that changed it
    schedule_anchor: Evidence | None = None
    schedule_last: Evidence | None = None
    registration: Evidence | None = None
    contracts: dict[str, list[Evidence]] = field(default_factory=dict)
    policies: dict[str, tuple[str, date, date, Evidence]] = field(default_factory=dict)
    last_visit: tuple[datetime, Evidence] | None = None
    in_service_since: tuple[datetime, Evidence] | None = None
    failed: tuple[list[Evidence], date | None] | None = None
    opened: dict[tuple[str, str], list[Evidence]] = field(default_factory=dict)

    def note(
        self, stmt: Statement, ev: Evidence, before: ElevatorState, after: ElevatorState
    ) -> None:
        kind, data = stmt.type, stmt.parsed_data()
        if kind == "elevator.manufactured":
            self.manufacturer = (stmt.issuer, ev)
        elif isinstance(data, ConstructionNotified | ConstructionCompleted):
            self.construction = (stmt.issuer, ev, str(data.kind))
        elif isinstance(data, InspectionConcluded):
            self._inspection(stmt, data, ev, before, after)
        elif kind in ("registration.issued", "registration.changed"):
            self.registration = ev
        elif kind == "registration.cancelled":
            self.registration = None
        elif isinstance(data, MaintenanceContractSigned):
            self.contracts[data.contract_number] = [ev]
        elif isinstance(data, MaintenanceContractEnded):
            self.contracts.setdefault(data.contract_number, []).append(ev)
        elif kind == "maintenance.performed":
            if self.last_visit is None or stmt.occurred_at >= self.last_visit[0]:
                self.last_visit = (stmt.occurred_at, ev)  # a late record may be an older visit
        elif isinstance(data, InsurancePolicyIssued):
            self.policies[data.policy_number] = (stmt.issuer, data.valid_from, data.valid_to, ev)
        elif isinstance(data, HazardListed):
            self.opened[("hazard", data.hazard_id)] = [ev]
        elif isinstance(data, RectificationOrdered):
            self.opened[("rectification_order", data.order_id)] = [ev]
        elif isinstance(data, ComplaintReceived):
            self.opened[("complaint", data.complaint_id)] = [ev]
        elif isinstance(data, FaultReported):
            self.opened[("fault", data.fault_id)] = [ev]
        elif isinstance(data, RescueAlarm):
            self.opened[("rescue", data.rescue_id)] = [ev]
        elif isinstance(data, RescueDispatched | RescueArrived | RescueReleased):
            self.opened.setdefault(("rescue", data.rescue_id), []).append(ev)
        if before.lifecycle is not Lifecycle.IN_SERVICE and after.lifecycle is Lifecycle.IN_SERVICE:
            self.in_service_since = (stmt.occurred_at, ev)
        if before.inspections is not after.inspections:
            if isinstance(data, InspectionConcluded):
                self.schedule_last = ev
            if before.inspections.count_from != after.inspections.count_from:
                self.schedule_anchor = ev

    def _inspection(
        self,
        stmt: Statement,
        data: InspectionConcluded,
        ev: Evidence,
        before: ElevatorState,
        after: ElevatorState,
    ) -> None:
        if data.kind is not InspectionKind.SELF_TEST:
            on = stmt.occurred_at.date().isoformat()
            self.inspection = (stmt.issuer, ev, f"{data.kind} {data.conclusion} on {on}")
        failed_now, failed_before = after.failed_inspection_open, before.failed_inspection_open
        if failed_now is None:
            self.failed = None
        elif failed_now is not failed_before:
            trail = self.failed[0] if self.failed and failed_before is not None else []
            self.failed = ([*trail, ev], data.rectification_deadline)
