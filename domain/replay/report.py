"""The accountability report: who answered for the elevator at the instant, which obligations
were overdue and what was open, each claim with the entries that prove it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from domain.model.elevator import ElevatorState, Lifecycle, RescueStage, active_contract
from domain.model.inspection_schedule import InspectionObligation, next_obligation
from domain.model.policies import next_maintenance_due
from domain.model.roles import Role
from domain.replay.evidence import Evidence, Trail


@dataclass(frozen=True)
class Party:
    """An organization that answered for the elevator at the instant, and why."""

    role: Role
    uscc: str
    basis: str
    evidence: tuple[Evidence, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "role": str(self.role),
            "uscc": self.uscc,
            "basis": self.basis,
            "evidence": [e.to_json() for e in self.evidence],
        }


@dataclass(frozen=True)
class Obligation:
    """An obligation overdue at the instant (``maintenance``, ``inspection``,
    ``maintenance_contract``) and who had to meet it."""

    obligation: str
    responsible: str | None
    due: date | None
    detail: str
    evidence: tuple[Evidence, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "obligation": self.obligation,
            "responsible": self.responsible,
            "due": self.due.isoformat() if self.due else None,
            "detail": self.detail,
            "evidence": [e.to_json() for e in self.evidence],
        }


@dataclass(frozen=True)
class OpenItem:
    """Something open at the instant: a hazard, rectification order, fault, rescue, failed
    inspection or complaint, with its deadline if it has one."""

    kind: str
    id: str
    detail: str
    deadline: date | None
    overdue: bool
    evidence: tuple[Evidence, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "detail": self.detail,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "overdue": self.overdue,
            "evidence": [e.to_json() for e in self.evidence],
        }


@dataclass(frozen=True)
class AccountabilityReport:
    """Who was responsible at ``as_of`` (dates are taken in ``as_of``'s own UTC offset)."""

    as_of: datetime
    parties: tuple[Party, ...]
    overdue: tuple[Obligation, ...]
    open_items: tuple[OpenItem, ...]
    #: the inspection obligation at the instant, overdue or not (the schedule's one function)
    next_inspection: InspectionObligation | None = None

    def party(self, role: Role) -> Party | None:
        """The first party holding ``role`` (there may be several insurers)."""
        return next((p for p in self.parties if p.role is role), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "parties": [p.to_json() for p in self.parties],
            "overdue": [o.to_json() for o in self.overdue],
            "open": [i.to_json() for i in self.open_items],
            "next_inspection": self.next_inspection.to_json() if self.next_inspection else None,
        }


def accountability_report(
    state: ElevatorState, trail: Trail, as_of: datetime
) -> AccountabilityReport:
    """Who answers for the elevator as of ``as_of``, what is overdue and what is open, each with
    the entries that show it (``trail``)."""
    on = as_of.date()
    parties: list[Party] = []
    if trail.manufacturer:
        uscc, ev = trail.manufacturer
        parties.append(Party(Role.MANUFACTURER, uscc, "manufactured the elevator", (ev,)))
    if trail.construction:
        uscc, ev, kind = trail.construction
        parties.append(Party(Role.CONSTRUCTION_UNIT, uscc, f"last construction: {kind}", (ev,)))
    if trail.inspection:
        uscc, ev, what = trail.inspection
        parties.append(Party(Role.INSPECTION_INSTITUTE, uscc, f"last inspection: {what}", (ev,)))
    registration = state.registration
    if registration is not None and trail.registration is not None:
        basis = (
            f"registered use unit (registration {registration.registration_code},"
            f" certificate {registration.certificate_number})"
        )
        parties.append(Party(Role.USE_UNIT, registration.use_unit, basis, (trail.registration,)))
    contract = active_contract(state, on)
    if contract is not None:
        number = next(n for n, c in state.contracts.items() if c is contract)
        until = contract.ended_on or contract.valid_to
        basis = f"maintenance contract {number} in force on {on} ({contract.valid_from}..{until})"
        evidence = tuple(trail.contracts.get(number, ()))
        parties.append(Party(Role.MAINTENANCE_UNIT, contract.maintenance_unit, basis, evidence))
    for number, (insurer, valid_from, valid_to, ev) in trail.policies.items():
        if valid_from <= on <= valid_to:
            basis = f"insurance policy {number} ({valid_from}..{valid_to})"
            parties.append(Party(Role.INSURER, insurer, basis, (ev,)))
    return AccountabilityReport(
        as_of,
        tuple(parties),
        tuple(_overdue(state, trail, as_of)),
        tuple(_open_items(state, trail, on)),
        next_obligation(state.inspections, on),
    )


def _overdue(state: ElevatorState, trail: Trail, as_of: datetime) -> list[Obligation]:
    if state.lifecycle is not Lifecycle.IN_SERVICE:
        return []
    on = as_of.date()
    out: list[Obligation] = []
    use_unit = state.registration.use_unit if state.registration else None
    registered = (trail.registration,) if trail.registration else ()
    contract = active_contract(state, on)
    if contract is None:
        out.append(
            Obligation(
                "maintenance_contract",
                use_unit,
                None,
                f"in service with no maintenance contract in force on {on}",
                registered,
            )
        )
    last = trail.last_visit or trail.in_service_since
    if last is not None:
        at, ev = last
        since = at.astimezone(as_of.tzinfo).date()
        policy = contract.policy if contract else None
        due = next_maintenance_due(since, policy)
        if on > due:
            what = "last maintenance visit" if trail.last_visit else "in service since"
            out.append(
                Obligation(
                    "maintenance",
                    contract.maintenance_unit if contract else use_unit,
                    due,
                    f"{what} {since}, {(on - since).days} days before {on}; the next visit was"
                    f" due by {due} ({policy or 'classic_15_day'} policy)",
                    (ev,),
                )
            )
    inspection = next_obligation(state.inspections, on)
    if inspection is not None and inspection.overdue:
        proofs = dict.fromkeys(e for e in (trail.schedule_anchor, trail.schedule_last) if e)
        out.append(
            Obligation(
                "inspection",
                use_unit,
                inspection.due,
                f"{inspection.kind} due {inspection.due}, {(on - inspection.due).days} days"
                f" overdue on {on}: {inspection.reason}",
                tuple(proofs),
            )
        )
    return out


def _open_items(state: ElevatorState, trail: Trail, on: date) -> list[OpenItem]:
    def evidence(kind: str, ident: str) -> tuple[Evidence, ...]:
        return tuple(trail.opened.get((kind, ident), ()))

    out: list[OpenItem] = []
    failed = state.failed_inspection_open
    if failed is not None:
        proofs, deadline = trail.failed or ([], None)
        out.append(
            OpenItem(
                "failed_inspection",
                str(failed.kind),
                f"{failed.kind} inspection failed at {failed.at.isoformat()}; not passed since",
                deadline,
                deadline is not None and deadline < on,
                tuple(proofs),
            )
        )
    for kind, tracked in (
        ("hazard", state.hazards),
        ("rectification_order", state.rectification_orders),
    ):
        for ident, item in tracked.items():
            if item.is_open:
                out.append(
                    OpenItem(
                        kind,
                        ident,
                        f"open; deadline {item.deadline}",
                        item.deadline,
                        item.deadline < on,
                        evidence(kind, ident),
                    )
                )
    for ident, code in state.open_faults.items():
        out.append(
            OpenItem(
                "fault",
                ident,
                f"fault code {code.value} ({code.name.lower()})",
                None,
                False,
                evidence("fault", ident),
            )
        )
    for ident, rescue in state.rescues.items():
        if rescue.stage is not RescueStage.RELEASED:
            out.append(
                OpenItem(
                    "rescue",
                    ident,
                    f"{rescue.stage} (alarm at {rescue.alarm_at.isoformat()}); nobody released yet",
                    None,
                    False,
                    evidence("rescue", ident),
                )
            )
    for ident in sorted(state.open_complaints):
        out.append(OpenItem("complaint", ident, "open", None, False, evidence("complaint", ident)))
    return out
