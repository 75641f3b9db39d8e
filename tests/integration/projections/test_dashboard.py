"""What the console's dashboard reads for a scope (projections/dashboard.py), on both backends,
through the real signed write path: three lifts — one in 赫山区 kept on time, one in 安化县
whose visits stopped, one in Changsha outside the bureau's city — their visits, faults and
rescues, and what each scope counts of them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from projections.chart_data import Month, Outcome
from projections.clock import local_date
from projections.dashboard import LIST_NAMES, Charts, Scope, charts, list_counts, scope_districts
from projections.worklists import worklist
from tests.support.city import NOW, City, statement
from tests.support.lift_states import Parties, commissioned, identified, tell
from tests.support.timeline import Days

HISTORY = Days(NOW - timedelta(days=200))
at = HISTORY.at
KEPT, STOPPED_VISITS, ELSEWHERE = "311023010201500201", "311023010201500202", "311023010201500203"
DISTRICTS = {KEPT: "430903", STOPPED_VISITS: "430923", ELSEWHERE: "430102"}
CITY, PROVINCE = ("430900",), ("430000",)
SHANGHAI = ZoneInfo("Asia/Shanghai")  # the ledger's default zone (LEDGER_TIME_ZONE)


@pytest.fixture
def city(tmp_path: Path, database_url: str) -> Iterator[City]:
    city = City.open(tmp_path, database_url)
    p = Parties.onboard(city)
    for code, district in DISTRICTS.items():
        fields = {**identified(code), "district": district}
        tell(city, commissioned(p, code, HISTORY, registration_fields=fields))
    for n, day in enumerate(range(35, 200, 10)):
        visit(city, p, KEPT, at(day), f"V-K{n}", minutes=10 if day == 185 else 60)
    for n, day in enumerate((35, 45)):
        visit(city, p, STOPPED_VISITS, at(day), f"V-S{n}")
    for code, when in ((KEPT, KEPT_FAULTS[0]), (KEPT, KEPT_FAULTS[1]), (ELSEWHERE, at(120))):
        fault(city, p, code, when)
    for code in (KEPT, STOPPED_VISITS):  # 45 minutes: over a city's 30, within a county's hour
        rescue(city, p, code, at(150), timedelta(minutes=45))
    city.node.projections.catch_up()
    yield city
    city.node.close()


def _first_of_month_after_midnight() -> datetime:
    """00:30 in Yiyang on the 1st of this month (or last month's, if that has not come yet):
    16:30 UTC on the last day of the month before."""
    local = NOW.astimezone(SHANGHAI).replace(day=1, hour=0, minute=30, second=0)
    if local > NOW - timedelta(hours=1):
        local = (local - timedelta(days=2)).replace(day=1)
    return local.astimezone(UTC)


FAULT_AT = _first_of_month_after_midnight()
KEPT_FAULTS = (FAULT_AT, at(120))


def visit(city: City, p: Parties, code: str, when: datetime, ref: str, minutes: int = 60) -> None:
    done = statement(
        "maintenance.performed",
        code,
        p.maintainer,
        when,
        visit_id=ref,
        arrived_at=when.isoformat(),
        departed_at=(when + timedelta(minutes=minutes)).isoformat(),
    )
    city.say(p.maintainer, done)


def fault(city: City, p: Parties, code: str, when: datetime) -> None:
    report = statement(
        "fault.reported",
        code,
        p.maintainer,
        when,
        fault_id=f"F-{code[-3:]}-{when:%m%d%H%M}",
        detected_at=when.isoformat(),
    )
    city.say(p.maintainer, report)


def rescue(city: City, p: Parties, code: str, alarm: datetime, took: timedelta) -> None:
    rid = f"R-{code[-3:]}"
    raised = statement(
        "rescue.alarm", code, p.owner, alarm, rescue_id=rid, alarm_at=alarm.isoformat(), trapped=1
    )
    city.say(p.owner, raised)
    came = alarm + took
    arrived = statement(
        "rescue.arrived", code, p.maintainer, came, rescue_id=rid, arrived_at=came.isoformat()
    )
    city.say(p.maintainer, arrived)


def drawn(city: City, scope: Scope) -> Charts:
    node = city.node
    return charts(node.engine, scope, node.today(), node.now(), zone=node.settings.zone)


def counts(city: City, scope: Scope) -> dict[str, int]:
    node = city.node
    return list_counts(node.engine, node.today(), scope, zone=node.settings.zone)


def owed_lifts(c: Charts, outcome: Outcome) -> set[str]:
    return {code for m in c.maintenance for code in m.lifts[outcome]}


def test_a_city_bureau_sees_its_districts_and_not_another_citys(city: City) -> None:
    got = drawn(city, Scope(CITY))
    assert got.lifts == 2
    assert sum(m.count for m in got.faults) == 2  # Changsha's fault is not the city's
    assert scope_districts(city.node.engine, CITY) == ["430903", "430923"]
    assert scope_districts(city.node.engine, PROVINCE) == ["430102", "430903", "430923"]


def test_visits_kept_on_the_cadence_are_on_time_and_visits_that_stopped_are_missed(
    city: City,
) -> None:
    got = drawn(city, Scope(CITY))
    assert KEPT in owed_lifts(got, Outcome.ON_TIME)
    assert owed_lifts(got, Outcome.MISSED) == {STOPPED_VISITS}
    assert owed_lifts(got, Outcome.LATE) == set()
    kept = drawn(city, Scope(("430903",)))
    # seeded by the contract (day 31): each of the 17 visits (days 35 to 195) on time
    assert sum(m.counts[Outcome.ON_TIME] for m in kept.maintenance) == 17
    assert all(m.counts[Outcome.MISSED] == 0 for m in kept.maintenance)


def test_a_fault_after_midnight_on_the_first_is_that_months_in_the_ledgers_zone(
    city: City,
) -> None:
    got = {m.month: m.count for m in drawn(city, Scope(("430903",))).faults}
    month, utc_month = Month.of(FAULT_AT.astimezone(SHANGHAI).date()), Month.of(FAULT_AT.date())
    assert month != utc_month

    def expected(m: Month) -> int:
        return sum(Month.of(local_date(t, SHANGHAI)) == m for t in KEPT_FAULTS)

    assert got[month] == expected(month) >= 1
    assert got.get(utc_month, 0) == expected(utc_month)


def test_arrival_limits_follow_each_lifts_district(city: City) -> None:
    arrivals = drawn(city, Scope(CITY)).arrivals
    assert arrivals.total == 2 and arrivals.limits == (30, 60)
    assert [r.equipment_code for r in arrivals.over_limit] == [KEPT]  # 45 > 30 in 赫山区
    assert {b.label: b.count for b in arrivals.bins if b.count} == {"45–50": 2}
    county = drawn(city, Scope(CITY, "430923")).arrivals
    assert county.total == 1 and county.over_limit == () and county.limits == (60,)


def test_list_counts_keep_the_rows_the_scope_holds(city: City) -> None:
    node = city.node
    every = {
        name: len(worklist(node.engine, name, node.today(), zone=node.settings.zone))
        for name in ("maintenance-overdue", "suspicious-maintenance")
    }
    # the 10-minute visit and those recorded late (these are all back-dated), all the kept lift's
    assert every["maintenance-overdue"] == 2 and every["suspicious-maintenance"] > 0
    city_counts, county, province = (
        counts(city, Scope(CITY)),
        counts(city, Scope(CITY, "430923")),
        counts(city, Scope(PROVINCE)),
    )
    assert city_counts["maintenance-overdue"] == 1  # the lift whose visits stopped
    assert province["maintenance-overdue"] == 2  # and Changsha's, never visited
    # the suspicious rows name no district: each is placed by its lift's
    assert city_counts["suspicious-maintenance"] == every["suspicious-maintenance"]
    assert county["suspicious-maintenance"] == 0 and county["maintenance-overdue"] == 1
    assert counts(city, Scope(("430921",))) == dict.fromkeys(city_counts, 0)


def test_inspections_due_come_from_the_same_obligation_as_the_list(city: City) -> None:
    node = city.node
    got = drawn(city, Scope(PROVINCE))
    listed = worklist(node.engine, "inspection-overdue", node.today(), zone=node.settings.zone)
    assert {d.equipment_code for d in got.inspections_overdue} == {
        r["equipment_code"] for r in listed
    }
    for week in got.inspection_weeks:
        assert all(week.first <= d.due <= week.last for d in week.due)


@pytest.mark.parametrize(
    "scope",
    [Scope(CITY), Scope(PROVINCE), Scope(CITY, "430923"), Scope(("430903",)), Scope(("430921",))],
    ids=str,
)
def test_every_count_is_the_number_of_the_lists_rows_the_scope_holds(
    city: City, scope: Scope
) -> None:
    """The one-pass counts against the lists themselves (projections.worklists.worklist), each
    row placed by its lift's district."""
    node = city.node
    today, zone = node.today(), node.settings.zone

    def held(row: dict[str, Any]) -> bool:
        return scope.holds(row.get("district", DISTRICTS.get(row["equipment_code"])))

    expected = {
        name: sum(held(r) for r in worklist(node.engine, name, today, scope.district, zone=zone))
        for name in LIST_NAMES
    }
    assert counts(city, scope) == expected
