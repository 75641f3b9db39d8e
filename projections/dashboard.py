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

from sqlalchemy import Connection, Engine, select

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
from projections.worklists import NAMES, flag_counts, suspicious_maintenance

#: every work list the console shows, in the order the dashboard shows them
LIST_NAMES = NAMES
IN_USE = ("in_service", "stopped")
#: how far before the charted months a visit is looked for to seed a lift's chain: longer than
#: the longest cadence (on-demand quarterly: by the end of the third month after the visit's)
LOOKBACK = timedelta(days=125)


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
    """How many rows each work list has for ``scope`` on ``today``."""
    with engine.connect() as conn:
        statuses = scoped_statuses(conn, scope)
    return counts_of(engine, statuses, today, scope, zone=zone)


def counts_of(
    engine: Engine,
    statuses: dict[str, ElevatorStatus],
    today: date,
    scope: Scope,
    *,
    zone: tzinfo,
) -> dict[str, int]:
    """Each work list's count over the scope's ``statuses``, in one pass: an elevator is on a
    list when the flag the list is named for (projections.worklists.WORKLISTS) is set today,
    the test ``worklist`` itself applies (``illegal_use`` is the flag of "any reason"); the
    suspicious visits are the list's own rows, each placed by its lift's district. The
    integration and browser tests hold these counts to the lists' rows. (The one pass is
    ``projections.worklists.counts``, which reads the statuses itself.)"""
    out = dict.fromkeys(LIST_NAMES, 0) | flag_counts(statuses.values(), today)
    rows = suspicious_maintenance(engine, today, scope.district, zone=zone)
    out["suspicious-maintenance"] = sum(r["equipment_code"] in statuses for r in rows)
    return out


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
    """The charts for ``scope`` (its statuses read here)."""
    with engine.connect() as conn:
        return charts_of(conn, scoped_statuses(conn, scope), today, now, zone=zone, months=months)


def dashboard(
    engine: Engine, scope: Scope, today: date, now: datetime, *, zone: tzinfo
) -> tuple[dict[str, int], Charts]:
    """The work lists' counts and the charts for ``scope``, from one read of its statuses."""
    with engine.connect() as conn:
        statuses = scoped_statuses(conn, scope)
        drawn = charts_of(conn, statuses, today, now, zone=zone)
    return counts_of(engine, statuses, today, scope, zone=zone), drawn


def charts_of(
    conn: Connection,
    statuses: dict[str, ElevatorStatus],
    today: date,
    now: datetime,
    *,
    zone: tzinfo,
    months: int = 12,
) -> Charts:
    """What the charts count for the elevators of ``statuses``: the entries of the charted
    months (maintenance, faults, rescues) and the stops, about those elevators. Each query
    selects by type and time and the elevators are picked here: the entries read model is
    indexed by subject and version, and a scan by type beats a lookup per lift's whole chain."""
    span = tuple(last_months(today, months))
    start = day_start(span[0].first, zone)
    subjects = {str(SubjectRef.elevator(code)): code for code in statuses}
    visits = _visits(conn, subjects, start, zone)
    stops = _stops(conn, subjects, zone)
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
        faults=per_month(_faults(conn, subjects, start), span, zone),
        arrivals=arrival_histogram(
            _rescues(conn, subjects, statuses, start),
            now,
            {arrival_limit(s.district) for s in statuses.values() if s.district},
        ),
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
    conn: Connection, subjects: dict[str, str], start: datetime, zone: tzinfo
) -> dict[str, tuple[list[date], date | None]]:
    """Per elevator: the local dates of its visits since ``start``, and of its last one in the
    :data:`LOOKBACK` before (a lift with none there was overdue under any cadence when the
    charted months began; its chain is seeded by its contract instead)."""
    out: dict[str, tuple[list[date], date | None]] = {}
    rows = conn.execute(
        select(entries.c.subject, entries.c.occurred_at)
        .where(
            entries.c.type == "maintenance.performed",
            entries.c.occurred_at >= start - LOOKBACK,
        )
        .order_by(entries.c.occurred_at)
    )
    for r in rows:
        if r.subject not in subjects:
            continue
        seen, _ = out.setdefault(r.subject, ([], None))
        if r.occurred_at < start:
            out[r.subject] = (seen, local_date(r.occurred_at, zone))
        else:
            seen.append(local_date(r.occurred_at, zone))
    return out


def _stops(
    conn: Connection, subjects: dict[str, str], zone: tzinfo
) -> dict[str, tuple[tuple[date, date | None], ...]]:
    """Per elevator: the spells it was declared stopped (``use.stopped`` to ``use.resumed``)."""
    rows = conn.execute(
        select(entries.c.subject, entries.c.type, entries.c.occurred_at)
        .where(entries.c.type.in_(("use.stopped", "use.resumed")))
        .order_by(entries.c.occurred_at, entries.c.log_index)
    ).all()
    spells: dict[str, list[tuple[date, date | None]]] = defaultdict(list)
    for r in rows:
        if r.subject not in subjects:
            continue
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


def _faults(
    conn: Connection, subjects: dict[str, str], start: datetime
) -> list[tuple[str, datetime]]:
    rows = conn.execute(
        select(entries.c.subject, entries.c.occurred_at).where(
            entries.c.type == "fault.reported", entries.c.occurred_at >= start
        )
    ).all()
    return [(subjects[r.subject], r.occurred_at) for r in rows if r.subject in subjects]


def _rescues(
    conn: Connection, subjects: dict[str, str], statuses: dict[str, ElevatorStatus], start: datetime
) -> list[Rescue]:
    """The alarms raised since ``start``, each with its first recorded arrival."""
    rows = [
        r
        for r in conn.execute(
            select(entries.c.subject, entries.c.type, entries.c.log_index, entries.c.public)
            .where(
                entries.c.type.in_(("rescue.alarm", "rescue.arrived")),
                entries.c.occurred_at >= start - timedelta(days=1),
            )
            .order_by(entries.c.log_index)
        )
        if r.subject in subjects
    ]
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
