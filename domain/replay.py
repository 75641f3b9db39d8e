"""Regulator replay: one elevator's history as of any instant, re-verified entry by entry.

Given the entries of one elevator's chain (the stored text, in version order), :func:`replay`
checks each again — well-formed and canonical, versions 1..n, ``prev`` equal to the hash of the
entry before, every envelope signature valid under the key its ``keyid`` names, a key of the
issuer among them, active when the entry was recorded — and folds the statements that fall on
the chosen side of the instant through :func:`~domain.elevator.evolve_elevator`:

* :attr:`Axis.OCCURRED` — *as it happened by T*: statements whose ``occurred_at`` ≤ T, applied in
  chain order. A late entry (recorded after T, about something that happened before T) is in.
* :attr:`Axis.RECORDED` — *as the ledger knew it at T*: entries whose ``recorded_at`` ≤ T.

Each applied statement becomes a :class:`Step` saying what it changed; the result carries the
state at T and an :class:`AccountabilityReport`: who answered for the elevator at T, which
obligations were overdue, what was open, and for every claim the entries that prove it.

Nothing here raises for bad data: a chain that does not verify gives ``verified=False`` and a
``problem`` naming the first version that failed; the replay stops there. The only outside
access is the key lookup, a callable such as ``ElevatorLedger.key_info``.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime
from enum import Enum, StrEnum
from itertools import compress, islice
from typing import Any

from pydantic import ValidationError

from domain.application import STATEMENT_PAYLOAD_TYPE
from domain.catalogue import (
    ComplaintReceived,
    ConstructionCompleted,
    ConstructionNotified,
    FaultReported,
    HazardListed,
    InspectionConcluded,
    InspectionConclusion,
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
    public_view,
)
from domain.elevator import (
    ElevatorState,
    Lifecycle,
    RescueStage,
    active_contract,
    evolve_elevator,
)
from domain.policies import next_maintenance_due
from domain.roles import Role
from domain.trust import KeyInfo
from ledger.canonical import is_canonical
from ledger.dsse import EnvelopeError
from ledger.entry import Entry, EntryError, entry_hash

__all__ = [
    "AccountabilityReport",
    "Axis",
    "Evidence",
    "KeyLookup",
    "Obligation",
    "OpenItem",
    "Party",
    "Replay",
    "Step",
    "parse_instant",
    "replay",
    "state_summary",
]

#: ``keys(key_id)``: the key the ledger registered under that id (owner included), or None.
KeyLookup = Callable[[str], KeyInfo | None]

#: The classic rule (TSG T5002-2017): a maintenance visit at least every 15 days.

_SUBJECT_PREFIX = "elevator:"


class Axis(StrEnum):
    """Which clock decides whether an entry counts as of the instant."""

    OCCURRED = "occurred"  # as it happened by T: occurred_at ≤ T (late entries included)
    RECORDED = "recorded"  # as the ledger knew it at T: recorded_at ≤ T


# --------------------------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Evidence:
    """One chain entry a claim rests on: fetch it by version, check it by hash."""

    version: int
    entry_hash: str
    type: str

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "entry_hash": self.entry_hash, "type": self.type}


@dataclass(frozen=True)
class Step:
    """One applied entry: who said what, when, and what it changed in the elevator's state.

    ``changes`` maps a state field (``contracts[WB-1]`` for one item of a mapping,
    ``rescues[R-1].stage`` for one attribute of a record) to its (before, after) rendering;
    unchanged fields are left out. :attr:`statement` is the public view (personal fields
    removed). ``note`` says why a statement could not be applied, which can happen on the
    occurred axis when what it builds on happened after the instant.
    """

    version: int
    entry_hash: str
    type: str
    issuer: str
    signer_key_ids: tuple[str, ...]
    occurred_at: datetime
    recorded_at: datetime
    late: bool
    changes: Mapping[str, tuple[str, str]]
    _statement: Statement = field(repr=False, compare=False)
    note: str | None = None

    @functools.cached_property
    def statement(self) -> dict[str, Any]:
        """The statement's public view (catalogue.public_view), made on first use."""
        return public_view(self._statement)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "version": self.version,
            "entry_hash": self.entry_hash,
            "type": self.type,
            "issuer": self.issuer,
            "signer_key_ids": list(self.signer_key_ids),
            "occurred_at": self.occurred_at.isoformat(),
            "recorded_at": self.recorded_at.isoformat(),
            "late": self.late,
            "changes": {k: {"before": b, "after": a} for k, (b, a) in self.changes.items()},
            "statement": self.statement,
        }
        if self.note is not None:
            doc["note"] = self.note
        return doc


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

    def party(self, role: Role) -> Party | None:
        """The first party holding ``role`` (there may be several insurers)."""
        return next((p for p in self.parties if p.role is role), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "parties": [p.to_json() for p in self.parties],
            "overdue": [o.to_json() for o in self.overdue],
            "open": [i.to_json() for i in self.open_items],
        }


@dataclass(frozen=True)
class Replay:
    """The elevator as of ``as_of`` on ``axis``, and whether its chain verified.

    ``verified`` covers every entry given, including those outside the instant. When it is
    False, ``problem`` starts with ``version N:`` and the steps, state and report reflect only
    the entries before version N.
    """

    equipment_code: str
    as_of: datetime
    axis: Axis
    verified: bool
    problem: str | None
    failed_version: int | None
    entries_checked: int  # entries that verified
    entries_excluded: int  # verified, but on the other side of the instant
    head: Evidence | None  # the last entry that verified
    steps: tuple[Step, ...]
    state: ElevatorState
    report: AccountabilityReport

    def to_json(self) -> dict[str, Any]:
        return {
            "equipment_code": self.equipment_code,
            "as_of": self.as_of.isoformat(),
            "axis": str(self.axis),
            "verified": self.verified,
            "problem": self.problem,
            "failed_version": self.failed_version,
            "entries_checked": self.entries_checked,
            "entries_included": len(self.steps),
            "entries_excluded": self.entries_excluded,
            "head": self.head.to_json() if self.head else None,
            "steps": [s.to_json() for s in self.steps],
            "state": state_summary(self.state),
            "report": self.report.to_json(),
        }


# --------------------------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------------------------


class _Broken(Exception):
    """One entry failed re-verification (internal; reported, never raised to callers)."""


@dataclass(frozen=True, slots=True)
class _Verified:
    entry: Entry
    statement: Statement
    entry_hash: str
    signer_key_ids: tuple[str, ...]


def _short(digest: str | None) -> str:
    return "none" if digest is None else f"{digest[:16]}…"


def _verify(
    data: bytes,
    expected_version: int,
    prev_hash: str | None,
    code: str | None,
    keys: KeyLookup,
) -> _Verified:
    try:
        entry = Entry.from_bytes(data)
    except EntryError as exc:
        raise _Broken(str(exc)) from None
    if entry.version != expected_version:
        raise _Broken(
            f"the entry says version {entry.version}; entries are missing, repeated or out of order"
        )
    if not entry.subject.startswith(_SUBJECT_PREFIX):
        raise _Broken(f"the entry is about {entry.subject}, not an elevator")
    if code is not None and entry.subject != _SUBJECT_PREFIX + code:
        raise _Broken(f"the entry belongs to {entry.subject}, not {_SUBJECT_PREFIX}{code}")
    if entry.prev != prev_hash:
        if prev_hash is None:
            raise _Broken(f"the first entry must have no prev, it has {_short(entry.prev)}")
        raise _Broken(
            f"prev {_short(entry.prev)} does not match the hash of version"
            f" {expected_version - 1} ({_short(prev_hash)})"
        )
    try:
        envelope = entry.parsed_envelope()
    except EnvelopeError as exc:
        raise _Broken(f"malformed envelope: {exc}") from None
    if envelope.payload_type != STATEMENT_PAYLOAD_TYPE:
        raise _Broken(f"unexpected payload type {envelope.payload_type!r}")
    message = envelope.pae()
    signers: dict[str, KeyInfo] = {}
    for number, sig in enumerate(envelope.signatures, 1):
        info = keys(sig.keyid)
        if info is None:
            raise _Broken(f"signature {number} names key {_short(sig.keyid)}, which is not known")
        if not info.key.verify(message, sig.sig):
            raise _Broken(f"signature {number} (key {_short(sig.keyid)}) does not verify")
        signers.setdefault(info.key_id, info)
    if not is_canonical(envelope.payload):
        raise _Broken("the payload is not canonical JSON")
    try:
        stmt = Statement.model_validate_json(envelope.payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise _Broken(f"the payload is not a valid statement: {where}: {first['msg']}") from None
    subject = entry.subject.removeprefix(_SUBJECT_PREFIX)
    if stmt.elevator != subject:
        raise _Broken(f"the statement is about {stmt.elevator or stmt.organization}, not {subject}")
    if stmt.prev is not None and stmt.prev != entry.prev:
        raise _Broken(
            f"the statement was signed on chain head {_short(stmt.prev)}, but the entry follows"
            f" {_short(entry.prev)}"
        )
    _check_issuer_key(stmt, list(signers.values()), entry.recorded_at)
    return _Verified(entry, stmt, entry_hash(data), tuple(signers))


def _check_issuer_key(stmt: Statement, signers: list[KeyInfo], recorded_at: datetime) -> None:
    own = [k for k in signers if k.owner == stmt.issuer]
    if not own:
        owners = ", ".join(sorted({k.owner for k in signers}))
        raise _Broken(f"no signature by a key of the issuer {stmt.issuer} (signed by {owners})")
    active = [k for k in own if k.active_at(recorded_at)]
    if not active:
        key = own[0]
        raise _Broken(
            f"the issuer's key {_short(key.key_id)} was revoked at"
            f" {key.revoked_at.isoformat() if key.revoked_at else '?'}, before the entry was"
            " recorded"
        )
    if all(k.is_terminal for k in active):
        terminal = active[0]
        if not stmt.statement_type.terminal_may_sign:
            raise _Broken(f"an IoT terminal key may not sign {stmt.type}")
        if terminal.bound_elevator != stmt.elevator:
            raise _Broken(
                f"terminal key {_short(terminal.key_id)} is bound to elevator"
                f" {terminal.bound_elevator}, not {stmt.elevator}"
            )


def _memo(keys: KeyLookup) -> KeyLookup:
    found: dict[str, KeyInfo | None] = {}

    def lookup(key_id: str) -> KeyInfo | None:
        if key_id not in found:
            found[key_id] = keys(key_id)
        return found[key_id]

    return lookup


# --------------------------------------------------------------------------------------------
# What changed
# --------------------------------------------------------------------------------------------

_FIELDS = tuple(f.name for f in fields(ElevatorState))
_ABSENT = object()


def _render(value: Any, name: str = "") -> str:
    if value is None or value is _ABSENT:
        return "—"
    if name == "visits" and isinstance(value, bool):
        return "confirmed" if value else "unconfirmed"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        parts = (
            f"{f.name}={_render(getattr(value, f.name))}"
            for f in fields(value)
            if getattr(value, f.name) is not None
        )
        return ", ".join(parts)
    if isinstance(value, frozenset):
        return ", ".join(sorted(str(v) for v in value)) or "—"
    return str(value)


def _diff(out: dict[str, tuple[str, str]], key: str, b: Any, a: Any, name: str) -> None:
    """Record ``key`` changing from ``b`` to ``a``; two records of one kind field by field."""
    if type(a) is type(b) and is_dataclass(a) and not isinstance(a, type):
        for f in fields(a):
            old, new = getattr(b, f.name), getattr(a, f.name)
            if old != new:
                out[f"{key}.{f.name}"] = (_render(old), _render(new))
    else:
        out[key] = (_render(b, name), _render(a, name))


def _changed_keys(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[list[str], list[str]]:
    """Keys of ``after`` that are new or hold another value, and keys gone from ``before``.

    Evolution copies a mapping and adds or replaces items, so the keys usually keep their order:
    then one C-level pass over keys and values (by identity) finds the candidates, which matters
    when maintenance visits pile up by the thousand. Otherwise, a plain comparison.
    """
    if len(after) >= len(before) and all(map(operator.eq, before, after)):
        moved = compress(before, map(operator.is_not, before.values(), after.values()))
        changed = [k for k in moved if before[k] != after[k]]
        return changed + list(islice(after, len(before), None)), []
    changed = [k for k, v in after.items() if before.get(k, _ABSENT) != v]
    return changed, sorted(before.keys() - after.keys())


def _changes(before: ElevatorState, after: ElevatorState) -> dict[str, tuple[str, str]]:
    """The fields that differ, rendered; a mapping or set field per item that differs, a
    record (contract, rescue...) per attribute that differs."""
    out: dict[str, tuple[str, str]] = {}
    if before is after:
        return out
    for name in _FIELDS:
        b, a = getattr(before, name), getattr(after, name)
        if b is a:
            continue
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            changed, removed = _changed_keys(b, a)
            for key in changed:
                _diff(out, f"{name}[{key}]", b.get(key, _ABSENT), a[key], name)
            for key in removed:
                out[f"{name}[{key}]"] = (_render(b[key], name), "—")
        elif isinstance(a, frozenset) and isinstance(b, frozenset):
            for item in sorted(a - b):
                out[f"{name}[{item}]"] = ("—", "open")
            for item in sorted(b - a):
                out[f"{name}[{item}]"] = ("open", "—")
        elif b != a:
            _diff(out, name, b, a, name)
    return out


# --------------------------------------------------------------------------------------------
# The trail: which entry established what (for the report's evidence)
# --------------------------------------------------------------------------------------------


@dataclass
class _Trail:
    manufacturer: tuple[str, Evidence] | None = None
    construction: tuple[str, Evidence, str] | None = None  # issuer, evidence, kind
    inspection: tuple[str, Evidence, str] | None = None  # institute, evidence, description
    use_mark: tuple[date, Evidence] | None = None  # next_due of the latest pass carrying one
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
        if data.conclusion is InspectionConclusion.PASS and data.next_due is not None:
            self.use_mark = (data.next_due, ev)
        failed_now, failed_before = after.failed_inspection_open, before.failed_inspection_open
        if failed_now is None:
            self.failed = None
        elif failed_now is not failed_before:
            trail = self.failed[0] if self.failed and failed_before is not None else []
            self.failed = ([*trail, ev], data.rectification_deadline)


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------


def _report(state: ElevatorState, trail: _Trail, as_of: datetime) -> AccountabilityReport:
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
    )


def _overdue(state: ElevatorState, trail: _Trail, as_of: datetime) -> list[Obligation]:
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
    if trail.use_mark is not None:
        next_due, ev = trail.use_mark
        if next_due < on:
            out.append(
                Obligation(
                    "inspection",
                    use_unit,
                    next_due,
                    f"the next inspection was due {next_due} (use mark of version {ev.version});"
                    f" {(on - next_due).days} days overdue on {on}",
                    (ev,),
                )
            )
    return out


def _open_items(state: ElevatorState, trail: _Trail, on: date) -> list[OpenItem]:
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


# --------------------------------------------------------------------------------------------
# The replay
# --------------------------------------------------------------------------------------------


def _included(axis: Axis, stmt: Statement, entry: Entry, as_of: datetime) -> bool:
    if axis is Axis.OCCURRED:
        return stmt.occurred_at <= as_of
    return entry.recorded_at <= as_of


def replay(
    entries: Iterable[str | bytes],
    as_of: datetime,
    axis: Axis | str,
    keys: KeyLookup,
    *,
    equipment_code: str | None = None,
) -> Replay:
    """Re-verify one elevator's chain and replay it as of ``as_of`` on ``axis``.

    ``entries`` are the chain's entries in version order, as stored. ``keys`` finds a registered
    key by id (``ElevatorLedger.key_info``); it is asked once per key id. With
    ``equipment_code``, every entry must be about that elevator. Raises ``ValueError`` only for a
    naive ``as_of`` or an unknown axis (caller errors); data problems are in the result.
    """
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError("as_of must be timezone-aware")
    axis = Axis(axis)
    lookup = _memo(keys)
    code = equipment_code
    state = ElevatorState.empty(code or "")
    trail = _Trail()
    steps: list[Step] = []
    problem: str | None = None
    failed_version: int | None = None
    head: Evidence | None = None
    checked = excluded = 0
    for version, raw in enumerate(entries, 1):
        data = raw.encode() if isinstance(raw, str) else bytes(raw)
        try:
            verified = _verify(data, version, head.entry_hash if head else None, code, lookup)
        except _Broken as exc:
            problem, failed_version = f"version {version}: {exc}", version
            break
        entry, stmt = verified.entry, verified.statement
        if code is None:
            code = entry.subject.removeprefix(_SUBJECT_PREFIX)
            state = ElevatorState.empty(code)
        checked += 1
        head = Evidence(version, verified.entry_hash, stmt.type)
        if not _included(axis, stmt, entry, as_of):
            excluded += 1
            continue
        note = None
        try:
            after = evolve_elevator(state, stmt)
        except (KeyError, AssertionError, AttributeError, TypeError) as exc:
            # e.g. on the occurred axis, a rescue step whose alarm occurred after the instant
            after = state
            note = f"not applied: it builds on something outside this replay ({exc!r})"
        steps.append(
            Step(
                version=version,
                entry_hash=verified.entry_hash,
                type=stmt.type,
                issuer=stmt.issuer,
                signer_key_ids=verified.signer_key_ids,
                occurred_at=stmt.occurred_at,
                recorded_at=entry.recorded_at,
                late=entry.recorded_at - stmt.occurred_at > stmt.statement_type.late_after,
                changes=_changes(state, after),
                _statement=stmt,
                note=note,
            )
        )
        if note is None:
            trail.note(stmt, head, state, after)
        state = after
    if problem is None and head is None:
        problem, failed_version = "version 1: the chain is empty", 1
    return Replay(
        equipment_code=code or "",
        as_of=as_of,
        axis=axis,
        verified=problem is None,
        problem=problem,
        failed_version=failed_version,
        entries_checked=checked,
        entries_excluded=excluded,
        head=head,
        steps=tuple(steps),
        state=state,
        report=_report(state, trail, as_of),
    )


# --------------------------------------------------------------------------------------------
# Helpers for the API and the CLI
# --------------------------------------------------------------------------------------------

#: A "+" turned into a space by URL decoding (``?as_of=2025-03-01T14:05:00+08:00`` unencoded).
_SPACED_OFFSET = re.compile(r"^(\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d:\d\d)$")


def parse_instant(text: str) -> datetime:
    """An RFC 3339 instant with its UTC offset (``Z`` or ``±hh:mm``); ``ValueError`` otherwise.

    A space in place of the offset's ``+`` (an unencoded ``+`` in a query string) is read as
    ``+``.
    """
    candidate = text.strip()
    spaced = _SPACED_OFFSET.match(candidate)
    if spaced:
        candidate = f"{spaced[1]}+{spaced[2]}"
    try:
        at = datetime.fromisoformat(candidate)
    except ValueError:
        raise ValueError(
            f"{text!r} is not an RFC 3339 instant such as 2025-03-01T14:05:00+08:00"
        ) from None
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{text!r} has no UTC offset: add one, such as +08:00 or Z")
    return at


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, frozenset | set):
        return sorted(str(v) for v in value)
    return str(value)


def state_summary(state: ElevatorState) -> dict[str, Any]:
    """The state as JSON; maintenance visits are counted rather than listed."""
    doc: dict[str, Any] = _jsonable(state)
    unconfirmed = sum(1 for confirmed in state.visits.values() if not confirmed)
    doc["visits"] = {"recorded": len(state.visits), "unconfirmed": unconfirmed}
    return doc
