"""Back-dated statements through the real ledger, on both backends: judged against the elevator
as it stood at their ``occurred_at`` and against what occurred after them; the chain's state,
the projected status and the replay on the occurred axis are the occurred-order fold, and a
ledger opened again over the same database ends in the same state (docs/lifecycle.md,
"Existence and time")."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.bootstrap import open_node
from api.elevator_replay import chain_entries, replay_elevator
from domain.application.aggregates import Elevator
from domain.model.elevator import ElevatorState, Lifecycle
from domain.model.errors import RuleBroken
from domain.model.roles import Role
from domain.model.timeline import ELEVATOR_RULES, dated_entry, fold_occurred
from domain.replay import Axis
from projections import read
from tests.support.city import NOW, City, Org, statement
from tests.support.lift_states import HISTORY, Parties, in_service

CODE = "311023010201500301"
at, day = HISTORY.at, HISTORY.day  # manufactured day 0 (200 days ago), in service from day 30


@dataclass
class Lift:
    city: City
    p: Parties
    home: Path
    url: str


@pytest.fixture
def lift(tmp_path: Path, database_url: str) -> Iterator[Lift]:
    city = City.open(tmp_path, database_url)
    p = Parties.onboard(city)
    in_service(city, p, CODE)  # its latest statement: a visit three days ago (day 197)
    lift = Lift(city, p, tmp_path, database_url)
    yield lift
    lift.city.node.close()


def _visit(lift: Lift, visit_id: str, days: float) -> dict[str, object]:
    when = at(days)
    return statement(
        "maintenance.performed",
        CODE,
        lift.p.maintainer,
        when,
        visit_id=visit_id,
        arrived_at=when.isoformat(),
        departed_at=(when + timedelta(hours=1)).isoformat(),
    )


def _occurred_fold(lift: Lift) -> ElevatorState:
    """The elevator's state folded in occurred order from its chain in the log."""
    entries = chain_entries(lift.city.node, CODE)
    return fold_occurred(ELEVATOR_RULES, CODE, [dated_entry(e) for e in entries])


def _written(lift: Lift) -> ElevatorState:
    chain = lift.city.node.app.elevator(CODE)
    assert chain is not None and not chain.refold_due
    state: ElevatorState = chain.state
    return state


def test_a_back_dated_visit_before_installation_is_refused_with_its_rule(lift: Lift) -> None:
    # on day 0.5 the elevator had only been manufactured
    with pytest.raises(RuleBroken) as info:
        lift.city.say(lift.p.maintainer, _visit(lift, "V-early", 0.5))
    assert info.value.rule == "maintenance-before-installation"


def test_a_back_dated_visit_that_fits_its_date_is_accepted_and_marked_late(lift: Lift) -> None:
    receipt = lift.city.say(lift.p.maintainer, _visit(lift, "V-100", 100))
    assert receipt.late and not receipt.duplicate
    assert "V-100" in _written(lift).visits


def test_a_back_dated_statement_that_breaks_a_later_one_is_refused_naming_it(lift: Lift) -> None:
    p, say = lift.p, lift.city.say
    stop = say(p.owner, statement("use.stopped", CODE, p.owner, at(198)))
    with pytest.raises(RuleBroken) as info:
        say(p.owner, statement("use.stopped", CODE, p.owner, at(150)))
    assert info.value.rule == "backdated-breaks-later"
    assert f"use.stopped (version {stop.version}, occurred" in str(info.value)
    assert "stop-only-in-service" in str(info.value)


def test_the_state_is_the_occurred_order_fold_everywhere_and_after_a_reload(lift: Lift) -> None:
    p, say = lift.p, lift.city.say
    say(
        p.builder, statement("construction.notified", CODE, p.builder, at(198), kind="major_repair")
    )
    # stopped on day 150, before the repair was notified: told afterwards
    stopped = say(p.owner, statement("use.stopped", CODE, p.owner, at(150)))
    assert stopped.late
    written = _written(lift)
    # in log order the stop would come last (stopped); in occurred order the repair does
    assert written.lifecycle is Lifecycle.UNDER_CONSTRUCTION
    assert written == _occurred_fold(lift)
    # the next in-order statement is judged against that state: the repair can be completed
    say(
        p.builder,
        statement("construction.completed", CODE, p.builder, at(199), kind="major_repair"),
    )
    assert _written(lift).lifecycle is Lifecycle.AWAITING_INSPECTION
    expected = _occurred_fold(lift)
    assert _written(lift) == expected
    # the projection and the replay on the occurred axis agree
    lift.city.node.projections.catch_up()
    view = read.elevator(lift.city.node.engine, CODE, NOW.date())
    assert view is not None and view.status.lifecycle == "awaiting_inspection"
    replayed = replay_elevator(lift.city.node, CODE, NOW + timedelta(days=3650), Axis.OCCURRED)
    assert replayed is not None and replayed.verified and replayed.state == expected
    # a new ledger over the same database rebuilds the chain cold: the same state
    lift.city.node.close()
    lift.city = City.open(lift.home, lift.url)
    assert _written(lift) == expected
    say = lift.city.say
    say(
        p.institute,
        statement("inspection.concluded", CODE, p.institute, at(199.5), kind="supervisory"),
    )
    assert _written(lift).lifecycle is Lifecycle.IN_SERVICE


# --- property: the write path, the occurred-order fold and the replay agree ------------------

#: What may happen to a lift in service, and who says it (the statement built per day below).
OPERATIONS = ("visit", "stop", "resume", "fault", "clear", "repair", "completed", "passed")
_codes = iter(range(400, 10_000))


def _operation(p: Parties, code: str, name: str, days: float, n: int) -> tuple[Org, dict[str, Any]]:
    when = at(days)
    if name == "visit":
        return p.maintainer, statement(
            "maintenance.performed",
            code,
            p.maintainer,
            when,
            visit_id=f"V-{n}",
            arrived_at=when.isoformat(),
            departed_at=(when + timedelta(minutes=50)).isoformat(),
        )
    if name in ("stop", "resume"):
        kind = "use.stopped" if name == "stop" else "use.resumed"
        return p.owner, statement(kind, code, p.owner, when)
    if name == "fault":
        fault = statement(
            "fault.reported", code, p.maintainer, when, fault_id="F-1", detected_at=when.isoformat()
        )
        return p.maintainer, fault
    if name == "clear":
        return p.maintainer, statement("fault.cleared", code, p.maintainer, when, fault_id="F-1")
    if name in ("repair", "completed"):
        kind = "construction.notified" if name == "repair" else "construction.completed"
        return p.builder, statement(kind, code, p.builder, when, kind="major_repair")
    return p.institute, statement(
        "inspection.concluded", code, p.institute, when, kind="supervisory", report_number=f"R-{n}"
    )


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[City, Parties]]:
    home = tmp_path_factory.mktemp("occurred-town")
    city = City.open(home, f"sqlite:///{home / 'ledger.db'}")
    yield city, Parties.onboard(city)
    city.node.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(OPERATIONS), st.floats(min_value=0.5, max_value=199.0)),
        min_size=1,
        max_size=10,
    )
)
def test_write_path_occurred_fold_and_replay_agree_on_random_histories(
    town: tuple[City, Parties], steps: list[tuple[str, float]]
) -> None:
    city, p = town
    code = f"3110230102015{next(_codes):05d}"
    in_service(city, p, code)
    for n, (name, days) in enumerate(steps):
        signer, stmt = _operation(p, code, name, days, n)
        # refused on its date or for what occurred after it: nothing stored
        with contextlib.suppress(RuleBroken):
            city.say(signer, stmt)
    chain = city.node.app.elevator(code)
    assert chain is not None and not chain.refold_due
    entries = chain_entries(city.node, code)
    folded = fold_occurred(ELEVATOR_RULES, code, [dated_entry(e) for e in entries])
    replayed = replay_elevator(city.node, code, NOW + timedelta(days=3650), Axis.OCCURRED)
    assert replayed is not None and replayed.verified
    assert chain.state == folded == replayed.state
    city.node.projections.catch_up()
    view = read.elevator(city.node.engine, code, NOW.date())
    assert view is not None and view.status.lifecycle == str(folded.lifecycle)


def test_a_failed_save_of_a_back_dated_statement_leaves_the_chain_as_it_was(
    lift: Lift, monkeypatch: pytest.MonkeyPatch
) -> None:
    p, app = lift.p, lift.city.node.app
    lift.city.say(
        p.builder, statement("construction.notified", CODE, p.builder, at(198), kind="major_repair")
    )
    before = _written(lift)
    back_dated = statement("use.stopped", CODE, p.owner, at(150))

    def failing_save(*aggregates: object) -> object:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(app, "save", failing_save)
    with pytest.raises(RuntimeError):
        lift.city.say(p.owner, back_dated)
    monkeypatch.undo()
    assert _written(lift) == before
    chain = app.elevator(CODE)
    assert chain is not None and chain.version == len(chain_entries(lift.city.node, CODE))
    lift.city.say(p.owner, back_dated)  # judged again, from the stored chain
    assert _written(lift) == _occurred_fold(lift)
    assert _written(lift).lifecycle is Lifecycle.UNDER_CONSTRUCTION


def test_a_grant_back_dated_before_a_revocation_is_ended_by_it_everywhere(lift: Lift) -> None:
    """Organizations are judged and folded on the occurred axis too: the write path's state and
    the public profile agree that the revocation ended the back-dated grant."""
    city = lift.city
    org = city.org(Role.MAINTENANCE_UNIT, name="后补授权维保有限公司")

    def about_org(kind: str, when: datetime, **data: Any) -> dict[str, Any]:
        return {
            "type": kind,
            "organization": org.uscc,
            "issuer": city.authority.uscc,
            "occurred_at": when.isoformat(),
            "data": data,
        }

    revoked_at, granted_at = NOW - timedelta(days=10), NOW - timedelta(days=20)
    city.say(city.authority, about_org("org.role_revoked", revoked_at, role="maintenance_unit"))
    granted = about_org(
        "org.role_granted", granted_at, role="maintenance_unit", valid_from=str(granted_at.date())
    )
    assert city.say(city.authority, granted).version > 1
    chain = city.node.app.organization(org.uscc)
    assert chain is not None and not chain.refold_due
    assert not chain.state.has_role(Role.MAINTENANCE_UNIT, NOW.date())
    assert chain.state.has_role(Role.MAINTENANCE_UNIT, (NOW - timedelta(days=15)).date())
    city.node.projections.catch_up()
    profile = read.organization(city.node.engine, org.uscc)
    assert profile is not None
    assert profile["roles"]["maintenance_unit"] == {
        "from": str(granted_at.date()),
        "to": str(revoked_at.date()),
    }


def test_a_back_dated_entry_written_by_another_server_is_refolded_here(lift: Lift) -> None:
    """This server has the chain cached; another server over the same database accepts a
    back-dated statement; this server's next unit of work fast-forwards the chain and judges
    against the occurred-order state."""
    p, city = lift.p, lift.city
    city.say(
        p.builder, statement("construction.notified", CODE, p.builder, at(198), kind="major_repair")
    )
    other = open_node(city.node.settings)  # a second server: its own application and cache
    try:
        stop = statement("use.stopped", CODE, p.owner, at(150))
        other.service.submit(city.envelope([p.owner], stop))
    finally:
        other.close()
    completed = statement("construction.completed", CODE, p.builder, at(199), kind="major_repair")
    city.say(p.builder, completed)  # judged here, after the other server's entry
    cache = city.node.app.repository.cache
    assert cache is not None
    cached = cache.get(Elevator.create_id(CODE))  # what the write path judged against
    assert isinstance(cached, Elevator) and not cached.refold_due
    assert cached.state == _occurred_fold(lift)
    assert cached.state.lifecycle is Lifecycle.AWAITING_INSPECTION


def test_the_next_back_dated_statement_reads_only_what_was_stored_since(lift: Lift) -> None:
    judge = lift.city.node.app.judge
    reads: list[tuple[int, int]] = []
    read = judge.chain_entries

    def counted(chain_id: UUID, version: int, after: int) -> list[str]:
        reads.append((after, version))
        return read(chain_id, version, after)

    judge.chain_entries = counted
    first = lift.city.say(lift.p.maintainer, _visit(lift, "V-101", 101))
    lift.city.say(lift.p.maintainer, _visit(lift, "V-102", 102))
    assert reads == [(0, first.version - 1), (first.version - 1, first.version)]
    assert _written(lift) == _occurred_fold(lift)
