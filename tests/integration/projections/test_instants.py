"""Every instant a read model holds is the instant that was signed, on SQLite and PostgreSQL:
it comes back as the same instant, shown at the offset it was signed with, and "who was
responsible at T" is decided on instants, whatever offsets the statements and T were written
at."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select, text, update

from domain.model.roles import Role
from ledger.entry import parse_time
from projections import read
from projections.schema import MIGRATIONS, elevators
from tests.support import lift_states as ls
from tests.support.city import NOW, City, Org, statement

_serial = itertools.count(1)
#: RFC 3339 offsets (whole minutes) from −12:00 to +14:00.
OFFSETS = st.integers(-12 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
#: Instants in the past the test city's organizations held their roles, with microseconds.
INSTANTS = st.integers(5 * 86_400 * 10**6, 3000 * 86_400 * 10**6).map(
    lambda us: NOW - timedelta(microseconds=us)
)
#: Gaps between two statements: from a microsecond to two days.
GAPS = st.integers(1, 2 * 86_400 * 10**6).map(lambda us: timedelta(microseconds=us))
PROPERTY = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def new_code() -> str:
    return f"3110230102015{next(_serial):05d}"


@pytest.fixture
def city(tmp_path: Path, database_url: str) -> Iterator[City]:
    city = City.open(tmp_path, database_url)
    yield city
    city.node.close()


@pytest.fixture
def maker(city: City) -> Org:
    return city.org(Role.MANUFACTURER)


@pytest.fixture
def builder(city: City) -> Org:
    return city.org(Role.CONSTRUCTION_UNIT)


@PROPERTY
@given(
    made=INSTANTS,
    gaps=st.tuples(GAPS, GAPS),
    offsets=st.tuples(OFFSETS, OFFSETS, OFFSETS),
)
def test_what_goes_into_the_read_models_comes_back_as_the_same_instant(
    city: City,
    maker: Org,
    builder: Org,
    made: datetime,
    gaps: tuple[timedelta, timedelta],
    offsets: tuple[timezone, timezone, timezone],
) -> None:
    """Three statements at three offsets (the later instant may have the earlier wall time):
    the entries, the responsibility timeline and the elevator's status give back each instant
    exactly, each shown at its own offset."""
    code = new_code()
    times = [
        made.astimezone(offsets[0]),
        (made + gaps[0]).astimezone(offsets[1]),
        (made + gaps[0] + gaps[1]).astimezone(offsets[2]),
    ]
    notified, completed = times[1], times[2]
    receipts = [
        city.say(maker, statement("elevator.manufactured", code, maker, times[0])),
        city.say(builder, statement("construction.notified", code, builder, notified)),
        city.say(builder, statement("construction.completed", code, builder, completed)),
    ]
    city.node.projections.catch_up()
    engine = city.node.engine

    _, shown = read.elevator_entries(engine, code, newest_first=False)
    assert [e["occurred_at"] for e in shown] == [t.isoformat() for t in times]
    assert [datetime.fromisoformat(e["recorded_at"]) for e in shown] == [
        parse_time(r.recorded_at) for r in receipts
    ]
    view = read.elevator(engine, code, NOW.date())
    assert view is not None and view.status.last_recorded_at == parse_time(receipts[-1].recorded_at)

    by_role = {i["role"]: i for i in read.timeline(engine, code)}
    assert by_role["manufacturer"]["from"] == times[0].isoformat()
    assert by_role["construction_unit"]["from"] == notified.isoformat()
    assert by_role["construction_unit"]["to"] == completed.isoformat()

    def builds_at(at: datetime) -> bool:
        return any(p["role"] == "construction_unit" for p in read.responsible_at(engine, code, at))

    tick = timedelta(microseconds=1)
    assert not builds_at(notified - tick) and builds_at(notified)
    assert builds_at(completed - tick) and not builds_at(completed)


def test_an_instant_written_at_any_offset_asks_the_same_question(
    city: City, maker: Org, builder: Org
) -> None:
    """``responsible_at`` given one instant at +08:00, UTC and −05:00 answers the same."""
    code = new_code()
    notified = datetime(2024, 5, 6, 8, 30, tzinfo=timezone(timedelta(hours=8)))  # 00:30 UTC
    city.say(maker, statement("elevator.manufactured", code, maker, notified - timedelta(days=9)))
    city.say(builder, statement("construction.notified", code, builder, notified))
    city.node.projections.catch_up()
    for zone in (UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))):
        roles = {
            p["role"]
            for p in read.responsible_at(city.node.engine, code, notified.astimezone(zone))
        }
        assert roles == {"manufacturer", "construction_unit"}


def test_beyond_the_ends_of_utc_nothing_was_held_before_and_the_open_roles_are_held_after(
    city: City, maker: Org
) -> None:
    """Year 1 at +14:00 and year 9999 at −14:00 have no UTC wall time; they are still answered."""
    code = new_code()
    city.say(maker, statement("elevator.manufactured", code, maker, NOW - timedelta(days=9)))
    city.node.projections.catch_up()
    first = datetime.fromisoformat("0001-01-01T00:00:00+14:00")
    last = datetime.fromisoformat("9999-12-31T23:59:59-14:00")
    assert read.responsible_at(city.node.engine, code, first) == []
    assert [p["role"] for p in read.responsible_at(city.node.engine, code, last)] == [
        "manufacturer"
    ]


def _projections_to(engine: Engine, revision: str, down: bool) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["version_table"] = "projections_alembic_version"
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, revision)


def test_read_models_written_before_instants_are_rebuilt_from_the_log(
    city: City, maker: Org
) -> None:
    """p0002 drops the rows p0001 wrote (wall times without their offset) and the runner
    writes them again from the signed log."""
    code = new_code()
    made = datetime(2024, 5, 6, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    city.say(maker, statement("elevator.manufactured", code, maker, made))
    engine, size = city.node.engine, city.node.log.latest_checkpoint().size
    _projections_to(engine, "p0001", down=True)
    with engine.begin() as conn:  # what p0001 held on SQLite: the wall time, read as UTC
        conn.execute(
            text(
                "INSERT INTO read_responsibilities (equipment_code, role, organization,"
                " valid_from, since_log_index) VALUES (:code, 'manufacturer', :org, :at, 0)"
            ),
            {"code": code, "org": maker.uscc, "at": made.replace(tzinfo=None)},
        )
    _projections_to(engine, "head", down=False)
    city.node.projections.catch_up()

    assert city.node.projections.positions()["responsibilities"] == size
    (interval,) = read.timeline(engine, code)
    assert interval["from"] == made.isoformat()
    assert read.responsible_at(engine, code, made - timedelta(microseconds=1)) == []


def test_statuses_folded_before_the_badge_details_are_refolded_from_the_log(city: City) -> None:
    """p0003: a status row without the badge's details (here: a failed inspection, known only
    from them) would badge a lift that must not run as 正常使用; the upgrade empties the model
    and the runner refolds it from the signed log, details included."""

    [code] = ls.build(city, ("failed",)).values()
    engine = city.node.engine
    view = read.elevator(engine, code, NOW.date())
    assert view is not None and view.status.inspection_failed_since is not None
    _projections_to(engine, "p0002", down=True)
    with engine.begin() as conn:  # what a status folded before the details held
        where = elevators.c.equipment_code == code
        old = dict(conn.execute(select(elevators.c.status).where(where)).scalar_one())
        old.pop("inspection_failed_since", None)
        old.pop("inspection_findings", None)
        conn.execute(update(elevators).where(where), {"status": old})
    stale = read.elevator(engine, code, NOW.date())
    assert stale is not None and stale.status.inspection_failed_since is None
    _projections_to(engine, "head", down=False)
    city.node.projections.catch_up()
    view = read.elevator(engine, code, NOW.date())
    assert view is not None and view.status.inspection_failed_since is not None
    assert read.resolve(engine, code) == code  # the identifiers are refilled too
