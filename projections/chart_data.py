"""What the console's dashboard charts count, defined once (pure; no I/O).

Every date here is a calendar date of the ledger's time zone (projections/clock.py): an
instant is turned into one by :func:`projections.clock.local_date` before it is counted, so a
visit at 00:30 in Yiyang on the 1st belongs to that month, not to the month before (as UTC would
have it). The readers (projections/dashboard.py) give these functions rows from the read models;
the console draws what they return (api/console/charts.py).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum

from domain.model.catalogue import MaintenancePolicy
from domain.model.policies import next_maintenance_due
from projections.clock import local_date

# --- months ---------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month of the ledger's zone."""

    year: int
    month: int

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"


def last_months(today: date, count: int = 12) -> list[Month]:
    """The ``count`` months ending with ``today``'s (oldest first)."""
    months = [Month.of(today)]
    while len(months) < count:
        m = months[0]
        months.insert(0, Month(m.year - (m.month == 1), (m.month - 2) % 12 + 1))
    return months


# --- maintenance on time ----------------------------------------------------------------------


class Outcome(StrEnum):
    """What became of one maintenance visit owed under a lift's cadence."""

    ON_TIME = "on_time"  # a visit on or before the due date
    LATE = "late"  # none by the due date; one before the next due date after it
    MISSED = "missed"  # none by the next due date after it either (that date has passed)
    OPEN = "open"  # not done, and not yet missed: not due yet, or its late window still open


@dataclass(frozen=True)
class LiftVisits:
    """One lift's maintenance history as the on-time rule reads it.

    ``visits``: the local dates of its ``maintenance.performed`` entries from ``seed`` on (any
    order, duplicates allowed); ``seed``: the date the first owed visit is counted from (the
    last visit in the four months before the charted months, else the start of its first known
    contract, else its first visit); ``policy``: the cadence of its contract (the status's);
    ``paused``: spells ``[from, to)`` in which nothing is owed (before use; declared stopped,
    ``to`` None while still stopped); ``ended``: the day from which nothing is owed at all
    (scrapped, registration cancelled)."""

    equipment_code: str
    seed: date
    visits: tuple[date, ...]
    policy: MaintenancePolicy | None = None
    paused: tuple[tuple[date, date | None], ...] = ()
    ended: date | None = None

    def owes_on(self, due: date) -> bool:
        if self.ended is not None and due >= self.ended:
            return False
        return not any(start <= due and (end is None or due < end) for start, end in self.paused)


@dataclass(frozen=True)
class Owed:
    """One visit owed: the last day it could be done on time, and what became of it."""

    equipment_code: str
    due: date
    outcome: Outcome


def owed_visits(lift: LiftVisits, today: date, until: date) -> list[Owed]:
    """Every visit ``lift`` owed with a due date up to ``until``, judged on ``today``.

    The rule: after a visit (or the seed) on day ``a`` the next visit is due by
    ``d = next_due(a)`` (domain/model/policies.py: 15 days on the classic cadence, the end of
    the month after next on a monthly on-demand one). The first visit ``w`` after ``a``:
    ``w <= d`` is on time; ``d < w <= next_due(d)`` is late; ``w > next_due(d)`` means the
    visit due on ``d`` was missed, and the next one was due on ``next_due(d)``, judged the same
    way against ``w``. After the last visit, a due date whose next due date has passed
    (``next_due(d) < today``) was missed; any later one is open. Due dates in a stop or after
    the lift's end are owed by no one and left out (the chain still runs through them)."""
    cadence_due = _cadence(lift.policy)
    out: list[Owed] = []
    anchor = lift.seed
    for visit in sorted({v for v in lift.visits if v > lift.seed}):
        due = cadence_due(anchor)
        while visit > cadence_due(due):
            out.append(Owed(lift.equipment_code, due, Outcome.MISSED))
            due = cadence_due(due)
        out.append(
            Owed(lift.equipment_code, due, Outcome.ON_TIME if visit <= due else Outcome.LATE)
        )
        anchor = visit
    due = cadence_due(anchor)
    while due <= until:
        missed = cadence_due(due) < today
        out.append(Owed(lift.equipment_code, due, Outcome.MISSED if missed else Outcome.OPEN))
        due = cadence_due(due)
    return [o for o in out if o.due <= until and lift.owes_on(o.due)]


def _cadence(policy: MaintenancePolicy | None) -> Callable[[date], date]:
    return lambda day: next_maintenance_due(day, policy)


@dataclass
class MonthOutcomes:
    """The visits owed in one month (by due date) and what became of them; the lifts behind
    each number."""

    month: Month
    counts: Counter[Outcome] = field(default_factory=Counter)
    lifts: dict[Outcome, set[str]] = field(default_factory=lambda: defaultdict(set))

    @property
    def owed(self) -> int:
        return sum(self.counts.values())

    def rate(self) -> float | None:
        """On time out of those judged (open ones are not judged yet); None if none were."""
        judged = self.owed - self.counts[Outcome.OPEN]
        return self.counts[Outcome.ON_TIME] / judged if judged else None


def maintenance_by_month(
    lifts: Iterable[LiftVisits], months: Sequence[Month], today: date
) -> list[MonthOutcomes]:
    """The on-time rule (:func:`owed_visits`) per month of ``months``, by due date."""
    table = {m: MonthOutcomes(m) for m in months}
    until = months[-1].next.first - timedelta(days=1)
    for lift in lifts:
        for owed in owed_visits(lift, today, until):
            bucket = table.get(Month.of(owed.due))
            if bucket is not None:
                bucket.counts[owed.outcome] += 1
                bucket.lifts[owed.outcome].add(owed.equipment_code)
    return [table[m] for m in months]


# --- faults per month -------------------------------------------------------------------------


@dataclass
class MonthCount:
    month: Month
    count: int = 0
    lifts: Counter[str] = field(default_factory=Counter)


def per_month(
    events: Iterable[tuple[str, datetime]], months: Sequence[Month], zone: tzinfo
) -> list[MonthCount]:
    """How many events (equipment code, instant) fell in each of ``months`` of ``zone``."""
    table = {m: MonthCount(m) for m in months}
    for code, at in events:
        bucket = table.get(Month.of(local_date(at, zone)))
        if bucket is not None:
            bucket.count += 1
            bucket.lifts[code] += 1
    return [table[m] for m in months]


# --- rescue arrival times ---------------------------------------------------------------------

BIN_MINUTES = 5
LAST_BIN_FROM = 90  # minutes: the last bin is "90 or more"


@dataclass(frozen=True)
class Rescue:
    """One alarm in the charted period: when it was raised, when the rescuer arrived (the first
    ``rescue.arrived`` for it; None if none is recorded) and the limit of the lift's district
    (domain/model/scoring.arrival_limit)."""

    equipment_code: str
    rescue_id: str
    alarm_at: datetime
    arrived_at: datetime | None
    limit: timedelta
    alarm_log_index: int
    arrived_log_index: int | None = None

    @property
    def minutes(self) -> float | None:
        if self.arrived_at is None:
            return None
        return (self.arrived_at - self.alarm_at) / timedelta(minutes=1)

    def over_limit(self, now: datetime) -> bool:
        """Arrived after the limit, or not arrived and the limit has run out (as the
        maintainer's scorecard counts it, projections/scorecard.py)."""
        if self.arrived_at is None:
            return self.alarm_at + self.limit < now
        return self.arrived_at - self.alarm_at > self.limit

    @property
    def limit_minutes(self) -> int:
        return int(self.limit / timedelta(minutes=1))


@dataclass(frozen=True)
class Bin:
    low: int  # minutes, inclusive
    high: int | None  # minutes, exclusive; None: no upper bound
    rescues: tuple[Rescue, ...]

    @property
    def count(self) -> int:
        return len(self.rescues)

    @property
    def label(self) -> str:
        return f"≥{self.low}" if self.high is None else f"{self.low}–{self.high}"


@dataclass(frozen=True)
class ArrivalTimes:
    bins: tuple[Bin, ...]
    limits: tuple[int, ...]  # the distinct limits (minutes) of the rescues' districts
    over_limit: tuple[Rescue, ...]
    not_arrived: tuple[Rescue, ...]  # no arrival recorded (some may be over the limit)
    total: int


def arrival_histogram(
    rescues: Sequence[Rescue], now: datetime, limits: Iterable[timedelta] = ()
) -> ArrivalTimes:
    """Alarm-to-arrival minutes in bins of 5 (``[0, 5)``, ``[5, 10)``... and ``≥ 90``); an
    arrival recorded before its alarm (a clock error) counts as 0. The limits shown are the
    rescues' and ``limits`` (those of the districts charted, so a chart with no rescue still
    shows what the limit is)."""
    binned: dict[int, list[Rescue]] = defaultdict(list)
    for r in rescues:
        if r.minutes is not None:
            low = min(int(max(r.minutes, 0) // BIN_MINUTES) * BIN_MINUTES, LAST_BIN_FROM)
            binned[low].append(r)
    bins = tuple(
        Bin(low, None if low == LAST_BIN_FROM else low + BIN_MINUTES, tuple(binned[low]))
        for low in range(0, LAST_BIN_FROM + 1, BIN_MINUTES)
    )
    return ArrivalTimes(
        bins=bins,
        limits=tuple(
            sorted(
                {r.limit_minutes for r in rescues} | {int(x / timedelta(minutes=1)) for x in limits}
            )
        ),
        over_limit=tuple(r for r in rescues if r.over_limit(now)),
        not_arrived=tuple(r for r in rescues if r.arrived_at is None),
        total=len(rescues),
    )


# --- inspections due --------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    equipment_code: str
    due: date
    kind: str
    overdue: bool


@dataclass(frozen=True)
class Week:
    first: date
    last: date
    due: tuple[Due, ...]

    @property
    def label(self) -> str:
        return f"{self.first.month}/{self.first.day}–{self.last.month}/{self.last.day}"


def due_by_week(dues: Iterable[Due], today: date, days: int = 30) -> tuple[list[Due], list[Week]]:
    """The overdue obligations, and those due in the ``days`` days from ``today`` (``today`` to
    ``today + days - 1``) in weeks counted from ``today`` (the last one shorter)."""
    overdue = sorted((d for d in dues if d.overdue), key=lambda d: (d.due, d.equipment_code))
    coming = sorted(
        (d for d in dues if not d.overdue and 0 <= (d.due - today).days < days),
        key=lambda d: (d.due, d.equipment_code),
    )
    weeks = []
    for start in range(0, days, 7):
        first, last = (
            today + timedelta(days=start),
            today + timedelta(days=min(start + 6, days - 1)),
        )
        weeks.append(Week(first, last, tuple(d for d in coming if first <= d.due <= last)))
    return overdue, weeks
