"""The inspection schedule (TSG T7001-2023 / T7008-2023, and every year before 2024-04-01),
case by case from the regulation's text: each lift's history is said through the real signed
write path, and at each checkpoint the public status and its flags, the inspection-overdue work
list, the QR page and the regulator's replay report must all say the same thing is due —
they all ask domain/model/inspection_schedule.py's ``next_obligation``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.elevator_replay import replay_elevator
from domain.model.roles import Role
from projections import read
from projections.status import inspection_obligation
from projections.worklists import worklist
from tests.support.city import City, Org, statement

CST = timezone(timedelta(hours=8))
FOUNDED = datetime(2000, 1, 3, 9, 0, tzinfo=CST)  # the organizations exist from then on
KIND_ZH = {"periodic": "定期检验", "self_test": "自行检测", "re_inspection": "复检"}


def d(text: str) -> date:
    return date.fromisoformat(text)


def at(text: str) -> datetime:
    """10:00 in Yiyang on the day ``text``."""
    return datetime.combine(d(text), time(10, 0), CST)


@dataclass(frozen=True)
class Event:
    """One thing that happened to the lift: ``what`` on ``on`` with ``fields``."""

    what: str
    on: str
    fields: tuple[tuple[str, Any], ...] = ()


def ev(what: str, on: str, **fields: Any) -> Event:
    return Event(what, on, tuple(fields.items()))


@dataclass(frozen=True)
class Due:
    """A checkpoint: on ``on``, the lift owes ``kind`` by ``due`` for year ``year`` of use."""

    on: str
    kind: str
    due: str
    year: int
    overdue: bool = False
    self_test_in_periodic_year: bool = False
    suspended: bool = False


T7001, LEGACY = "tsg_t7001_2023", "legacy_annual"

#: case id -> (registration regime, events and checkpoints in time order)
CASES: dict[str, tuple[str, list[Event | Due]]] = {
    # Issue #12's case: a major repair's supervisory pass moves only the month; the years count
    # from the installation (2009) and that year's periodic is not repeated.
    "major repair 2009/2021 moves the month, not the count": (
        T7001,
        [
            ev("installed", "2009-05-15"),
            ev("periodic", "2021-05-10"),  # years 1..12 done (late ones count)
            ev("major_repair", "2021-09-20"),
            Due("2022-06-01", "periodic", "2022-09-30", 13),
            ev("periodic", "2022-09-10"),
            Due("2022-10-01", "self_test", "2023-09-30", 14),
            ev("self_test", "2023-09-05"),
            Due("2023-10-01", "periodic", "2024-09-30", 15),
            ev("periodic", "2024-09-01"),
            Due("2024-10-01", "periodic", "2025-09-30", 16),
            Due("2025-10-08", "periodic", "2025-09-30", 16, overdue=True),
        ],
    ),
    # Before 2024-04-01 every lift was inspected every year.
    "legacy: every year before 2024-04": (
        LEGACY,
        [
            ev("installed", "2015-03-10"),
            ev("periodic", "2016-03-05"),
            ev("periodic", "2017-03-08"),
            Due("2017-06-01", "periodic", "2018-03-31", 3),
            Due("2018-04-02", "periodic", "2018-03-31", 3, overdue=True),
        ],
    ),
    # From 2024-04-01 T7001-2023 applies to every lift, a legacy registration included.
    "legacy registration under T7001 from 2024": (
        LEGACY,
        [
            ev("installed", "2018-06-12"),
            ev("periodic", "2023-06-05"),  # years 1..5, each a periodic year then
            Due("2023-07-01", "self_test", "2024-06-30", 6),
            ev("self_test", "2024-06-10"),
            Due("2024-07-01", "periodic", "2025-06-30", 7),
        ],
    ),
    # A periodic inspection may be up to 2 months early, not moving the next due date.
    "periodic 2 months early counts, earlier does not": (
        T7001,
        [
            ev("installed", "2019-04-20"),
            ev("periodic", "2020-02-20"),  # more than 2 months before 2020-04-30
            Due("2020-03-01", "periodic", "2020-04-30", 1),
            ev("periodic", "2020-03-01"),  # within 2 months
            Due("2020-03-02", "self_test", "2021-04-30", 2),
        ],
    ),
    # T7008-2023: a self-test up to 1 month early; 61 days is too early.
    "self-test 1 month early counts, 61 days does not": (
        T7001,
        [
            ev("installed", "2020-09-15"),
            ev("periodic", "2021-09-10"),
            Due("2021-10-01", "self_test", "2022-09-30", 2),
            ev("self_test", "2022-08-31"),  # 30 days early
            Due("2022-09-01", "self_test", "2023-09-30", 3),
            ev("self_test", "2023-07-31"),  # 61 days early
            Due("2023-08-15", "self_test", "2023-09-30", 3),
            Due("2023-10-05", "self_test", "2023-09-30", 3, overdue=True),
        ],
    ),
    # A self-test never stands in for a periodic year.
    "self-test in a periodic year": (
        T7001,
        [
            ev("installed", "2020-03-10"),
            ev("self_test", "2021-03-15"),
            Due("2021-03-20", "periodic", "2021-03-31", 1, self_test_in_periodic_year=True),
            Due(
                "2021-04-10",
                "periodic",
                "2021-03-31",
                1,
                overdue=True,
                self_test_in_periodic_year=True,
            ),
            ev("periodic", "2021-04-20"),
            Due("2021-04-21", "self_test", "2022-03-31", 2),
        ],
    ),
    # After a stop of more than a year the periodic inspection before restart re-bases the
    # month; while stopped nothing is overdue, it is due before restart.
    "stopped more than a year: re-based month": (
        T7001,
        [
            ev("installed", "2016-05-10"),
            ev("periodic", "2020-05-06"),  # years 1..4
            ev("stopped", "2020-11-01"),
            Due("2021-06-15", "self_test", "2021-05-31", 5, suspended=True),
            Due("2022-02-01", "periodic", "2021-05-31", 5, suspended=True),
            ev("periodic", "2022-02-10"),
            ev("resumed", "2022-02-20"),
            Due("2022-03-01", "periodic", "2023-02-28", 7),
        ],
    ),
    # The use mark's date, as the institute issued it, is the due date.
    "use-mark date is the due date": (
        T7001,
        [
            ev("installed", "2019-10-15", next_due="2020-11-30"),
            Due("2020-11-15", "periodic", "2020-11-30", 1),
            ev("periodic", "2020-11-20", next_due="2021-11-30"),
            Due("2021-11-20", "self_test", "2021-11-30", 2),
            Due("2021-12-02", "self_test", "2021-11-30", 2, overdue=True),
        ],
    ),
    # A modification's supervisory pass restarts the count.
    "modification restarts the count": (
        T7001,
        [
            ev("installed", "2008-06-10"),
            ev("periodic", "2019-06-05"),
            ev("modification", "2019-09-05"),
            Due("2019-10-01", "periodic", "2020-09-30", 1),
            Due("2020-10-10", "periodic", "2020-09-30", 1, overdue=True),
        ],
    ),
    # Over 15 years of use: a periodic inspection every year.
    "over 15 years: every year": (
        LEGACY,
        [
            ev("installed", "2007-04-10"),
            ev("periodic", "2023-04-05"),  # years 1..16
            Due("2023-05-01", "periodic", "2024-04-30", 17),
            ev("periodic", "2024-04-10"),
            Due("2025-05-10", "periodic", "2025-04-30", 18, overdue=True),
        ],
    ),
    # A failed periodic inspection is due again at its rectification deadline.
    "failed periodic: due at the rectification deadline": (
        T7001,
        [
            ev("installed", "2019-06-10"),
            ev("periodic_fail", "2020-06-05", deadline="2020-07-05"),
            Due("2020-06-20", "re_inspection", "2020-07-05", 1),
            Due("2020-07-10", "re_inspection", "2020-07-05", 1, overdue=True),
            ev("re_inspection", "2020-07-15"),
            Due("2020-07-16", "self_test", "2021-06-30", 2),
        ],
    ),
}


@dataclass
class Crew:
    maker: Org
    builder: Org
    institute: Org
    owner: Org
    bureau: Org
    tester: Org  # self-tests (T7008-2023) are a testing body's


def _org(city: City, *roles: Role) -> Org:
    """An organization that exists, with its licences, since 2000."""
    return city.org(*roles, scope=("3110",), since=FOUNDED)


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[Any]:
    city = City.open(tmp_path, database_url)
    crew = Crew(
        _org(city, Role.MANUFACTURER),
        _org(city, Role.CONSTRUCTION_UNIT),
        _org(city, Role.INSPECTION_INSTITUTE),
        _org(city, Role.USE_UNIT),
        _org(city, Role.REGULATOR),
        _org(city, Role.TESTING_BODY),
    )
    with TestClient(create_app(node=city.node)) as client:
        yield city, crew, client
    city.node.close()


def _inspection(
    code: str, crew: Crew, on: str, kind: str, **data: Any
) -> tuple[Org, dict[str, Any]]:
    fields: dict[str, Any] = {
        "kind": kind,
        "conclusion": "pass",
        "report_number": f"R-{code[-3:]}-{on}",
        "findings": None,
        "next_due": None,
        **data,
    }
    signer = crew.tester if kind == "self_test" else crew.institute
    return signer, statement("inspection.concluded", code, signer, at(on), **fields)


def _construction(
    code: str, crew: Crew, kind: str, passed: str
) -> list[tuple[Org, dict[str, Any]]]:
    p = d(passed)
    notified, completed = (p - timedelta(days=40)).isoformat(), (p - timedelta(days=10)).isoformat()
    b = crew.builder
    return [
        (
            b,
            statement(
                "construction.notified", code, b, at(notified), kind=kind, planned_start=completed
            ),
        ),
        (
            b,
            statement(
                "construction.completed", code, b, at(completed), kind=kind, completed_on=completed
            ),
        ),
    ]


def _statements(code: str, crew: Crew, e: Event, regime: str) -> list[tuple[Org, dict[str, Any]]]:
    f = dict(e.fields)
    owner, bureau = crew.owner, crew.bureau
    if e.what == "installed":
        made = (d(e.on) - timedelta(days=120)).isoformat()
        registered = (d(e.on) + timedelta(days=5)).isoformat()
        m = crew.maker
        return [
            (m, statement("elevator.manufactured", code, m, at(made), manufactured_on=made)),
            *_construction(code, crew, "installation", e.on),
            _inspection(code, crew, e.on, "supervisory", next_due=f.get("next_due")),
            (
                bureau,
                statement(
                    "registration.issued",
                    code,
                    bureau,
                    at(registered),
                    use_unit=owner.uscc,
                    regime=regime,
                    district="430902",
                    registration_code=f"3110430900{registered[:4]}{registered[5:7]}{code[-4:]}",
                    certificate_number=f"梯11湘H{code[-4:]}({registered[2:4]})",
                ),
            ),
        ]
    if e.what in ("major_repair", "modification"):
        return [
            *_construction(code, crew, e.what, e.on),
            _inspection(code, crew, e.on, "supervisory"),
        ]
    if e.what in ("periodic", "self_test", "re_inspection"):
        return [_inspection(code, crew, e.on, e.what, next_due=f.get("next_due"))]
    if e.what == "periodic_fail":
        return [
            _inspection(
                code,
                crew,
                e.on,
                "periodic",
                conclusion="fail",
                findings=["制动器间隙超标"],
                rectification_deadline=f["deadline"],
            )
        ]
    if e.what == "stopped":
        return [(owner, statement("use.stopped", code, owner, at(e.on), reason="长期空置"))]
    assert e.what == "resumed"
    return [(owner, statement("use.resumed", code, owner, at(e.on)))]


def _page(client: TestClient, code: str) -> tuple[str | None, str | None, str, str]:
    """The page's inspection line: what it says is due (its dt), the date, the whole dd; and
    the page's safety section (the badge)."""
    html = client.get(f"/e/{code}", headers={"accept": "text/html"}).text
    safety = re.search(r'<section id="safety".*?</section>', html, re.S)
    badge = safety.group(0) if safety else ""
    found = re.search(r'<dt>下次([^<]+)</dt><dd id="inspection-due">(.*?)</dd>', html, re.S)
    if found is None:
        return None, None, "", badge
    date_text = re.search(r'id="inspection-due-date">([^<]+)<', found.group(2))
    return found.group(1), date_text.group(1) if date_text else None, found.group(2), badge


def _agree(city: City, client: TestClient, code: str, want: Due) -> None:
    on = d(want.on)
    node = city.node
    node.projections.catch_up()
    noon = datetime.combine(on, time(12, 0), CST)
    # the status and its flags
    view = read.elevator(node.engine, code, on)
    assert view is not None
    got = inspection_obligation(view.status, on)
    assert got is not None, want
    assert (str(got.kind), got.due, got.year_of_use) == (want.kind, d(want.due), want.year), got
    assert (got.overdue, got.suspended) == (want.overdue, want.suspended), got
    assert view.status.next_inspection_due == d(want.due)
    assert view.flags["inspection_overdue"] is want.overdue
    assert view.flags["self_test_in_periodic_year"] is want.self_test_in_periodic_year
    # the work list
    rows = [
        r
        for r in worklist(node.engine, "inspection-overdue", on, zone=node.settings.zone)
        if r["equipment_code"] == code
    ]
    if want.overdue:
        [row] = rows
        assert (row["next_inspection_due"], row["next_inspection_kind"]) == (want.due, want.kind)
        assert row["inspection_year_of_use"] == want.year
    else:
        assert rows == []
    # the QR page
    node.clock = lambda: noon
    kind_zh, due_text, line, badge = _page(client, code)
    assert (kind_zh, due_text) == (KIND_ZH[want.kind], want.due), line
    assert f"使用第 {want.year} 年" in line
    assert ("已逾期" in line) is want.overdue
    assert ("自行检测不能代替定期检验" in line) is want.self_test_in_periodic_year
    late = "检测逾期" if want.kind == "self_test" else "检验逾期"
    assert (
        late in badge and f"{KIND_ZH[want.kind]}应于 {want.due} 前完成" in badge
    ) is want.overdue
    # the public API (the same day's obligation)
    shown = client.get(f"/v1/elevators/{code}").json()["inspection_due"]
    assert (shown["kind"], shown["due"], shown["overdue"]) == (want.kind, want.due, want.overdue)
    # the replay report, as it happened by that day
    replayed = replay_elevator(node, code, noon, "occurred")
    assert replayed is not None and replayed.verified, replayed and replayed.problem
    report = replayed.report
    assert report.next_inspection is not None
    assert report.next_inspection == got
    overdue = [o for o in report.overdue if o.obligation == "inspection"]
    assert [o.due for o in overdue] == ([d(want.due)] if want.overdue else [])


@pytest.mark.parametrize("case", list(CASES))
def test_status_worklist_page_and_replay_agree(world: Any, case: str) -> None:
    city, crew, client = world
    code = f"31102301020150{list(CASES).index(case) + 300:04d}"
    regime, steps = CASES[case]
    for step in steps:
        if isinstance(step, Due):
            _agree(city, client, code, step)
            continue
        for signer, stmt in _statements(code, crew, step, regime):
            city.say(signer, stmt)
