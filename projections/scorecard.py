"""Maintainer scorecard: penalty points under a versioned scoring policy, each point traceable
to the log entries that caused it, and the grade they add up to."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import Engine, and_, select

from domain.model.subjects import SubjectRef
from projections.clock import day_start, local_date
from projections.schema import entries, responsibilities


@dataclass(frozen=True)
class ScoringPolicy:
    id: str
    jurisdiction: str
    effective_from: date
    rescue_arrival_limit: timedelta
    rescue_late_points: int
    faults_in_a_month: int
    faults_points: int
    pass_rate_points: tuple[tuple[float, int], ...]  # (below this rate, points), worst first
    overdue_gap: timedelta
    overdue_points: int
    penalty_points: int
    grades: tuple[tuple[int, str], ...] = ((10, "A"), (25, "B"), (40, "C"))  # else "D"


#: Fujian's penalty-point scheme (DOMAIN.md), plus overdue maintenance (2 per case), a local
#: addition the ledger can observe directly.
FUJIAN_2024 = ScoringPolicy(
    id="fujian-2024",
    jurisdiction="35",
    effective_from=date(2024, 1, 1),
    rescue_arrival_limit=timedelta(minutes=30),
    rescue_late_points=10,
    faults_in_a_month=3,
    faults_points=10,
    pass_rate_points=((0.70, 20), (0.80, 10), (0.90, 5), (0.95, 2)),
    overdue_gap=timedelta(days=15),
    overdue_points=2,
    penalty_points=10,
)
POLICIES = {FUJIAN_2024.id: FUJIAN_2024}


@dataclass
class Scorecard:
    organization: str
    year: int
    policy: str
    points: list[dict[str, Any]] = field(default_factory=list)
    first_time_pass_rate: float | None = None

    @property
    def total(self) -> int:
        return sum(int(p["points"]) for p in self.points)

    def grade(self, policy: ScoringPolicy) -> str:
        return next((g for limit, g in policy.grades if self.total <= limit), "D")

    def to_json(self, policy: ScoringPolicy) -> dict[str, Any]:
        return {
            "organization": self.organization,
            "year": self.year,
            "policy": self.policy,
            "total": self.total,
            "grade": self.grade(policy),
            "first_time_pass_rate": self.first_time_pass_rate,
            "points": self.points,
        }


def scorecard(
    engine: Engine,
    uscc: str,
    year: int,
    policy: ScoringPolicy = FUJIAN_2024,
    *,
    zone: tzinfo,
) -> Scorecard:
    """The card for ``year`` as a calendar year of the ledger's ``zone`` (its months and the
    days between visits likewise)."""
    start = day_start(date(year, 1, 1), zone)
    end = day_start(date(year + 1, 1, 1), zone)
    card = Scorecard(uscc, year, policy.id)
    with engine.connect() as conn:
        own = conn.execute(
            select(entries)
            .where(
                entries.c.issuer == uscc,
                entries.c.occurred_at >= start,
                entries.c.occurred_at < end,
            )
            .order_by(entries.c.occurred_at)
        ).all()
        periods = conn.execute(
            select(responsibilities).where(
                responsibilities.c.role == "maintenance_unit",
                responsibilities.c.organization == uscc,
            )
        ).all()
        subjects = sorted({str(SubjectRef.elevator(p.equipment_code)) for p in periods})
        theirs = (
            conn.execute(
                select(entries)
                .where(
                    and_(
                        entries.c.subject.in_(subjects),
                        entries.c.type.in_(
                            ["fault.reported", "inspection.concluded", "rescue.alarm"]
                        ),
                        entries.c.occurred_at >= start - timedelta(days=1),
                        entries.c.occurred_at < end,
                    )
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
    maintained = _maintained(periods)
    _rescues(card, policy, own, theirs)
    _faults(card, policy, theirs, maintained, start, zone)
    _pass_rate(card, policy, theirs, maintained, start)
    _overdue(card, policy, own, zone)
    for p in penalties:
        if p.public["data"].get("target") == uscc:
            card.points.append(
                _point(
                    "penalty",
                    policy.penalty_points,
                    p,
                    [p.log_index],
                    f"penalty {p.public['data'].get('decision_number')}",
                )
            )
    return card


def _maintained(periods: Any) -> dict[str, list[tuple[datetime, datetime | None]]]:
    out: dict[str, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for p in periods:
        out[str(SubjectRef.elevator(p.equipment_code))].append((p.valid_from, p.valid_to))
    return out


def _covered(
    maintained: dict[str, list[tuple[datetime, datetime | None]]], subject: str, at: datetime
) -> bool:
    return any(a <= at and (b is None or at < b) for a, b in maintained.get(subject, []))


def _point(item: str, points: int, row: Any, indexes: list[int], detail: str) -> dict[str, Any]:
    return {
        "item": item,
        "points": points,
        "equipment_code": SubjectRef.parse(row.subject).id,
        "log_indexes": indexes,
        "detail": detail,
    }


def _rescues(card: Scorecard, policy: ScoringPolicy, own: Any, theirs: Any) -> None:
    alarms = {
        (r.subject, r.public["data"]["rescue_id"]): r for r in theirs if r.type == "rescue.alarm"
    }
    for r in own:
        if r.type != "rescue.arrived":
            continue
        alarm = alarms.get((r.subject, r.public["data"]["rescue_id"]))
        if alarm is None:
            continue
        took = datetime.fromisoformat(r.public["data"]["arrived_at"]) - datetime.fromisoformat(
            alarm.public["data"]["alarm_at"]
        )
        if took > policy.rescue_arrival_limit:
            card.points.append(
                _point(
                    "rescue-arrival-late",
                    policy.rescue_late_points,
                    r,
                    [alarm.log_index, r.log_index],
                    f"arrived after {took / timedelta(minutes=1):.0f} min",
                )
            )


def _faults(
    card: Scorecard,
    policy: ScoringPolicy,
    theirs: Any,
    maintained: dict[str, list[tuple[datetime, datetime | None]]],
    start: datetime,
    zone: tzinfo,
) -> None:
    by_month: dict[tuple[str, int], list[Any]] = defaultdict(list)
    for r in theirs:
        at = r.occurred_at
        if r.type == "fault.reported" and at >= start and _covered(maintained, r.subject, at):
            by_month[(r.subject, local_date(at, zone).month)].append(r)
    for (_, month), rows in sorted(by_month.items()):
        if len(rows) >= policy.faults_in_a_month:
            card.points.append(
                _point(
                    "faults-in-a-month",
                    policy.faults_points,
                    rows[0],
                    [r.log_index for r in rows],
                    f"{len(rows)} faults in month {month}",
                )
            )


def _pass_rate(
    card: Scorecard,
    policy: ScoringPolicy,
    theirs: Any,
    maintained: dict[str, list[tuple[datetime, datetime | None]]],
    start: datetime,
) -> None:
    first = [
        r
        for r in theirs
        if r.type == "inspection.concluded"
        and r.public["data"]["kind"] in ("periodic", "supervisory")
        and r.occurred_at >= start
        and _covered(maintained, r.subject, r.occurred_at)
    ]
    if not first:
        return
    failed = [r for r in first if r.public["data"]["conclusion"] != "pass"]
    rate = 1 - len(failed) / len(first)
    card.first_time_pass_rate = round(rate, 4)
    points = next((p for below, p in policy.pass_rate_points if rate < below), 0)
    if points:
        card.points.append(
            _point(
                "first-time-pass-rate",
                points,
                failed[0],
                [r.log_index for r in failed],
                f"first-time pass rate {rate:.0%} of {len(first)}",
            )
        )


def _overdue(card: Scorecard, policy: ScoringPolicy, own: Any, zone: tzinfo) -> None:
    last: dict[str, Any] = {}
    for r in own:
        if r.type != "maintenance.performed":
            continue
        previous = last.get(r.subject)
        if previous is not None:
            gap = local_date(r.occurred_at, zone) - local_date(previous.occurred_at, zone)
            if gap > policy.overdue_gap:
                card.points.append(
                    _point(
                        "maintenance-overdue",
                        policy.overdue_points,
                        r,
                        [previous.log_index, r.log_index],
                        f"{gap.days} days between visits",
                    )
                )
        last[r.subject] = r
