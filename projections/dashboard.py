"""What the console's dashboard reads for a regulator's scope: every work list's count and the
rows behind the charts (SQL over the read models; the counting rules are
projections/chart_data.py's).

A scope is the bureau's districts (``domain.model.jurisdiction.within``: ``430900`` covers
``430903``) and, optionally, one district picked among them. Each elevator is placed by the
district its status holds today (the read model's ``district``), as the work lists place it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from domain.model.catalogue import MaintenancePolicy
from domain.model.jurisdiction import within
from domain.model.scoring import arrival_limit
from domain.model.subjects import SubjectRef
from projections.chart_data import (
    ArrivalTimes,
    Due,
    LiftVisits,
    Month,
    MonthCount,
    MonthOutcomes,
    Rescue,
    Week,
    arrival_histogram,
    due_by_week,
    last_months,
    maintenance_by_month,
    per_month,
)
from projections.clock import day_start, local_date
from projections.schema import elevators, entries
from projections.status import ElevatorStatus, from_json, inspection_obligation
from projections.worklists import WORKLISTS, worklist

#: every work list the console shows, in the order the dashboard shows them
LIST_NAMES = (*WORKLISTS, "suspicious-maintenance")
IN_USE = ("in_service", "stopped")


@dataclass(frozen=True)
class Scope:
    """Whose elevators: those in ``districts`` (the account's), narrowed to ``district`` (one
    GB/T 2260 code, matched exactly, as the work lists' ``district`` filter is) if given."""

    districts: tuple[str, ...]
    district: str | None = None

    def holds(self, district: str | None) -> bool:
        if self.district is not None and district != self.district:
            return False
        return within(self.districts, district)


def scope_districts(engine: Engine, districts: Sequence[str]) -> list[str]:
    """The districts holding elevators within ``districts`` (the choices of the selector)."""
    with engine.connect() as conn:
        found = conn.execute(
            select(elevators.c.district).where(elevators.c.district.is_not(None)).distinct()
        ).scalars()
        return sorted(d for d in found if within(districts, d))


def list_counts(engine: Engine, today: date, scope: Scope, *, zone: tzinfo) -> dict[str, int]:
    """How many rows each work list has for ``scope`` on ``today``: the lists themselves
    (projections.worklists.worklist), their rows kept where the scope holds the district.
    (To be replaced by ``projections.worklists.counts``, one pass over the statuses, once
    that exists.)"""
    counts: dict[str, int] = {}
    districts: dict[str, str | None] | None = None
    for name in LIST_NAMES:
        rows = worklist(engine, name, today, scope.district, zone=zone)
        if name == "suspicious-maintenance":  # its rows name the elevator, not the district
            districts = districts if districts is not None else _districts(engine)
            counts[name] = sum(scope.holds(districts.get(r["equipment_code"])) for r in rows)
        else:
            counts[name] = sum(scope.holds(r["district"]) for r in rows)
    return counts


def _districts(engine: Engine) -> dict[str, str | None]:
    with engine.connect() as conn:
        rows = conn.execute(select(elevators.c.equipment_code, elevators.c.district)).all()
    return {r.equipment_code: r.district for r in rows}


@dataclass(frozen=True)
class Charts:
    """The dashboard's four charts for one scope, judged on ``today`` (and ``now``, for a
    rescue whose limit may have run out)."""

    months: tuple[Month, ...]
    maintenance: list[MonthOutcomes]
    faults: list[MonthCount]
    arrivals: ArrivalTimes
    inspections_overdue: list[Due]
    inspection_weeks: list[Week]
    lifts: int


def charts(
    engine: Engine, scope: Scope, today: date, now: datetime, *, zone: tzinfo, months: int = 12
) -> Charts:
    """Read once what the charts count for ``scope``: the statuses, then the entries of the
    charted months (maintenance, faults, rescues, stops) about those elevators."""
    span = tuple(last_months(today, months))
    start = day_start(span[0].first, zone)
    with engine.connect() as conn:
        statuses = scoped_statuses(conn, scope)
        subjects = {str(SubjectRef.elevator(code)): code for code in statuses}
        visits = _visits(conn, list(subjects), start, zone)
        stops = _stops(conn, list(subjects), zone)
        faults = _faults(conn, list(subjects), start)
        rescues = _rescues(conn, subjects, statuses, start)
    lifts = [
        lift
        for sub, code in subjects.items()
        if (
            lift := _lift(
                code, statuses[code], visits.get(sub, ([], None)), stops.get(sub, ()), zone
            )
        )
    ]
    dues = [_due(code, s, today) for code, s in statuses.items()]
    overdue, weeks = due_by_week([d for d in dues if d is not None], today)
    return Charts(
        months=span,
        maintenance=maintenance_by_month(lifts, span, today),
        faults=per_month(faults, span, zone),
        arrivals=arrival_histogram(rescues, now),
        inspections_overdue=overdue,
        inspection_weeks=weeks,
        lifts=len(statuses),
    )


def scoped_statuses(conn: Connection, scope: Scope) -> dict[str, ElevatorStatus]:
    """Every elevator the scope holds, by equipment code, with its folded status."""
    query = select(elevators.c.equipment_code, elevators.c.district, elevators.c.status)
    if scope.district is not None:
        query = query.where(elevators.c.district == scope.district)
    rows = conn.execute(query.order_by(elevators.c.equipment_code)).all()
    return {r.equipment_code: from_json(dict(r.status)) for r in rows if scope.holds(r.district)}


def _visits(
    conn: Connection, subjects: list[str], start: datetime, zone: tzinfo
) -> dict[str, tuple[list[date], date | None]]:
    """Per elevator: the local dates of its visits since ``start``, and of its last one before."""
    if not subjects:
        return {}
    kind = entries.c.type == "maintenance.performed"
    mine = entries.c.subject.in_(subjects)
    out: dict[str, tuple[list[date], date | None]] = defaultdict(lambda: ([], None))
    for r in conn.execute(
        select(entries.c.subject, func.max(entries.c.occurred_at).label("at"))
        .where(kind, mine, entries.c.occurred_at < start)
        .group_by(entries.c.subject)
    ):
        out[r.subject] = ([], local_date(r.at, zone))
    for r in conn.execute(
        select(entries.c.subject, entries.c.occurred_at).where(
            kind, mine, entries.c.occurred_at >= start
        )
    ):
        out[r.subject][0].append(local_date(r.occurred_at, zone))
    return out


def _stops(
    conn: Connection, subjects: list[str], zone: tzinfo
) -> dict[str, tuple[tuple[date, date | None], ...]]:
    """Per elevator: the spells it was declared stopped (``use.stopped`` to ``use.resumed``)."""
    if not subjects:
        return {}
    rows = conn.execute(
        select(entries.c.subject, entries.c.type, entries.c.occurred_at)
        .where(entries.c.type.in_(("use.stopped", "use.resumed")), entries.c.subject.in_(subjects))
        .order_by(entries.c.occurred_at, entries.c.log_index)
    ).all()
    spells: dict[str, list[tuple[date, date | None]]] = defaultdict(list)
    for r in rows:
        day, open_ = local_date(r.occurred_at, zone), spells[r.subject]
        if r.type == "use.stopped" and not (open_ and open_[-1][1] is None):
            open_.append((day, None))
        elif r.type == "use.resumed" and open_ and open_[-1][1] is None:
            open_[-1] = (open_[-1][0], day)
    return {k: tuple(v) for k, v in spells.items()}


def _lift(
    code: str,
    status: ElevatorStatus,
    visits: tuple[list[date], date | None],
    paused: tuple[tuple[date, date | None], ...],
    zone: tzinfo,
) -> LiftVisits | None:
    """The elevator as the on-time rule reads it; None if it owes no visits (never in use)."""
    in_window, before = visits
    if status.in_use_since is None:
        return None
    starts = [c[2] for c in status.contracts] + in_window
    seed = before or (min(starts) if starts else None)
    if seed is None:
        return None
    cancelled = local_date(status.cancelled_at, zone) if status.cancelled_at else None
    ended = status.scrapped_on or cancelled
    policy = MaintenancePolicy(status.maintenance_policy) if status.maintenance_policy else None
    return LiftVisits(
        code,
        seed,
        tuple(in_window),
        policy,
        ((date.min, status.in_use_since), *paused),
        ended,
    )


def _faults(conn: Connection, subjects: list[str], start: datetime) -> list[tuple[str, datetime]]:
    if not subjects:
        return []
    rows = conn.execute(
        select(entries.c.subject, entries.c.occurred_at).where(
            entries.c.type == "fault.reported",
            entries.c.subject.in_(subjects),
            entries.c.occurred_at >= start,
        )
    ).all()
    return [(SubjectRef.parse(r.subject).id, r.occurred_at) for r in rows]


def _rescues(
    conn: Connection, subjects: dict[str, str], statuses: dict[str, ElevatorStatus], start: datetime
) -> list[Rescue]:
    """The alarms raised since ``start``, each with its first recorded arrival."""
    if not subjects:
        return []
    rows = conn.execute(
        select(entries.c.subject, entries.c.type, entries.c.log_index, entries.c.public)
        .where(
            entries.c.type.in_(("rescue.alarm", "rescue.arrived")),
            entries.c.subject.in_(list(subjects)),
            entries.c.occurred_at >= start - timedelta(days=1),
        )
        .order_by(entries.c.log_index)
    ).all()
    arrivals: dict[tuple[str, str], Any] = {}
    for r in rows:
        if r.type == "rescue.arrived":
            arrivals.setdefault((r.subject, r.public["data"]["rescue_id"]), r)
    out = []
    for r in rows:
        data = r.public["data"]
        alarm_at = datetime.fromisoformat(data["alarm_at"]) if r.type == "rescue.alarm" else None
        if alarm_at is None or alarm_at < start:
            continue
        code = subjects[r.subject]
        arrived = arrivals.get((r.subject, data["rescue_id"]))
        district = statuses[code].district
        out.append(
            Rescue(
                code,
                data["rescue_id"],
                alarm_at,
                datetime.fromisoformat(arrived.public["data"]["arrived_at"]) if arrived else None,
                arrival_limit(district or ""),
                r.log_index,
                arrived.log_index if arrived else None,
            )
        )
    return out


def _due(code: str, status: ElevatorStatus, today: date) -> Due | None:
    """The elevator's next inspection obligation, if it is in use and the obligation is not on
    hold (a stopped lift's is due before it restarts, not by a date)."""
    if status.lifecycle not in IN_USE:
        return None
    obligation = inspection_obligation(status, today)
    if obligation is None or obligation.suspended:
        return None
    return Due(code, obligation.due, str(obligation.kind), obligation.overdue)
