"""Regulator work lists, per district: what needs a visit, a call or a letter today.

Every row names the organizations beside their codes (``use_unit_name``,
``maintenance_unit_name``: one query of the organizations read model per list, never one per
row) and the elevator's ``district``. A list is read for a scope (``within``: the districts a
bureau supervises, :mod:`domain.model.jurisdiction`; ``None`` is the whole ledger, ``()``
nothing). Each list first narrows the elevators in SQL by the indexed columns the read model keeps
beside the status (a necessary condition of being on the list, never a sufficient one), then
folds only those statuses in Python and asks the same :func:`~projections.status.flags` the
public page does, so a list can never say what the status does not.

The console's query layer (:func:`query`, :func:`rows`) filters (district, maintainer, use unit),
sorts by a whitelisted column and pages; :func:`counts` gives every list's count in one pass over
the statuses (the dashboard's numbers)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import Engine, and_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from domain.model import jurisdiction
from domain.model.subjects import SubjectRef
from projections.clock import day_start
from projections.read import organization_names
from projections.schema import elevators, entries
from projections.scope import scope_clause
from projections.status import (
    OLD_AGE_YEARS,
    ElevatorStatus,
    Proof,
    flags,
    from_json,
    illegal_use,
    inspection_obligation,
)

Row = dict[str, Any]
Scope = tuple[str, ...] | None

#: list name -> the flag that puts an elevator on it, and what the list is for
WORKLISTS: dict[str, tuple[str, str]] = {
    "maintenance-overdue": ("maintenance_overdue", "in service, next maintenance visit overdue"),
    "inspection-overdue": ("inspection_overdue", "periodic inspection or self-test overdue"),
    "hazards": ("under_supervision", "hazards listed for supervision (挂牌督办), by deadline"),
    "no-maintenance-contract": (
        "no_maintenance_contract",
        "无维保合同: in use without a maintenance contract in force (or a registered use unit)",
    ),
    "old-without-assessment": ("old_without_assessment", "over 15 years in use, not assessed"),
    "late-entries": ("late_entries", "records entered long after the fact"),
    "uninsured": ("uninsured", "in use without liability insurance"),
    "must-not-run": (
        "must_not_run",
        "检验不合格: periodic inspection failed and not passed since; must not run",
    ),
    "illegal-use": (
        "illegal_use",
        "used against the rules: failed and still used, used unregistered, modified without"
        " change registration, a periodic year replaced by a self-test; each reason with its"
        " entries",
    ),
}
SUSPICIOUS = "suspicious-maintenance"
SUSPICIOUS_PURPOSE = "visits under 20 minutes or recorded late (last 90 days)"
#: every list, in the order the console shows them
NAMES: tuple[str, ...] = (*WORKLISTS, SUSPICIOUS)
#: what each reason on the illegal-use list says
ILLEGAL_USE_ZH = {
    "failed-in-use": "定期检验不合格后仍在使用",
    "unregistered-use": "未办理使用登记（或未经监督检验）即投入使用",
    "used-while-stopped": "已办理停用仍在使用（停用期间检验暂停）",
    "modified-without-change-registration": "改造后未办理变更登记仍在使用",
    "self-test-in-periodic-year": "定期检验年度以自行检测代替",
}
#: Names a list once had -> its name now. ``sanwu`` (三无) named only the missing contract, while
#: to a regulator 三无 is 无物业管理、无维护保养、无维修资金 (all three), so it was renamed; the old
#: name is answered with a problem naming the new one, never with the list.
RENAMED: dict[str, str] = {"sanwu": "no-maintenance-contract"}
SHORT_VISIT = timedelta(minutes=20)
SUSPICIOUS_DAYS = 90
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50

_IN_USE = ("in_service", "stopped")
_RETIRED = ("scrapped", "cancelled")


class InvalidQuery(ValueError):
    """A query the list cannot answer (a column it cannot sort by, a page size out of range)."""


# --- which elevators a list can hold: SQL conditions, each necessary, never sufficient ---------


def _candidates(name: str, today: date) -> ColumnElement[bool] | None:
    """What every elevator on list ``name`` has in the read model's own columns (mirrors of its
    status, projections/core.py), so that only those statuses are folded."""
    c = elevators.c
    in_use = c.lifecycle.in_(_IN_USE)
    not_retired = or_(c.lifecycle.is_(None), c.lifecycle.notin_(_RETIRED))
    old = date(today.year - OLD_AGE_YEARS, 12, 31)  # a superset: whatever the day of the year
    return {
        "maintenance-overdue": and_(
            c.lifecycle == "in_service",
            or_(c.next_maintenance_due.is_(None), c.next_maintenance_due < today),
        ),
        "inspection-overdue": in_use,
        "hazards": c.open_hazards > 0,
        "no-maintenance-contract": in_use,
        "old-without-assessment": and_(in_use, c.in_use_since <= old),
        "late-entries": c.late_entries > 0,
        "uninsured": in_use,
        "must-not-run": not_retired,
        "illegal-use": not_retired,
    }.get(name)


def _statuses(
    engine: Engine,
    district: str | None,
    within: Scope,
    where: ColumnElement[bool] | None = None,
) -> list[tuple[str, ElevatorStatus]]:
    """The folded statuses of the elevators in ``district`` (and its subdivisions) and the
    scope, meeting ``where``, by equipment code."""
    query = select(elevators.c.equipment_code, elevators.c.status)
    if district:
        query = query.where(scope_clause(elevators.c.district, (district,)))
    if within is not None:
        query = query.where(scope_clause(elevators.c.district, within))
    if where is not None:
        query = query.where(where)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(elevators.c.equipment_code)).all()
    out = []
    for row in rows:
        status = from_json(dict(row.status))
        # the status's own district decides (the column mirrors it; asked again, it costs little)
        if district and not jurisdiction.covers(district, status.district):
            continue
        if within is not None and not jurisdiction.within(within, status.district):
            continue
        out.append((row.equipment_code, status))
    return out


# --- the lists -----------------------------------------------------------------------------------


def worklist(
    engine: Engine,
    name: str,
    today: date,
    district: str | None = None,
    *,
    zone: tzinfo,
    within: Scope = None,
) -> list[Row]:
    """The elevators on list ``name`` on ``today``, a date of the ledger's ``zone``, in
    ``district`` (a code ending 00 includes its subdivisions) and the scope ``within``."""
    if name == SUSPICIOUS:
        return suspicious_maintenance(engine, today, district, zone=zone, within=within)
    if name == "illegal-use":
        return illegal_use_list(engine, today, district, within=within)
    flag, _ = WORKLISTS[name]
    out = []
    for code, status in _statuses(engine, district, within, _candidates(name, today)):
        if flags(status, today)[flag]:
            out.append(_flag_row(code, status, today))
    if name == "hazards":
        out.sort(key=lambda r: r["hazard_deadlines"][:1] or ["9999"])
    return _named(engine, out)


def _flag_row(code: str, status: ElevatorStatus, today: date) -> Row:
    inspection = inspection_obligation(status, today)
    return {
        "equipment_code": code,
        "district": status.district,
        "use_unit": status.use_unit,
        "maintenance_unit": status.maintenance_unit,
        "next_maintenance_due": _iso(status.next_maintenance_due),
        "next_inspection_due": _iso(inspection.due if inspection else None),
        "next_inspection_kind": str(inspection.kind) if inspection else None,
        "inspection_year_of_use": inspection.year_of_use if inspection else None,
        "inspection_reason": inspection.reason if inspection else None,
        "hazard_deadlines": [d.isoformat() for d in status.hazard_deadlines],
        "late_entries": status.late_entries,
    }


def _named(engine: Engine, rows: list[Row]) -> list[Row]:
    """``rows`` with ``use_unit_name`` and ``maintenance_unit_name`` (and ``issuer_name`` where
    a row has an issuer) beside the codes, from one query of the organizations read model; an
    organization the ledger has no name for is named None, never guessed."""
    keys = ("use_unit", "maintenance_unit", "issuer")
    usccs = {r[k] for r in rows for k in keys if r.get(k)}
    names = organization_names(engine, usccs)
    for r in rows:
        r["use_unit_name"] = names.get(r["use_unit"]) if r.get("use_unit") else None
        r["maintenance_unit_name"] = (
            names.get(r["maintenance_unit"]) if r.get("maintenance_unit") else None
        )
        if "issuer" in r:
            r["issuer_name"] = names.get(r["issuer"]) if r["issuer"] else None
    return rows


def illegal_use_list(
    engine: Engine, today: date, district: str | None, *, within: Scope = None
) -> list[Row]:
    """Elevators used against the rules on ``today`` (docs/lifecycle.md, "Must not run"): one
    row per elevator, its reasons each with the entries that prove it."""
    out = []
    for code, status in _statuses(engine, district, within, _candidates("illegal-use", today)):
        reasons = illegal_use(status, flags(status, today), today)
        if reasons:
            out.append(_illegal_row(code, status, reasons))
    return _named(engine, out)


def _illegal_row(
    code: str, status: ElevatorStatus, reasons: list[tuple[str, tuple[Proof, ...]]]
) -> Row:
    return {
        "equipment_code": code,
        "registration_code": status.registration_code,
        "district": status.district,
        "lifecycle": status.lifecycle,
        "use_unit": status.use_unit,
        "maintenance_unit": status.maintenance_unit,
        "last_inspection_on": _iso(status.last_inspection_on),
        "reasons": [
            {
                "reason": reason,
                "text_zh": ILLEGAL_USE_ZH[reason],
                "entries": [_proof(p) for p in proofs],
            }
            for reason, proofs in reasons
        ],
    }


def _proof(p: Proof) -> dict[str, Any]:
    kind, occurred_at, log_index, entry_hash = p
    return {
        "type": kind,
        "occurred_at": occurred_at,
        "log_index": log_index,
        "entry_hash": entry_hash,
    }


def suspicious_maintenance(
    engine: Engine,
    today: date,
    district: str | None,
    days: int = SUSPICIOUS_DAYS,
    *,
    zone: tzinfo,
    within: Scope = None,
) -> list[Row]:
    """Maintenance records worth a second look: visits under 20 minutes, or recorded late,
    over the last ``days`` days of the ledger's ``zone`` (from midnight there). Each row has the
    elevator's district, use unit and maintenance unit as its status has them now."""
    since = day_start(today - timedelta(days=days), zone)
    query = select(entries.c.log_index, entries.c.entry_hash, entries.c.subject).add_columns(
        entries.c.issuer, entries.c.occurred_at, entries.c.late, entries.c.public
    )
    query = query.where(entries.c.type == "maintenance.performed", entries.c.occurred_at >= since)
    places = select(
        elevators.c.equipment_code,
        elevators.c.district,
        elevators.c.use_unit,
        elevators.c.maintenance_unit,
    )
    if district:
        places = places.where(scope_clause(elevators.c.district, (district,)))
    if within is not None:
        places = places.where(scope_clause(elevators.c.district, within))
    with engine.connect() as conn:
        where = {str(SubjectRef.elevator(p.equipment_code)): p for p in conn.execute(places)}
        found = conn.execute(query.order_by(entries.c.log_index)).all()
    out = []
    for r in found:
        place = where.get(r.subject)
        if place is None:  # outside the district or scope (or no elevator row yet)
            continue
        reasons, reasons_zh = _suspicious(r.public["data"], r.late)
        if reasons:
            out.append(
                {
                    "equipment_code": place.equipment_code,
                    "district": place.district,
                    "use_unit": place.use_unit,
                    "maintenance_unit": place.maintenance_unit,
                    "log_index": r.log_index,
                    "entry_hash": r.entry_hash,
                    "issuer": r.issuer,
                    "occurred_at": r.public.get("occurred_at"),
                    "visit_id": r.public["data"].get("visit_id"),
                    "reasons": reasons,
                    "reasons_zh": reasons_zh,
                }
            )
    return _named(engine, out)


def _suspicious(data: dict[str, Any], late: bool) -> tuple[list[str], list[str]]:
    """Why a visit is worth a second look, in English (the API's words) and in Chinese."""
    minutes = (
        datetime.fromisoformat(data["departed_at"]) - datetime.fromisoformat(data["arrived_at"])
    ) / timedelta(minutes=1)
    short = minutes < SHORT_VISIT.total_seconds() / 60
    reasons = [f"visit of {minutes:.0f} min"] if short else []
    reasons_zh = [f"现场时长 {minutes:.0f} 分钟（不足20分钟）"] if short else []
    if late:
        reasons.append("recorded late")
        reasons_zh.append("补录（事后很久才录入）")
    return reasons, reasons_zh


def counts(engine: Engine, today: date, within: Scope, zone: tzinfo) -> dict[str, int]:
    """How many elevators (rows, for the suspicious-maintenance list) each list holds on
    ``today`` within the scope: every status folded once and asked its flags once (the lists
    themselves each fold their own candidates), and one query of the maintenance entries."""
    out = flag_counts((status for _code, status in _statuses(engine, None, within)), today)
    out[SUSPICIOUS] = len(suspicious_maintenance(engine, today, None, zone=zone, within=within))
    return out


def flag_counts(statuses: Iterable[ElevatorStatus], today: date) -> dict[str, int]:
    """How many of ``statuses`` each list named for a flag holds on ``today``, each status asked
    its flags once (the dashboard counts the statuses it has read for its charts with it)."""
    out = dict.fromkeys(WORKLISTS, 0)
    for status in statuses:
        on = flags(status, today)
        for name, (flag, _) in WORKLISTS.items():
            out[name] += on[flag]
    return out


# --- the console's query layer: filters, sorting, paging ---------------------------------------


def _first(values: Sequence[str]) -> str | None:
    return values[0] if values else None


#: the columns a list may be sorted by, and each one's key; None sorts last either way
SORT_KEYS: dict[str, Callable[[Row], Any]] = {
    "equipment_code": lambda r: r["equipment_code"],
    "district": lambda r: r.get("district"),
    "use_unit": lambda r: r.get("use_unit_name") or r.get("use_unit"),
    "maintenance_unit": lambda r: r.get("maintenance_unit_name") or r.get("maintenance_unit"),
    "next_maintenance_due": lambda r: r.get("next_maintenance_due"),
    "next_inspection_due": lambda r: r.get("next_inspection_due"),
    "hazard_deadline": lambda r: _first(r.get("hazard_deadlines") or ()),
    "late_entries": lambda r: r.get("late_entries"),
    "last_inspection_on": lambda r: r.get("last_inspection_on"),
    "log_index": lambda r: r.get("log_index"),
    "occurred_at": lambda r: r.get("occurred_at"),
    "issuer": lambda r: r.get("issuer_name") or r.get("issuer"),
}
_COMMON = ("equipment_code", "district", "use_unit", "maintenance_unit")
#: which of :data:`SORT_KEYS` each list's rows have
SORTABLE: dict[str, tuple[str, ...]] = {
    name: (
        *_COMMON,
        "next_maintenance_due",
        "next_inspection_due",
        "hazard_deadline",
        "late_entries",
    )
    for name in WORKLISTS
} | {
    "illegal-use": (*_COMMON, "last_inspection_on"),
    SUSPICIOUS: (*_COMMON, "log_index", "occurred_at", "issuer"),
}


@dataclass(frozen=True)
class Query:
    """What the console asks of a list: filters (each optional), a sort and a page."""

    district: str | None = None  # a code ending 00 includes its subdivisions
    maintainer: str | None = None  # the maintenance unit's USCC
    use_unit: str | None = None  # the use unit's USCC
    sort: str | None = None  # one of the list's SORTABLE columns; None: the list's own order
    descending: bool = False
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    def check(self, name: str) -> None:
        """:class:`InvalidQuery` unless list ``name`` can answer this query."""
        if self.sort is not None and self.sort not in SORTABLE[name]:
            known = ", ".join(SORTABLE[name])
            raise InvalidQuery(f"list {name!r} cannot be sorted by {self.sort!r}; known: {known}")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise InvalidQuery(f"page size {self.page_size}: between 1 and {MAX_PAGE_SIZE}")
        if self.page < 1:
            raise InvalidQuery(f"page {self.page}: pages start at 1")


@dataclass(frozen=True)
class Result:
    """One page of a list, the list's size under the filters, and the organizations and
    districts the whole list (in the scope and district, before the other filters) names, for
    the filter form."""

    rows: list[Row]
    total: int
    page: int
    page_size: int
    maintainers: list[tuple[str, str | None]] = field(default_factory=list)
    use_units: list[tuple[str, str | None]] = field(default_factory=list)
    districts: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def rows(
    engine: Engine, name: str, today: date, q: Query, *, zone: tzinfo, within: Scope
) -> list[Row]:
    """Every row of list ``name`` under ``q``'s filters, in ``q``'s order (all pages: what an
    export writes)."""
    q.check(name)
    found = worklist(engine, name, today, q.district, zone=zone, within=within)
    return sort_rows(filter_rows(found, q), q)


def query(
    engine: Engine, name: str, today: date, q: Query, *, zone: tzinfo, within: Scope
) -> Result:
    """Page ``q.page`` of list ``name`` under ``q`` (a page past the last shows the last)."""
    q.check(name)
    everything = worklist(engine, name, today, q.district, zone=zone, within=within)
    chosen = sort_rows(filter_rows(everything, q), q)
    pages = max(1, -(-len(chosen) // q.page_size))
    page = min(q.page, pages)
    start = (page - 1) * q.page_size
    return Result(
        chosen[start : start + q.page_size],
        len(chosen),
        page,
        q.page_size,
        maintainers=_organizations(everything, "maintenance_unit"),
        use_units=_organizations(everything, "use_unit"),
        districts=sorted({r["district"] for r in everything if r.get("district")}),
    )


def filter_rows(found: Iterable[Row], q: Query) -> list[Row]:
    """The rows of ``found`` whose maintenance unit and use unit are ``q``'s (where given)."""
    return [
        r
        for r in found
        if (q.maintainer is None or r.get("maintenance_unit") == q.maintainer)
        and (q.use_unit is None or r.get("use_unit") == q.use_unit)
    ]


def sort_rows(found: list[Row], q: Query) -> list[Row]:
    """``found`` by ``q.sort`` (ascending or descending; rows without a value last either way,
    ties in the list's own order), or as it came when ``q.sort`` is None."""
    if q.sort is None:
        return list(found)
    key = SORT_KEYS[q.sort]
    present = [r for r in found if key(r) is not None]
    missing = [r for r in found if key(r) is None]
    return sorted(present, key=key, reverse=q.descending) + missing


def _organizations(found: Iterable[Row], column: str) -> list[tuple[str, str | None]]:
    named = {r[column]: r.get(f"{column}_name") for r in found if r.get(column)}
    return sorted(named.items(), key=lambda item: (item[1] or "\uffff", item[0]))


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None
