"""What the dashboard's charts count: the on-time rule for maintenance, months of the ledger's
zone, the alarm-to-arrival histogram and inspections due by week (projections/chart_data.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.model.catalogue import MaintenancePolicy
from projections.chart_data import (
    Due,
    LiftVisits,
    Month,
    Outcome,
    Rescue,
    arrival_histogram,
    due_by_week,
    last_months,
    maintenance_by_month,
    owed_visits,
    per_month,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = date
ON, LATE, MISSED, OPEN = Outcome.ON_TIME, Outcome.LATE, Outcome.MISSED, Outcome.OPEN


def outcomes(lift: LiftVisits, today: date, until: date | None = None) -> list[tuple[date, str]]:
    """The visits owed with a due date up to ``until`` (default ``today``), judged on ``today``."""
    return [(o.due, o.outcome.value) for o in owed_visits(lift, today, until or today)]


# --- months ---------------------------------------------------------------------------------


def test_the_last_twelve_months_end_with_todays_and_cross_the_year() -> None:
    months = last_months(D(2026, 3, 9))
    assert len(months) == 12
    assert months[0] == Month(2025, 4) and months[-1] == Month(2026, 3)
    assert [m.label for m in months[8:11]] == ["2025-12", "2026-01", "2026-02"]
    assert Month(2025, 12).next == Month(2026, 1)


def test_an_instant_is_counted_in_the_month_of_the_ledgers_zone_not_utcs() -> None:
    """16:30 UTC on 31 January is 00:30 on 1 February in Yiyang: a February fault."""
    months = [Month(2026, 1), Month(2026, 2)]
    late_night = datetime(2026, 1, 31, 16, 30, tzinfo=UTC)
    evening = datetime(2026, 1, 31, 15, 59, tzinfo=UTC)  # 23:59 in Yiyang: still January
    counted = per_month([("A", late_night), ("A", evening), ("B", late_night)], months, SHANGHAI)
    assert [m.count for m in counted] == [1, 2]
    assert counted[1].lifts == {"A": 1, "B": 1}
    assert [m.count for m in per_month([("A", late_night)], months, UTC)] == [1, 0]


def test_events_outside_the_charted_months_are_not_counted() -> None:
    before = datetime(2025, 12, 31, 12, tzinfo=UTC)
    assert [m.count for m in per_month([("A", before)], [Month(2026, 1)], SHANGHAI)] == [0]


# --- maintenance on time ----------------------------------------------------------------------


def test_a_visit_by_the_due_date_is_on_time_and_the_next_is_due_from_it() -> None:
    lift = LiftVisits("A", D(2026, 1, 1), (D(2026, 1, 16), D(2026, 1, 20)))
    assert outcomes(lift, D(2026, 1, 21), until=D(2026, 1, 31)) == [
        (D(2026, 1, 16), "on_time"),
        (D(2026, 1, 31), "on_time"),
    ]


def test_a_visit_after_the_due_date_but_before_the_next_one_is_late() -> None:
    lift = LiftVisits("A", D(2026, 1, 1), (D(2026, 1, 17), D(2026, 1, 30)))
    # due 16 Jan, done 17 Jan (late, before 31 Jan); next due 1 Feb from the 17th's visit
    assert outcomes(lift, D(2026, 1, 30), until=D(2026, 2, 1)) == [
        (D(2026, 1, 16), "late"),
        (D(2026, 2, 1), "on_time"),
    ]


def test_a_gap_past_two_due_dates_misses_one_visit_and_the_visit_is_late_for_the_next() -> None:
    """Visits 1 January and 10 February on the 15-day cadence: due 16 January, not done by
    31 January (missed); due 31 January, done 10 February, before 15 February (late)."""
    lift = LiftVisits("A", D(2026, 1, 1), (D(2026, 2, 10),))
    assert outcomes(lift, D(2026, 2, 10)) == [(D(2026, 1, 16), "missed"), (D(2026, 1, 31), "late")]


def test_after_the_last_visit_a_due_date_is_missed_once_its_next_due_date_has_passed() -> None:
    lift = LiftVisits("A", D(2026, 1, 1), ())
    # due 16 Jan (next due 31 Jan, passed by 5 Feb: missed); due 31 Jan (next 15 Feb: open);
    # due 15 Feb, not due yet on 5 Feb (open)
    assert outcomes(lift, D(2026, 2, 5), D(2026, 2, 28)) == [
        (D(2026, 1, 16), "missed"),
        (D(2026, 1, 31), "open"),
        (D(2026, 2, 15), "open"),
    ]


def test_the_monthly_on_demand_cadence_is_due_by_the_end_of_the_next_month() -> None:
    lift = LiftVisits(
        "A", D(2026, 1, 10), (D(2026, 2, 27), D(2026, 4, 5)), MaintenancePolicy.ON_DEMAND_MONTHLY
    )
    # from 10 Jan: due 28 Feb, done 27 Feb; from 27 Feb: due 31 Mar, done 5 Apr (late)
    assert outcomes(lift, D(2026, 4, 5)) == [(D(2026, 2, 28), "on_time"), (D(2026, 3, 31), "late")]


def test_nothing_is_owed_while_stopped_before_use_or_after_the_lifts_end() -> None:
    lift = LiftVisits(
        "A",
        D(2026, 1, 1),
        (),
        paused=((date.min, D(2026, 1, 10)), (D(2026, 1, 20), D(2026, 2, 20))),
        ended=D(2026, 3, 1),
    )
    dues = [d for d, _ in outcomes(lift, D(2026, 4, 1), D(2026, 4, 1))]
    # the chain runs 16 Jan, 31 Jan, 15 Feb, 2 Mar, 17 Mar, 1 Apr: only 16 Jan is owed
    assert dues == [D(2026, 1, 16)]


def test_visits_on_the_seed_day_or_twice_a_day_count_once() -> None:
    lift = LiftVisits("A", D(2026, 1, 1), (D(2026, 1, 1), D(2026, 1, 10), D(2026, 1, 10)))
    assert outcomes(lift, D(2026, 1, 12), until=D(2026, 1, 16)) == [(D(2026, 1, 16), "on_time")]


def test_the_months_count_each_owed_visit_by_its_due_month_with_its_lifts() -> None:
    a = LiftVisits("A", D(2026, 1, 1), (D(2026, 1, 10), D(2026, 2, 20)))
    b = LiftVisits("B", D(2026, 1, 20), ())
    table = maintenance_by_month([a, b], [Month(2026, 1), Month(2026, 2)], D(2026, 2, 21))
    jan, feb = table
    # A: due 16 Jan, done 10 Jan (on time); due 25 Jan, not done by 9 Feb (missed); due 9 Feb,
    # done 20 Feb, by 24 Feb (late); from 20 Feb next due 7 March, after the charted months.
    # B: due 4 Feb, not done by 19 Feb (missed); due 19 Feb, its late window open on the 21st
    assert dict(jan.counts) == {ON: 1, MISSED: 1}
    assert dict(feb.counts) == {LATE: 1, MISSED: 1, OPEN: 1}
    assert jan.lifts[MISSED] == {"A"} and feb.lifts[MISSED] == {"B"}
    assert jan.rate() == 0.5 and feb.owed == 3 and feb.rate() == 0.0  # open ones not judged
    assert maintenance_by_month([], [Month(2026, 1)], D(2026, 1, 5))[0].rate() is None


# --- rescue arrival times ---------------------------------------------------------------------

ALARM = datetime(2026, 5, 1, 10, 0, tzinfo=SHANGHAI)
HALF_HOUR, HOUR = timedelta(minutes=30), timedelta(hours=1)


def rescue(minutes: float | None, limit: timedelta = HALF_HOUR, code: str = "A") -> Rescue:
    arrived = ALARM + timedelta(minutes=minutes) if minutes is not None else None
    return Rescue(code, f"R-{minutes}", ALARM, arrived, limit, 1, 2 if arrived else None)


def test_arrival_minutes_fall_in_five_minute_bins_and_the_last_bin_is_open_ended() -> None:
    got = arrival_histogram(
        [rescue(0), rescue(4.9), rescue(12), rescue(30), rescue(95), rescue(400)], ALARM
    )
    counts = {b.label: b.count for b in got.bins if b.count}
    assert counts == {"0–5": 2, "10–15": 1, "30–35": 1, "≥90": 2}
    assert len(got.bins) == 19 and got.bins[-1].high is None and got.total == 6


def test_over_the_limit_is_strictly_more_than_the_districts_limit() -> None:
    exactly, just_over = rescue(30), rescue(30.5)
    county = rescue(45, HOUR, "B")  # within the county's hour, over a city's half hour
    got = arrival_histogram([exactly, just_over, county], ALARM)
    assert got.over_limit == (just_over,)
    assert got.limits == (30, 60)


def test_an_alarm_without_an_arrival_is_over_the_limit_once_the_limit_has_run_out() -> None:
    waiting = rescue(None)
    assert arrival_histogram([waiting], ALARM + timedelta(minutes=20)).over_limit == ()
    late = arrival_histogram([waiting], ALARM + timedelta(minutes=31))
    assert late.over_limit == (waiting,) and late.not_arrived == (waiting,)
    assert all(b.count == 0 for b in late.bins)


def test_the_limits_shown_are_the_charted_districts_even_with_no_rescue() -> None:
    assert arrival_histogram([], ALARM, [HOUR]).limits == (60,)
    assert arrival_histogram([rescue(10)], ALARM, [HOUR, HOUR]).limits == (30, 60)


def test_an_arrival_recorded_before_its_alarm_counts_as_zero_minutes() -> None:
    assert arrival_histogram([rescue(-3)], ALARM).bins[0].count == 1


# --- inspections due ---------------------------------------------------------------------------


def test_inspections_due_in_thirty_days_by_week_from_today_and_overdue_apart() -> None:
    today = D(2026, 12, 8)
    dues = [
        Due("A", today, "periodic", False),
        Due("B", today + timedelta(days=6), "self_test", False),
        Due("C", today + timedelta(days=7), "periodic", False),
        Due("D", today + timedelta(days=29), "periodic", False),
        Due("E", today + timedelta(days=30), "periodic", False),  # the 31st day: not shown
        Due("F", today - timedelta(days=3), "periodic", True),
    ]
    overdue, weeks = due_by_week(dues, today)
    assert [d.equipment_code for d in overdue] == ["F"]
    assert [[d.equipment_code for d in w.due] for w in weeks] == [["A", "B"], ["C"], [], [], ["D"]]
    assert (weeks[0].first, weeks[0].last) == (today, D(2026, 12, 14))
    assert (weeks[-1].first, weeks[-1].last) == (D(2027, 1, 5), D(2027, 1, 6))
    assert weeks[0].label == "12/8–12/14"
