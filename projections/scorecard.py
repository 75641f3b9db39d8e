"""Maintainer scorecard: penalty points under a scoring scheme (domain/model/scoring.py), each
point traceable to the log entries that caused it, and the band they add up to.

Each point is judged on its own date and its lift's district: it counts under the scheme only
where and when the scheme is in force. The regulator's reference view (``reference=True``)
also lists the points the scheme would give elsewhere, each marked ``in_force`` or not; the
result is always an indicator (参考), never the regulator's published grade.

Who is charged is who the log says was responsible: a rescue goes to the contracted maintainer
at the alarm's instant (from the responsibilities projection), whoever recorded the arrival —
the maintainer or the 96333 platform — and an alarm with no arrival recorded by the time the
district's limit ran out counts as a late arrival. The first-time pass rate counts periodic
inspections of the lifts it maintained; a supervisory inspection judges a construction unit's
work (installation, modification, major repair), not the maintainer's, so it is not counted
here (no scheme the ledger holds scores construction units)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import Connection, Engine, or_, select

from domain.model.scoring import FUJIAN_2024, Period, ScoringScheme, arrival_limit
from domain.model.subjects import SubjectRef
from projections.clock import day_start, local_date
from projections.schema import elevators, entries, responsibilities

Intervals = dict[str, list[tuple[datetime, datetime | None]]]

#: What the elevators a maintainer looked after say about its work.
THEIR_TYPES = (
    "fault.reported",
    "inspection.concluded",
    "rescue.alarm",
    "rescue.dispatched",
    "rescue.arrived",
)
RESCUE_STEPS = ("rescue.dispatched", "rescue.arrived")


@dataclass
class Scorecard:
    organization: str
    scheme: ScoringScheme
    period: Period
    reference: bool
    points: list[dict[str, Any]] = field(default_factory=list)
    first_time_pass_rate: float | None = None

    @property
    def total(self) -> int:
        """Points counted: those in force, or every one in the reference view."""
        return sum(int(p["points"]) for p in self.points)

    @property
    def band(self) -> str:
        """The scheme's letter for the total: an indicator (参考), not a credit grade."""
        return self.scheme.band(self.total)

    @property
    def in_force(self) -> bool:
        """Whether any point counted was in force (the scheme applied there and then)."""
        return any(p["in_force"] for p in self.points)

    def to_json(self) -> dict[str, Any]:
        return {
            "organization": self.organization,
            "kind": "indicator",
            "label": "参考",
            "note": "计算所得的参考指标，不是监管部门评定的信用等级",
            "scheme": {
                "id": self.scheme.id,
                "name": self.scheme.name_zh,
                "jurisdiction": self.scheme.jurisdiction,
                "effective_from": self.scheme.effective_from.isoformat(),
                "effective_to": (
                    self.scheme.effective_to.isoformat() if self.scheme.effective_to else None
                ),
            },
            "reference": self.reference,
            "period": {
                "year": self.period.year,
                "through": self.period.through.isoformat(),
                "complete": self.period.complete,
                "label": self.period.label_zh,
            },
            "total": self.total,
            "band": self.band,
            "first_time_pass_rate": self.first_time_pass_rate,
            "points": self.points,
        }


@dataclass(frozen=True)
class _Context:
    """What every rule needs: the scheme, the lifts' districts and the maintainer's contract
    intervals, the zone's dates, and whether points out of force are kept (reference)."""

    scheme: ScoringScheme
    districts: dict[str, str | None]
    maintained: Intervals
    zone: tzinfo
    reference: bool

    def in_force(self, subject: str, at: datetime) -> bool:
        return self.scheme.in_force(self.districts.get(subject), local_date(at, self.zone))

    def counts(self, subject: str, at: datetime) -> bool:
        return self.reference or self.in_force(subject, at)

    def covered(self, subject: str, at: datetime) -> bool:
        return any(a <= at and (b is None or at < b) for a, b in self.maintained.get(subject, []))


def scorecard(
    engine: Engine,
    uscc: str,
    year: int,
    scheme: ScoringScheme = FUJIAN_2024,
    *,
    zone: tzinfo,
    now: datetime,
    reference: bool = False,
) -> Scorecard:
    """The card for ``year`` as a calendar year of the ledger's ``zone`` up to ``now`` (a
    year not over is partial: :class:`Period`). Without ``reference`` only the points the
    scheme gives where and when it is in force are counted."""
    period = Period.of(year, local_date(now, zone))
    start = day_start(date(year, 1, 1), zone)
    end = min(day_start(period.through + timedelta(days=1), zone), now)
    card = Scorecard(uscc, scheme, period, reference)
    with engine.connect() as conn:
        rows = _read(conn, uscc, start, end)
    ctx = _Context(scheme, rows["districts"], _maintained(rows["periods"]), zone, reference)
    _rescues(card, ctx, rows["theirs"], start, end)
    _faults(card, ctx, rows["theirs"], start, end)
    _pass_rate(card, ctx, rows["theirs"], start, end)
    if scheme.overdue_gap is not None and scheme.overdue_points is not None:
        _overdue(card, ctx, rows["own"], scheme.overdue_gap, scheme.overdue_points)
    if scheme.penalty_points is not None:
        for p in rows["penalties"]:
            if p.public["data"].get("target") == uscc and ctx.counts(p.subject, p.occurred_at):
                detail = f"penalty {p.public['data'].get('decision_number')}"
                _add(card, ctx, "penalty", scheme.penalty_points, p, [p.log_index], detail)
    return card


def _read(conn: Connection, uscc: str, start: datetime, end: datetime) -> dict[str, Any]:
    """The rows the card is computed from: the maintainer's own entries of the year, its
    contract periods, its lifts' districts and what those lifts' other parties said."""
    own = conn.execute(
        select(entries)
        .where(
            entries.c.issuer == uscc, entries.c.occurred_at >= start, entries.c.occurred_at < end
        )
        .order_by(entries.c.occurred_at)
    ).all()
    periods = conn.execute(
        select(responsibilities).where(
            responsibilities.c.role == "maintenance_unit", responsibilities.c.organization == uscc
        )
    ).all()
    codes = sorted({p.equipment_code for p in periods})
    subjects = [str(SubjectRef.elevator(c)) for c in codes]
    districts = {
        str(SubjectRef.elevator(r.equipment_code)): r.district
        for r in conn.execute(
            select(elevators.c.equipment_code, elevators.c.district).where(
                elevators.c.equipment_code.in_(codes)
            )
        )
    }
    theirs = (
        conn.execute(
            select(entries)
            .where(
                entries.c.subject.in_(subjects),
                entries.c.type.in_(THEIR_TYPES),
                entries.c.occurred_at >= start - timedelta(days=1),
                # a rescue's dispatch and arrival may come after the year (or now) ends
                or_(entries.c.occurred_at < end, entries.c.type.in_(RESCUE_STEPS)),
            )
            .order_by(entries.c.occurred_at)
        ).all()
        if subjects
        else []
    )
    penalties = conn.execute(
        select(entries).where(
            entries.c.type == "penalty.imposed",
            entries.c.occurred_at >= start,
            entries.c.occurred_at < end,
        )
    ).all()
    return {
        "own": own,
        "periods": periods,
        "districts": districts,
        "theirs": theirs,
        "penalties": penalties,
    }


def _maintained(periods: Any) -> Intervals:
    out: Intervals = defaultdict(list)
    for p in periods:
        out[str(SubjectRef.elevator(p.equipment_code))].append((p.valid_from, p.valid_to))
    return out


def _add(
    card: Scorecard,
    ctx: _Context,
    item: str,
    points: int,
    row: Any,
    indexes: list[int],
    detail: str,
    at: datetime | None = None,
) -> None:
    """One point, judged (in force or not) on ``at`` (the row's own instant by default)."""
    when = at or row.occurred_at
    card.points.append(
        {
            "item": item,
            "points": points,
            "equipment_code": SubjectRef.parse(row.subject).id,
            "on": local_date(when, ctx.zone).isoformat(),
            "in_force": ctx.in_force(row.subject, when),
            "log_indexes": indexes,
            "detail": detail,
        }
    )


def _rescues(card: Scorecard, ctx: _Context, theirs: Any, start: datetime, end: datetime) -> None:
    """Each alarm on a lift it was contracted for at the alarm's instant: late if the arrival
    (recorded by anyone) came after the district's limit, or if none was recorded before the
    limit ran out and the card's end (``end``: now, or the year's end)."""
    steps: dict[tuple[str, str, str], Any] = {}
    for r in theirs:
        if r.type in RESCUE_STEPS:
            steps.setdefault((r.type, r.subject, r.public["data"]["rescue_id"]), r)
    for alarm in theirs:
        if alarm.type != "rescue.alarm":
            continue
        alarm_at = datetime.fromisoformat(alarm.public["data"]["alarm_at"])
        district = ctx.districts.get(alarm.subject)
        if not (start <= alarm_at < end) or district is None:
            continue
        if not ctx.covered(alarm.subject, alarm_at) or not ctx.counts(alarm.subject, alarm_at):
            continue
        rescue_id = alarm.public["data"]["rescue_id"]
        limit = arrival_limit(district)
        arrived = steps.get(("rescue.arrived", alarm.subject, rescue_id))
        dispatched = steps.get(("rescue.dispatched", alarm.subject, rescue_id))
        indexes = [alarm.log_index] + [s.log_index for s in (dispatched, arrived) if s]
        named = f", dispatched to {dispatched.public['data']['responder']}" if dispatched else ""
        minutes = f"limit {limit / timedelta(minutes=1):.0f} min"
        if arrived is not None:
            took = datetime.fromisoformat(arrived.public["data"]["arrived_at"]) - alarm_at
            if took > limit:
                detail = (
                    f"arrived after {took / timedelta(minutes=1):.0f} min ({minutes}),"
                    f" recorded by {arrived.issuer}{named}"
                )
                points = ctx.scheme.rescue_late_points
                _add(card, ctx, "rescue-arrival-late", points, alarm, indexes, detail, alarm_at)
        elif alarm_at + limit < end:
            detail = f"no arrival recorded within {minutes}{named}"
            points = ctx.scheme.rescue_late_points
            _add(card, ctx, "rescue-arrival-missing", points, alarm, indexes, detail, alarm_at)


def _faults(card: Scorecard, ctx: _Context, theirs: Any, start: datetime, end: datetime) -> None:
    """Lifts with at least the scheme's number of faults in one calendar month, counting the
    faults on lifts it was contracted for, on days the scheme counts."""
    by_month: dict[tuple[str, int], list[Any]] = defaultdict(list)
    for r in theirs:
        at = r.occurred_at
        if r.type != "fault.reported" or not (start <= at < end):
            continue
        if ctx.covered(r.subject, at) and ctx.counts(r.subject, at):
            by_month[(r.subject, local_date(at, ctx.zone).month)].append(r)
    needed = ctx.scheme.faults_in_a_month
    for (_, month), rows in sorted(by_month.items()):
        if len(rows) >= needed:
            reached = rows[needed - 1]
            detail = f"{len(rows)} faults in month {month}"
            indexes = [r.log_index for r in rows]
            points = ctx.scheme.faults_points
            _add(card, ctx, "faults-in-a-month", points, reached, indexes, detail)


def _pass_rate(card: Scorecard, ctx: _Context, theirs: Any, start: datetime, end: datetime) -> None:
    """The first-time pass rate of the periodic inspections of the lifts it maintained
    (re-inspections are not first-time; supervisory ones judge the construction unit)."""
    first = [
        r
        for r in theirs
        if r.type == "inspection.concluded"
        and r.public["data"]["kind"] == "periodic"
        and start <= r.occurred_at < end
        and ctx.covered(r.subject, r.occurred_at)
        and ctx.counts(r.subject, r.occurred_at)
    ]
    if not first:
        return
    failed = [r for r in first if r.public["data"]["conclusion"] != "pass"]
    rate = 1 - len(failed) / len(first)
    card.first_time_pass_rate = round(rate, 4)
    points = next((p for below, p in ctx.scheme.pass_rate_points if rate < below), 0)
    if points:
        detail = f"first-time pass rate {rate:.0%} of {len(first)}"
        _add(
            card,
            ctx,
            "first-time-pass-rate",
            points,
            failed[-1],
            [r.log_index for r in failed],
            detail,
        )


def _overdue(card: Scorecard, ctx: _Context, own: Any, gap_allowed: timedelta, points: int) -> None:
    """Visits more than the scheme's gap after the previous one on the same lift."""
    last: dict[str, Any] = {}
    for r in own:
        if r.type != "maintenance.performed":
            continue
        previous = last.get(r.subject)
        if previous is not None and ctx.counts(r.subject, r.occurred_at):
            gap = local_date(r.occurred_at, ctx.zone) - local_date(previous.occurred_at, ctx.zone)
            if gap > gap_allowed:
                indexes = [previous.log_index, r.log_index]
                _add(
                    card,
                    ctx,
                    "maintenance-overdue",
                    points,
                    r,
                    indexes,
                    f"{gap.days} days between visits",
                )
        last[r.subject] = r
