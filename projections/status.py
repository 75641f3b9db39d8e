"""The status of one elevator, folded from its statements (pure; no I/O).

The lifecycle comes from the domain's own state machine (``evolve_elevator``);
the rest — last maintenance and inspection, what is due next under the policy,
open faults and hazards, insurance — is what the public and the regulators ask.
Flags that depend on today's date are computed when asked (:func:`flags`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from domain.model.catalogue import (
    AssessmentConcluded,
    ConstructionNotified,
    ElevatorManufactured,
    ElevatorScrapped,
    HazardListed,
    InspectionConcluded,
    InspectionConclusion,
    InspectionKind,
    InsurancePolicyIssued,
    MaintenanceContractEnded,
    MaintenanceContractSigned,
    MaintenancePerformed,
    MaintenancePolicy,
    RegistrationCancelled,
    RegistrationChanged,
    RegistrationIssued,
    RescueAlarm,
    RescueCodeAssigned,
    Statement,
    UseStopped,
)
from domain.model.elevator import ElevatorState, active_contract, evolve_elevator, out_of_service
from domain.model.inspection_schedule import (
    InspectionHistory,
    InspectionObligation,
    next_obligation,
)
from domain.model.policies import next_maintenance_due
from domain.model.timeline import tolerant_evolve

OLD_AGE_YEARS = 15
#: TSG 08-2017 3.1 and 3.6 (特种设备安全法 art. 33): registration, and the change registration after
#: a modification, are due before or within 30 days after the lift (re-)enters use.
UNREGISTERED_USE_GRACE = timedelta(days=30)

#: The entry that proves an overlay: (statement type, occurred_at ISO 8601, log index, entry hash).
Proof = tuple[str, str, int, str]


@dataclass(frozen=True)
class ElevatorStatus:
    equipment_code: str
    category: str | None = None
    model: str | None = None
    factory_serial: str | None = None
    manufacturer: str | None = None
    manufactured_on: date | None = None
    lifecycle: str | None = None
    registration_code: str | None = None
    certificate_number: str | None = None
    use_unit: str | None = None
    district: str | None = None
    regime: str | None = None
    in_use_since: date | None = None
    rescue_code: str | None = None
    maintenance_unit: str | None = None  # of the contract in force when last heard of
    contract_number: str | None = None
    contract_valid_to: date | None = None  # the last day any known contract covers
    maintenance_policy: str | None = None
    #: the latest contracts: (number, maintenance unit, valid_from, last day in force)
    contracts: tuple[tuple[str, str, date, date], ...] = ()
    last_maintenance_on: date | None = None
    last_maintenance_levels: tuple[str, ...] = ()
    next_maintenance_due: date | None = None
    inspection_institute: str | None = None
    last_inspection_on: date | None = None
    last_inspection_kind: str | None = None
    last_inspection_conclusion: str | None = None
    inspection_baseline: date | None = None
    next_inspection_due: date | None = None
    next_inspection_kind: str | None = None
    #: what the inspection schedule needs; due dates and flags are asked of it
    #: (:func:`inspection_obligation`)
    inspection_schedule: InspectionHistory | None = None
    open_faults: int = 0
    open_rescues: int = 0
    open_hazards: int = 0
    hazard_deadlines: tuple[date, ...] = ()
    open_rectifications: int = 0
    insurer: str | None = None
    insured_until: date | None = None
    assessed_on: date | None = None
    assessment_conclusion: str | None = None
    #: what a passenger must be told first (the QR page's badge), each from a signed entry:
    #: rescues not yet released: (rescue id, people trapped as alarmed, alarm time)
    rescues_in_progress: tuple[tuple[str, int, datetime], ...] = ()
    #: hazards listed for supervision and not closed: (hazard id, description, deadline)
    hazards_listed: tuple[tuple[str, str, date], ...] = ()
    stopped_since: datetime | None = None
    stop_reason: str | None = None
    #: when the inspection failure not passed since was concluded, and its findings
    inspection_failed_since: datetime | None = None
    inspection_findings: tuple[str, ...] = ()
    #: must not run (docs/lifecycle.md, "Must not run"), each with the entry that proves it:
    #: the first failing conclusion of a periodic inspection not passed since (out of service)
    failed_periodic: Proof | None = None
    must_not_run_since: datetime | None = None
    #: the first evidence of use (a rescue alarm, a fault in passenger service) since that failure
    used_while_failed: Proof | None = None
    #: the first evidence of use since the declared stop still in force (停用期间仍在使用)
    used_while_stopped: Proof | None = None
    #: the first evidence ever of use while not registered for use (kept for good); and that of
    #: the spell not registered now, with the lifecycle the elevator had then
    used_unregistered: Proof | None = None
    used_unregistered_now: Proof | None = None
    used_unregistered_while: str | None = None
    #: the supervisory pass of a modification not yet followed by its change registration
    change_registration_due: Proof | None = None
    #: the last self-test (自行检测) concluded: what proves a periodic year replaced by one
    last_self_test: Proof | None = None
    scrapped_on: date | None = None
    scrap_reason: str | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    late_entries: int = 0
    entries: int = 0
    head: str | None = None
    last_log_index: int | None = None
    last_recorded_at: datetime | None = None


@dataclass(frozen=True)
class FoldedEntry:
    """One entry of a chain as :meth:`Fold.refolded` needs it."""

    statement: Statement
    version: int
    entry_hash: str
    log_index: int
    recorded_at: datetime
    late: bool


@dataclass
class Fold:
    """The domain state and the public status of one elevator, advanced together."""

    state: ElevatorState
    status: ElevatorStatus
    version: int = 0
    extras: dict[str, Any] = field(default_factory=dict)
    #: the latest ``occurred_at`` applied: an entry dated before it is back-dated
    latest_occurred_at: datetime | None = None

    @classmethod
    def start(cls, equipment_code: str) -> Fold:
        return cls(ElevatorState.empty(equipment_code), ElevatorStatus(equipment_code))

    def is_backdated(self, stmt: Statement) -> bool:
        """Dated before a statement already folded: the fold must be redone in occurred order
        (:meth:`refolded`) rather than advanced."""
        return self.latest_occurred_at is not None and stmt.occurred_at < self.latest_occurred_at

    @classmethod
    def refolded(cls, equipment_code: str, chain: Sequence[FoldedEntry]) -> Fold:
        """The fold of a whole chain (log order given) in the order its statements occurred
        (``(occurred_at, version)``, as the write path and the replay on the occurred axis
        fold: domain.model.timeline); what belongs to the log (head, log index, recorded
        time) is the last entry's."""
        fold = cls.start(equipment_code)
        for e in sorted(chain, key=lambda e: (e.statement.occurred_at, e.version)):
            fold.apply(e.statement, e.version, e.entry_hash, e.log_index, e.recorded_at, e.late)
        if chain:
            last = max(chain, key=lambda e: e.version)
            fold.status = dataclasses.replace(
                fold.status,
                head=last.entry_hash,
                last_log_index=last.log_index,
                last_recorded_at=last.recorded_at,
            )
            fold.version = last.version
        return fold

    def apply(
        self,
        stmt: Statement,
        version: int,
        entry_hash: str,
        log_index: int,
        recorded_at: datetime,
        late: bool,
    ) -> None:
        before = self.state.inspections
        self.state = tolerant_evolve(evolve_elevator, self.state, stmt)
        if self.latest_occurred_at is None or stmt.occurred_at > self.latest_occurred_at:
            self.latest_occurred_at = stmt.occurred_at
        s = _apply(self.status, stmt, self.state)
        proof = (stmt.type, stmt.occurred_at.isoformat(), log_index, entry_hash)
        if self.state.inspections is not before or s.inspection_schedule is None:
            s = _schedule(s, self.state.inspections, stmt.occurred_at.date())
        self.status = dataclasses.replace(
            s,
            lifecycle=str(self.state.lifecycle) if self.state.lifecycle else None,
            open_faults=len(self.state.open_faults),
            open_rescues=sum(1 for r in self.state.rescues.values() if r.stage != "released"),
            open_hazards=sum(1 for h in self.state.hazards.values() if h.is_open),
            hazard_deadlines=tuple(
                sorted(h.deadline for h in self.state.hazards.values() if h.is_open)
            ),
            open_rectifications=sum(
                1 for r in self.state.rectification_orders.values() if r.is_open
            ),
            **_safety(s, self.state),
            **_must_not_run(s, self.state, proof),
            last_self_test=proof if _is_self_test(stmt) else s.last_self_test,
            late_entries=s.late_entries + int(late),
            entries=s.entries + 1,
            head=entry_hash,
            last_log_index=log_index,
            last_recorded_at=recorded_at,
        )
        self.version = version


def _is_self_test(stmt: Statement) -> bool:
    if stmt.type != "inspection.concluded":
        return False
    data = stmt.parsed_data()
    return isinstance(data, InspectionConcluded) and data.kind == InspectionKind.SELF_TEST


def _safety(s: ElevatorStatus, state: ElevatorState) -> dict[str, Any]:
    """The open rescues, hazards, stop and failure as the domain state has them now: the
    details were noted when opened (:func:`_noted`); the state says which are still open."""
    failed = state.failed_inspection_open
    stopped = state.stopped_at is not None and str(state.lifecycle) == "stopped"
    return {
        "rescues_in_progress": tuple(
            r for r in s.rescues_in_progress if state.rescues[r[0]].stage != "released"
        ),
        "hazards_listed": tuple(h for h in s.hazards_listed if state.hazards[h[0]].is_open),
        "stopped_since": state.stopped_at if stopped else None,
        "stop_reason": s.stop_reason if stopped else None,
        "inspection_failed_since": failed.at if failed else None,
        "inspection_findings": s.inspection_findings if failed else (),
    }


def _must_not_run(s: ElevatorStatus, state: ElevatorState, proof: Proof) -> dict[str, Any]:
    """The must-not-run overlays as the domain state has them after the entry ``proof`` names:
    an overlay the state opens with this entry is proved by it; one already open keeps its
    first proof; one the state closed is gone (but ``used_unregistered``, the first ever, stays)."""
    failed = out_of_service(state)
    open_ = state.failed_inspection_open
    first_failure = (s.failed_periodic or proof) if failed is not None else None
    used = state.used_unregistered
    return {
        "failed_periodic": first_failure,
        "must_not_run_since": datetime.fromisoformat(first_failure[1]) if first_failure else None,
        "used_while_failed": (s.used_while_failed or proof)
        if open_ is not None and open_.used is not None
        else None,
        "used_unregistered": s.used_unregistered or (proof if used is not None else None),
        "used_unregistered_now": (s.used_unregistered_now or proof) if used is not None else None,
        "used_unregistered_while": str(used.lifecycle) if used and used.lifecycle else None,
        "used_while_stopped": (s.used_while_stopped or proof)
        if state.used_while_stopped is not None
        else None,
        "change_registration_due": (s.change_registration_due or proof)
        if state.change_registration_due is not None
        else None,
    }


def _noted(s: ElevatorStatus, stmt: Statement, data: Any) -> ElevatorStatus | None:
    """The details the badge shows, from the statement that opens each state."""
    r = dataclasses.replace
    if isinstance(data, RescueAlarm):
        opened = (data.rescue_id, data.trapped, data.alarm_at)
        return r(s, rescues_in_progress=(*s.rescues_in_progress, opened))
    if isinstance(data, HazardListed):
        listed = (data.hazard_id, data.description, data.deadline)
        return r(s, hazards_listed=(*s.hazards_listed, listed))
    if isinstance(data, UseStopped):
        return r(s, stop_reason=data.reason)
    if isinstance(data, ElevatorScrapped):
        return r(
            s, scrapped_on=data.scrapped_on, scrap_reason=data.reason, next_maintenance_due=None
        )
    return None


def _apply(s: ElevatorStatus, stmt: Statement, state: ElevatorState) -> ElevatorStatus:
    data = stmt.parsed_data()
    on = stmt.occurred_at.date()
    r = dataclasses.replace
    noted = _noted(s, stmt, data)
    if noted is not None:
        return noted
    if isinstance(data, ConstructionNotified):
        # the notice (施工告知) goes to the bureau where the work is: from it on the lift is in
        # that district, for the bureau to supervise, until a registration says where it is used
        return r(s, district=data.district)
    if isinstance(data, ElevatorManufactured):
        return r(
            s,
            category=str(data.category),
            model=data.model,
            factory_serial=data.factory_serial,
            manufacturer=stmt.issuer,
            manufactured_on=data.manufactured_on,
        )
    if isinstance(data, RegistrationIssued | RegistrationChanged):
        regime = getattr(data, "regime", None) or s.regime
        return r(
            s,
            registration_code=data.registration_code,
            certificate_number=data.certificate_number,
            use_unit=data.use_unit,
            district=data.district,
            regime=str(regime) if regime else None,
            in_use_since=s.in_use_since or on,
        )
    if isinstance(data, RegistrationCancelled):
        return r(
            s,
            cancelled_at=stmt.occurred_at,
            cancel_reason=data.reason,
            use_unit=None,
            maintenance_unit=None,
            next_maintenance_due=None,
            next_inspection_due=None,
            next_inspection_kind=None,
        )
    if isinstance(data, RescueCodeAssigned):
        return r(s, rescue_code=data.rescue_code)
    if isinstance(data, MaintenanceContractSigned | MaintenanceContractEnded):
        return _contract(s, state, on)
    if isinstance(data, MaintenancePerformed):
        last = max(on, s.last_maintenance_on or on)
        return r(
            s,
            last_maintenance_on=last,
            last_maintenance_levels=tuple(str(x) for x in data.levels),
            next_maintenance_due=next_maintenance_due(last, _policy(s)),
        )
    if isinstance(data, InspectionConcluded):
        return _inspection(s, stmt, data, on)
    if isinstance(data, InsurancePolicyIssued):
        until = max(data.valid_to, s.insured_until or data.valid_to)
        return r(s, insurer=stmt.issuer, insured_until=until)
    if isinstance(data, AssessmentConcluded):
        return r(s, assessed_on=on, assessment_conclusion=str(data.conclusion))
    return s


def _policy(s: ElevatorStatus) -> Any:
    return MaintenancePolicy(s.maintenance_policy) if s.maintenance_policy else None


def _contract(s: ElevatorStatus, state: ElevatorState, on: date) -> ElevatorStatus:
    latest = sorted(state.contracts.items(), key=lambda item: item[1].valid_from)[-4:]
    known = tuple(
        (number, c.maintenance_unit, c.valid_from, min(c.valid_to, c.ended_on or c.valid_to))
        for number, c in latest
    )
    contract = active_contract(state, on)
    if contract is None:
        return dataclasses.replace(
            s,
            contracts=known,
            maintenance_unit=None,
            contract_number=None,
            contract_valid_to=max((k[3] for k in known), default=None),
        )
    number = next(n for n, c in state.contracts.items() if c is contract)
    due = s.next_maintenance_due
    if s.last_maintenance_on is None:
        due = next_maintenance_due(contract.valid_from, contract.policy)
    return dataclasses.replace(
        s,
        contracts=known,
        maintenance_unit=contract.maintenance_unit,
        contract_number=number,
        contract_valid_to=max(k[3] for k in known),
        maintenance_policy=str(contract.policy),
        next_maintenance_due=due,
    )


def contract_in_force(s: ElevatorStatus, today: date) -> tuple[str, str, date, date] | None:
    """The contract (number, maintenance unit, from, to) covering ``today``, if any."""
    return next((c for c in s.contracts if c[2] <= today <= c[3]), None)


def _inspection(
    s: ElevatorStatus, stmt: Statement, data: InspectionConcluded, on: date
) -> ElevatorStatus:
    """The last inspection as the page shows it; what is due next is :func:`_schedule`'s."""
    passed = data.conclusion == InspectionConclusion.PASS
    return dataclasses.replace(
        s,
        inspection_institute=stmt.issuer
        if data.kind != InspectionKind.SELF_TEST
        else s.inspection_institute,
        last_inspection_on=on,
        last_inspection_kind=str(data.kind),
        last_inspection_conclusion=str(data.conclusion),
        inspection_findings=tuple(data.findings) if not passed else s.inspection_findings,
    )


def _schedule(s: ElevatorStatus, history: InspectionHistory, on: date) -> ElevatorStatus:
    """The schedule's history and the obligation it gives on ``on`` (the due date does not
    depend on the day asked; whether it is overdue does, so :func:`flags` asks again)."""
    due = next_obligation(history, on)
    return dataclasses.replace(
        s,
        inspection_schedule=history,
        inspection_baseline=history.count_from,
        next_inspection_due=due.due if due else None,
        next_inspection_kind=str(due.kind) if due else None,
    )


def inspection_obligation(s: ElevatorStatus, today: date) -> InspectionObligation | None:
    """The inspection obligation of the elevator on ``today``: what the flags, the work lists
    and the page show (domain/model/inspection_schedule.py, the replay's function too)."""
    return next_obligation(s.inspection_schedule, today)


def flags(s: ElevatorStatus, today: date) -> dict[str, bool]:
    """What a regulator or the public should notice today."""
    in_use = s.lifecycle in ("in_service", "stopped")
    running = s.lifecycle == "in_service"
    contract_ok = contract_in_force(s, today) is not None
    old = s.in_use_since is not None and _years_between(s.in_use_since, today) >= OLD_AGE_YEARS
    due = inspection_obligation(s, today)
    out = {
        "maintenance_overdue": s.lifecycle == "in_service"
        and (s.next_maintenance_due is None or s.next_maintenance_due < today),
        "inspection_overdue": in_use and due is not None and due.overdue,
        # a lift declared stopped (停用) is not in use: it owes neither a contract nor a policy
        # until it resumes, as it owes no visits (the lists say 在用电梯)
        "uninsured": running and (s.insured_until is None or s.insured_until < today),
        # 无维保合同 (not 三无, which also means no property management and no repair fund)
        "no_maintenance_contract": running and (s.use_unit is None or not contract_ok),
        "old_without_assessment": in_use
        and old
        and (
            s.assessed_on is None
            or _years_between(s.in_use_since or today, s.assessed_on) < OLD_AGE_YEARS
        ),
        "late_entries": s.late_entries > 0,
        "under_supervision": s.open_hazards > 0,
        "self_test_in_periodic_year": in_use and due is not None and due.self_test_in_periodic_year,
    }
    return out | must_not_run_flags(s, out, today)


def must_not_run_flags(s: ElevatorStatus, other: dict[str, bool], today: date) -> dict[str, bool]:
    """The must-not-run flags (docs/lifecycle.md, "Must not run"); ``illegal_use`` is whether
    :func:`illegal_use` gives any reason, ``other`` the flags it may read (the schedule's
    ``self_test_in_periodic_year``, where the status has it)."""
    retired = s.lifecycle in ("scrapped", "cancelled")
    return {
        "must_not_run": not retired and s.failed_periodic is not None,
        "used_while_failed": not retired and s.used_while_failed is not None,
        "used_while_stopped": not retired and s.used_while_stopped is not None,
        "used_unregistered": s.used_unregistered is not None,
        "modified_without_change_registration": not retired
        and s.change_registration_due is not None,
        "illegal_use": bool(illegal_use(s, other, today)),
    }


def illegal_use(
    s: ElevatorStatus, other: dict[str, bool], today: date
) -> list[tuple[str, tuple[Proof, ...]]]:
    """Why the elevator is on the illegal-use list today, each reason with the entries that prove
    it (docs/lifecycle.md, "Must not run"): used since a failure not passed since, used in the
    spell unregistered it is still in, used while declared stopped (its inspections on hold),
    back in service past the window for a change
    registration, or (``other``'s flag, the schedule's) a periodic year replaced by a self-test.
    A scrapped or cancelled elevator is on no list."""
    if s.lifecycle in ("scrapped", "cancelled"):
        return []
    reasons: list[tuple[str, tuple[Proof, ...]]] = []
    if s.failed_periodic is not None and s.used_while_failed is not None:
        reasons.append(("failed-in-use", (s.failed_periodic, s.used_while_failed)))
    now = s.used_unregistered_now
    if now is not None and s.lifecycle not in ("in_service", "stopped"):
        since = datetime.fromisoformat(now[1]).date()
        if s.used_unregistered_while != "inspected" or today > since + UNREGISTERED_USE_GRACE:
            reasons.append(("unregistered-use", (now,)))
    if s.used_while_stopped is not None and s.lifecycle == "stopped":
        reasons.append(("used-while-stopped", (s.used_while_stopped,)))
    due = s.change_registration_due
    if (
        due is not None
        and s.lifecycle == "in_service"
        and today > datetime.fromisoformat(due[1]).date() + UNREGISTERED_USE_GRACE
    ):
        reasons.append(("modified-without-change-registration", (due,)))
    if other.get("self_test_in_periodic_year", False):
        proven = (s.last_self_test,) if s.last_self_test is not None else ()
        reasons.append(("self-test-in-periodic-year", proven))
    return reasons


def _years_between(start: date, end: date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def to_json(s: ElevatorStatus) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(s):
        value = getattr(s, f.name)
        if isinstance(value, date | datetime):
            value = value.isoformat()
        elif isinstance(value, InspectionHistory):
            value = value.to_json()
        elif isinstance(value, tuple):
            value = _jsonable(value)
        out[f.name] = value
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value.isoformat() if isinstance(value, date | datetime) else value


def from_json(doc: dict[str, Any]) -> ElevatorStatus:
    """The status :func:`to_json` wrote. Every work list reads one per elevator, so each field's
    reader is chosen once (:data:`_READERS`), not on every call."""
    values: dict[str, Any] = {}
    for name, default, read in _READERS:
        value = doc.get(name)
        values[name] = default if value is None else read(value)
    return ElevatorStatus(**values)


def _reader(f: dataclasses.Field[Any]) -> Callable[[Any], Any]:
    """How the JSON value (not None) of field ``f`` is read back."""
    special: dict[str, Callable[[Any], Any]] = {
        "contracts": lambda v: tuple(
            (n, u, date.fromisoformat(a), date.fromisoformat(b)) for n, u, a, b in v
        ),
        "inspection_schedule": InspectionHistory.from_json,
        "hazard_deadlines": lambda v: tuple(date.fromisoformat(x) for x in v),
        "rescues_in_progress": lambda v: tuple((i, n, datetime.fromisoformat(t)) for i, n, t in v),
        "hazards_listed": lambda v: tuple((i, d, date.fromisoformat(t)) for i, d, t in v),
    }
    if f.name in special:
        return special[f.name]
    kind = str(f.type)
    if kind.startswith("datetime"):
        return lambda v: tuple(v) if isinstance(v, list) else datetime.fromisoformat(v)
    if kind.startswith("date"):
        return lambda v: tuple(v) if isinstance(v, list) else date.fromisoformat(v)
    return lambda v: tuple(v) if isinstance(v, list) else v


#: (field name, its default, its reader) of every field, for :func:`from_json`
_READERS: tuple[tuple[str, Any, Callable[[Any], Any]], ...] = tuple(
    (f.name, f.default, _reader(f)) for f in dataclasses.fields(ElevatorStatus)
)
