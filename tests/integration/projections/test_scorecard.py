"""The maintainer scorecard through the real signed write path and projections: each rule of a
scheme gives its point, a scheme counts only where and when it is in force, a rescue is charged
to the contracted maintainer of that date whoever recorded the arrival (or none was), arrival
limits follow the district, and a failed supervisory inspection is not the maintainer's."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.model.roles import Role
from domain.model.scoring import FUJIAN_2024, ScoringScheme
from projections.clock import local_date
from projections.scorecard import Scorecard, scorecard
from tests.support.city import NOW, City, Org, statement
from tests.support.lift_states import Parties, commissioned, identified, tell
from tests.support.timeline import Days

HISTORY = Days(NOW - timedelta(days=200))
at, day = HISTORY.at, HISTORY.day
#: The day (of HISTORY) the scored events happen on; the card is that day's calendar year.
EVENT = 150.0
#: A scheme in force in Yiyang (4309) for these tests: Fujian's points, plus penalties and
#: overdue visits, so that every rule the scorecard knows can be seen giving its point.
YIYANG_TEST = replace(
    FUJIAN_2024,
    id="test-yiyang",
    name_zh="测试方案",
    jurisdiction="4309",
    effective_from=date(2000, 1, 1),
    penalty_points=10,
    overdue_gap=timedelta(days=15),
    overdue_points=2,
)


@pytest.fixture
def city(tmp_path: Path, database_url: str) -> Iterator[City]:
    city = City.open(tmp_path, database_url)
    yield city
    city.node.close()


@pytest.fixture
def p(city: City) -> Parties:
    return Parties.onboard(city)


def lift(city: City, p: Parties, code: str, district: str = "430902", **contract: Any) -> None:
    """A lift registered in ``district`` with a rescue code from the platform, under contract
    with ``p.maintainer`` from day 31 (``contract`` changes the contract's fields)."""
    fields = {**identified(code), "district": district}
    tell(
        city,
        commissioned(
            p,
            code,
            HISTORY,
            registration_fields=fields,
            rescue_platform=p.platform,
            rescue_code=f"09{code[-4:]}",
            contract_fields={"contract_number": f"C-{code[-4:]}", **contract},
        ),
    )


def rescue(
    city: City,
    p: Parties,
    code: str,
    alarm: datetime,
    arrival: timedelta | None,
    *,
    recorder: Org | None = None,
    rescue_id: str = "R-1",
) -> None:
    """An entrapment: the platform's alarm and its dispatch naming the lift's maintainer, and
    an arrival ``arrival`` after the alarm recorded by ``recorder`` (the platform by default),
    or none at all."""
    say = city.say
    say(
        p.platform,
        statement(
            "rescue.alarm",
            code,
            p.platform,
            alarm,
            rescue_id=rescue_id,
            alarm_at=alarm.isoformat(),
            trapped=1,
        ),
    )
    sent = alarm + timedelta(minutes=1)
    dispatch = statement(
        "rescue.dispatched",
        code,
        p.platform,
        sent,
        rescue_id=rescue_id,
        dispatched_at=sent.isoformat(),
        responder=p.maintainer.uscc,
    )
    say(p.platform, dispatch)
    if arrival is not None:
        who = recorder or p.platform
        came = alarm + arrival
        arrived = statement(
            "rescue.arrived", code, who, came, rescue_id=rescue_id, arrived_at=came.isoformat()
        )
        say(who, arrived)


def card(
    city: City,
    org: Org,
    scheme: ScoringScheme = YIYANG_TEST,
    *,
    reference: bool = False,
    when: datetime | None = None,
) -> Scorecard:
    """``org``'s card for the calendar year of the scored day, the read models caught up."""
    node = city.node
    node.projections.catch_up()
    zone = node.settings.zone
    year = local_date(when or at(EVENT), zone).year
    return scorecard(node.engine, org.uscc, year, scheme, zone=zone, now=NOW, reference=reference)


def items(c: Scorecard) -> list[tuple[str, str]]:
    return [(p["item"], p["equipment_code"]) for p in c.points]


LIFT, OTHER = "311023010201500201", "311023010201500202"


# --- the rules of a scheme, one point each -----------------------------------------------------


def test_a_rescue_reached_later_than_the_limit_scores_rescue_arrival_late(
    city: City, p: Parties
) -> None:
    lift(city, p, LIFT)
    rescue(city, p, LIFT, at(EVENT), timedelta(minutes=45), recorder=p.maintainer)
    got = card(city, p.maintainer)
    assert items(got) == [("rescue-arrival-late", LIFT)]
    [point] = got.points
    assert point["points"] == 10 and point["in_force"] and "limit 30 min" in point["detail"]
    assert len(point["log_indexes"]) == 3  # alarm, dispatch, arrival


def test_a_rescue_reached_within_the_limit_scores_nothing(city: City, p: Parties) -> None:
    lift(city, p, LIFT)
    rescue(city, p, LIFT, at(EVENT), timedelta(minutes=25))
    assert card(city, p.maintainer).points == []


def test_three_faults_in_a_month_on_one_lift_score_faults_in_a_month(
    city: City, p: Parties
) -> None:
    lift(city, p, LIFT)
    for k in range(3):
        when = at(EVENT) + timedelta(hours=k)
        fault = statement(
            "fault.reported",
            LIFT,
            p.maintainer,
            when,
            fault_id=f"F-{k}",
            detected_at=when.isoformat(),
        )
        city.say(p.maintainer, fault)
    got = card(city, p.maintainer)
    assert items(got) == [("faults-in-a-month", LIFT)]
    assert len(got.points[0]["log_indexes"]) == 3


def periodic(city: City, p: Parties, code: str, when: datetime, conclusion: str) -> None:
    fields: dict[str, Any] = {"kind": "periodic", "conclusion": conclusion}
    fields |= {"report_number": f"DJ-{code[-4:]}", "next_due": None}
    if conclusion == "fail":
        fields |= {"findings": ["制动器间隙超标"], "rectification_deadline": day(EVENT + 30)}
    city.say(p.institute, statement("inspection.concluded", code, p.institute, when, **fields))


def test_a_failed_periodic_inspection_scores_first_time_pass_rate(city: City, p: Parties) -> None:
    lift(city, p, LIFT)
    periodic(city, p, LIFT, at(EVENT), "fail")
    got = card(city, p.maintainer)
    assert items(got) == [("first-time-pass-rate", LIFT)]
    assert got.first_time_pass_rate == 0 and got.points[0]["points"] == 20


def test_a_penalty_naming_the_maintainer_scores_penalty(city: City, p: Parties) -> None:
    lift(city, p, LIFT)
    fine = statement("penalty.imposed", LIFT, p.bureau, at(EVENT), target=p.maintainer.uscc)
    city.say(p.bureau, fine)
    assert items(card(city, p.maintainer)) == [("penalty", LIFT)]
    assert card(city, p.maintainer, FUJIAN_2024, reference=True).points == []  # not Fujian's


def visit(city: City, p: Parties, code: str, when: datetime, ref: str) -> None:
    done = statement(
        "maintenance.performed",
        code,
        p.maintainer,
        when,
        visit_id=ref,
        arrived_at=when.isoformat(),
        departed_at=(when + timedelta(hours=1)).isoformat(),
    )
    city.say(p.maintainer, done)


def test_a_visit_more_than_the_gap_after_the_last_scores_maintenance_overdue(
    city: City, p: Parties
) -> None:
    lift(city, p, LIFT)
    visit(city, p, LIFT, at(EVENT - 20), "V-1")
    visit(city, p, LIFT, at(EVENT), "V-2")
    when = at(EVENT - 20)
    assert items(card(city, p.maintainer, when=when)) == [("maintenance-overdue", LIFT)]


# --- where and when a scheme is in force -------------------------------------------------------


def test_fujians_scheme_counts_nothing_in_yiyang_and_the_reference_view_says_so(
    city: City, p: Parties
) -> None:
    lift(city, p, LIFT)
    rescue(city, p, LIFT, at(EVENT), timedelta(minutes=45))
    assert card(city, p.maintainer, FUJIAN_2024).points == []
    reference = card(city, p.maintainer, FUJIAN_2024, reference=True)
    assert items(reference) == [("rescue-arrival-late", LIFT)]
    assert reference.points[0]["in_force"] is False and not reference.in_force
    doc = reference.to_json()
    assert doc["label"] == "参考" and doc["kind"] == "indicator" and "grade" not in doc


def test_a_scheme_counts_only_what_happened_while_it_was_in_force(city: City, p: Parties) -> None:
    lift(city, p, LIFT)
    rescue(city, p, LIFT, at(EVENT), timedelta(minutes=45))
    event_day = local_date(at(EVENT), city.node.settings.zone)
    later = replace(YIYANG_TEST, effective_from=event_day + timedelta(days=1))
    ended = replace(YIYANG_TEST, effective_to=event_day)
    assert card(city, p.maintainer, later).points == []
    assert card(city, p.maintainer, ended).points == []
    assert len(card(city, p.maintainer, replace(ended, effective_to=None)).points) == 1


def test_a_scheme_counts_only_the_lifts_in_its_jurisdiction(city: City, p: Parties) -> None:
    lift(city, p, LIFT, "430902")
    lift(city, p, OTHER, "430921")
    for code in (LIFT, OTHER):
        rescue(city, p, code, at(EVENT), timedelta(minutes=90))
    ziyang = replace(YIYANG_TEST, jurisdiction="430902")
    assert items(card(city, p.maintainer, ziyang)) == [("rescue-arrival-late", LIFT)]


# --- the three defects ---------------------------------------------------------------------------


def test_a_late_arrival_recorded_by_the_96333_platform_is_charged_to_the_maintainer(
    city: City, p: Parties
) -> None:
    lift(city, p, LIFT)
    rescue(city, p, LIFT, at(EVENT), timedelta(minutes=50), recorder=p.platform)
    got = card(city, p.maintainer)
    assert items(got) == [("rescue-arrival-late", LIFT)]
    assert p.platform.uscc in got.points[0]["detail"]


def test_a_rescue_with_no_arrival_recorded_past_the_limit_scores_rescue_arrival_missing(
    city: City, p: Parties
) -> None:
    lift(city, p, LIFT)
    rescue(city, p, LIFT, at(EVENT), None)
    rescue(city, p, LIFT, NOW - timedelta(minutes=10), None, rescue_id="R-2")  # not yet
    got = card(city, p.maintainer)
    assert items(got) == [("rescue-arrival-missing", LIFT)]
    assert "no arrival recorded" in got.points[0]["detail"]


def test_a_rescue_is_charged_to_the_maintainer_contracted_on_the_alarms_date(
    city: City, p: Parties
) -> None:
    lift(city, p, LIFT, valid_to=day(EVENT - 10))
    second = city.org(Role.MAINTENANCE_UNIT, name="接手维保有限公司")
    city.say(
        second,
        statement(
            "maintenance_contract.signed",
            LIFT,
            second,
            at(EVENT - 20),
            contract_number="C-2",
            maintenance_unit=second.uscc,
            use_unit=p.owner.uscc,
            valid_from=day(EVENT - 9),
            valid_to=day(EVENT + 300),
        ),
        p.owner,
    )
    rescue(city, p, LIFT, at(EVENT - 30), timedelta(minutes=45), rescue_id="R-first")
    rescue(city, p, LIFT, at(EVENT), timedelta(minutes=45), rescue_id="R-second")
    first_card, second_card = card(city, p.maintainer), card(city, second)
    assert [pt["on"] for pt in first_card.points] == [_on(city, at(EVENT - 30))]
    assert [pt["on"] for pt in second_card.points] == [_on(city, at(EVENT))]


def test_a_failed_supervisory_inspection_of_a_major_repair_is_not_the_maintainers(
    city: City, p: Parties
) -> None:
    lift(city, p, LIFT)
    say = city.say
    notified = statement(
        "construction.notified",
        LIFT,
        p.builder,
        at(EVENT - 10),
        kind="major_repair",
        planned_start=day(EVENT - 9),
    )
    say(p.builder, notified)
    done = statement(
        "construction.completed",
        LIFT,
        p.builder,
        at(EVENT - 2),
        kind="major_repair",
        completed_on=day(EVENT - 2),
    )
    say(p.builder, done)
    failed = statement(
        "inspection.concluded",
        LIFT,
        p.institute,
        at(EVENT),
        kind="supervisory",
        conclusion="fail",
        report_number="JD-R-1",
        findings=["曳引机安装不符合要求"],
        rectification_deadline=day(EVENT + 30),
        next_due=None,
    )
    say(p.institute, failed)
    got = card(city, p.maintainer)
    assert got.points == [] and got.first_time_pass_rate is None


# --- arrival limits per district -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("district", "minutes", "late"),
    [
        ("430902", 45, True),  # 资阳区: 30 minutes
        ("430903", 45, True),  # 赫山区
        ("430900", 45, True),  # 益阳高新区 / 大通湖区, coded as the city
        ("430921", 45, False),  # 南县: 1 hour
        ("430922", 45, False),  # 桃江县
        ("430923", 70, True),  # 安化县
        ("430981", 45, False),  # 沅江市
    ],
)
def test_the_arrival_limit_is_the_districts(
    city: City, p: Parties, district: str, minutes: int, late: bool
) -> None:
    lift(city, p, LIFT, district)
    rescue(city, p, LIFT, at(EVENT), timedelta(minutes=minutes))
    assert bool(card(city, p.maintainer).points) is late


def _on(city: City, when: datetime) -> str:
    return local_date(when, city.node.settings.zone).isoformat()
