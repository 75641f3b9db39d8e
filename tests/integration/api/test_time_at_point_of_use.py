"""Instants and "today" where people read them: the responsibility API and the QR page name the
party responsible at the very instant asked, on both sides of a change of use unit signed at
+08:00; flags and work lists judge due dates by the date in the ledger's time zone
(``LEDGER_TIME_ZONE``, Asia/Shanghai by default), not UTC's."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from api.app import create_app
from api.auth import TokenStore
from api.settings import Settings
from domain.model.roles import Role
from projections.clock import day_start
from tests.support.city import NOW, City, Org, statement
from tests.support.lift_states import Commissioners, commissioned, tell
from tests.support.timeline import Days

CODE = "311023010201500098"
CST = timezone(timedelta(hours=8))
SHANGHAI = ZoneInfo("Asia/Shanghai")
#: The change of use unit: 09:30:00.25 in Yiyang ten days ago (01:30:00.25 UTC).
CHANGE = (NOW - timedelta(days=10)).astimezone(CST).replace(hour=9, minute=30, microsecond=250_000)
VISIT = (NOW - timedelta(days=3)).astimezone(CST).replace(hour=10, minute=0, microsecond=0)
OFFSETS = st.integers(-12 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
HOUR_US = 3600 * 10**6
PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass
class Lift:
    """One elevator in service: registered to ``first``, then to ``second`` at ``CHANGE``; a
    maintenance contract and one visit at ``VISIT``."""

    city: City
    client: TestClient
    first: Org
    second: Org

    def holder(self, role: str, at: datetime) -> str | None:
        response = self.client.get(
            f"/v1/elevators/{CODE}/responsibility", params={"at": at.isoformat()}
        )
        assert response.status_code == 200, response.text
        found = [p["organization"] for p in response.json()["responsible"] if p["role"] == role]
        assert len(found) <= 1
        return found[0] if found else None

    def at(self, now: datetime) -> None:
        """Set the clock every read takes "now" from."""
        self.city.node.clock = lambda: now


def _build(city: City) -> tuple[Org, Org]:
    maker, builder = city.org(Role.MANUFACTURER), city.org(Role.CONSTRUCTION_UNIT)
    institute, bureau = city.org(Role.INSPECTION_INSTITUTE), city.org(Role.REGULATOR)
    first = city.org(Role.USE_UNIT, name="甲物业")
    second = city.org(Role.USE_UNIT, name="乙物业")
    maintainer = city.org(Role.MAINTENANCE_UNIT, name="丙维保")
    life = Days(CHANGE - timedelta(days=60))
    crew = Commissioners(maker, builder, institute, first, maintainer, bureau)
    steps = commissioned(
        crew,
        CODE,
        life,
        registration_fields={"regime": "tsg_t7001_2023"},
        contract_fields={"contract_number": "C1", "valid_to": life.day(900)},
    )
    tell(city, steps)
    city.say(
        bureau,
        statement(
            "registration.changed", CODE, bureau, CHANGE, use_unit=second.uscc, district="430902"
        ),
    )
    city.say(
        maintainer,
        statement(
            "maintenance.performed",
            CODE,
            maintainer,
            VISIT,
            visit_id="V1",
            arrived_at=VISIT.isoformat(),
            departed_at=(VISIT + timedelta(minutes=50)).isoformat(),
        ),
    )
    city.node.projections.catch_up()
    return first, second


@pytest.fixture
def lift(tmp_path: Path, database_url: str) -> Iterator[Lift]:
    city = City.open(tmp_path, database_url)
    first, second = _build(city)
    with TestClient(create_app(node=city.node)) as client:
        yield Lift(city, client, first, second)
    city.node.close()


@PROPERTY
@given(
    offset_us=st.integers(-10 * HOUR_US, 10 * HOUR_US),
    shown_at=OFFSETS,
)
@example(offset_us=-1, shown_at=CST)
@example(offset_us=0, shown_at=UTC)
@example(offset_us=8 * HOUR_US - 60 * 10**6, shown_at=CST)  # 7 h 59 min after: the old bug
def test_responsibility_at_an_instant_names_the_use_unit_of_that_instant(
    lift: Lift, offset_us: int, shown_at: timezone
) -> None:
    asked = (CHANGE + timedelta(microseconds=offset_us)).astimezone(shown_at)
    expected = lift.second if asked >= CHANGE else lift.first
    assert lift.holder("use_unit", asked) == expected.uscc


def test_the_timeline_shows_the_change_at_the_offset_it_was_signed_with(lift: Lift) -> None:
    timeline = lift.client.get(f"/v1/elevators/{CODE}/responsibility").json()["timeline"]
    use_units = [i for i in timeline if i["role"] == "use_unit"]
    assert [u["organization"] for u in use_units] == [lift.first.uscc, lift.second.uscc]
    assert use_units[0]["to"] == use_units[1]["from"] == CHANGE.isoformat()


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (timedelta(microseconds=-1), "甲物业"),
        (timedelta(0), "乙物业"),
        (timedelta(hours=7), "乙物业"),
    ],
)
def test_the_qr_page_names_the_use_unit_responsible_now(
    lift: Lift, after: timedelta, expected: str
) -> None:
    lift.at(CHANGE + after)
    page = lift.client.get(f"/e/{CODE}").text
    other = "甲物业" if expected == "乙物业" else "乙物业"
    assert expected in page and other not in page


def _due(lift: Lift) -> date:
    status = lift.client.get(f"/v1/elevators/{CODE}").json()["status"]
    return date.fromisoformat(status["next_maintenance_due"])


@PROPERTY
@given(minutes=st.integers(-12 * 60, 12 * 60))
@example(minutes=-1)
@example(minutes=0)
@example(minutes=30)
def test_a_due_date_passes_at_midnight_in_the_ledgers_time_zone(lift: Lift, minutes: int) -> None:
    """Around the first midnight after the due date in Yiyang (16:00 UTC the day before)."""
    due = _due(lift)
    now = day_start(due + timedelta(days=1), SHANGHAI) + timedelta(minutes=minutes)
    lift.at(now)
    flags = lift.client.get(f"/v1/elevators/{CODE}").json()["flags"]
    assert flags["maintenance_overdue"] is (now.astimezone(SHANGHAI).date() > due)


def test_the_regulators_work_list_is_for_today_in_the_ledgers_time_zone(lift: Lift) -> None:
    due = _due(lift)
    lift.at(day_start(due + timedelta(days=1), SHANGHAI) + timedelta(minutes=30))  # UTC: `due`
    token, _ = TokenStore.open(lift.city.node.engine).issue(
        lift.city.authority.uscc, "time-test", timedelta(days=1)
    )
    body = lift.client.get(
        "/v1/regulator/worklists/maintenance-overdue",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert body["date"] == (due + timedelta(days=1)).isoformat()
    assert [i["equipment_code"] for i in body["items"]] == [CODE]


def test_the_time_zone_is_a_setting(lift: Lift) -> None:
    """The same instant, 00:30 in Yiyang the day after the due date, is still the due date in
    UTC: with LEDGER_TIME_ZONE=UTC nothing is overdue yet."""
    due = _due(lift)
    lift.at(day_start(due + timedelta(days=1), SHANGHAI) + timedelta(minutes=30))
    node = lift.city.node
    shanghai = node.settings
    assert lift.client.get(f"/v1/elevators/{CODE}").json()["flags"]["maintenance_overdue"]
    node.settings = Settings(
        home=shanghai.home, database_url=shanghai.database_url, time_zone="UTC"
    )
    try:
        flags = lift.client.get(f"/v1/elevators/{CODE}").json()["flags"]
    finally:
        node.settings = shanghai
    assert not flags["maintenance_overdue"]


def test_the_qr_page_offers_each_recent_entry_on_the_ledgers_clock(lift: Lift) -> None:
    """For the template: ``occurred_on`` / ``occurred_local`` / ``recorded_local`` are the entry's
    instants in Asia/Shanghai, whatever offset they were signed at."""
    response = lift.client.get(f"/e/{CODE}")
    recent = response.context["recent"]
    assert recent and response.context["time_zone"] == "Asia/Shanghai"
    for e in recent:
        occurred = datetime.fromisoformat(e["occurred_at"]).astimezone(SHANGHAI)
        recorded = datetime.fromisoformat(e["recorded_at"]).astimezone(SHANGHAI)
        assert e["occurred_on"] == occurred.date().isoformat()
        assert e["occurred_local"] == f"{occurred:%Y-%m-%d %H:%M} (UTC+08:00)"
        assert e["recorded_local"] == f"{recorded:%Y-%m-%d %H:%M} (UTC+08:00)"
    visit = next(e for e in recent if e["type"] == "maintenance.performed")
    assert visit["occurred_at"] == VISIT.isoformat()


def test_the_replay_judges_overdue_visits_by_the_date_in_the_ledgers_time_zone(
    lift: Lift,
) -> None:
    """Asked in UTC at 16:30 on the due date, it is 00:30 the day after in Yiyang: the visit
    is overdue, and the report says so on that date; the instant asked is the same."""
    due = _due(lift)
    asked = (day_start(due + timedelta(days=1), SHANGHAI) + timedelta(minutes=30)).astimezone(UTC)
    token, _ = TokenStore.open(lift.city.node.engine).issue(
        lift.city.authority.uscc, "time-test", timedelta(days=1)
    )
    body = lift.client.get(
        f"/v1/elevators/{CODE}/replay",
        params={"as_of": asked.isoformat()},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert datetime.fromisoformat(body["as_of"]) == asked
    overdue = {o["obligation"]: o for o in body["report"]["overdue"]}
    assert overdue["maintenance"]["due"] == due.isoformat()
    assert f"before {due + timedelta(days=1)}" in overdue["maintenance"]["detail"]
