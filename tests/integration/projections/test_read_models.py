"""Read models follow the signed log: built incrementally they equal a rebuild from scratch,
they answer by any identifier, and each claim is traceable to log entries."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import Engine, select

from api.node import LedgerNode
from demo import plan_city
from domain.application.log_chains import LogChains
from domain.model.roles import Role
from domain.model.scoring import FUJIAN_2024
from projections import read
from projections.schema import elevators, entries, identifiers, organizations, responsibilities
from projections.scorecard import scorecard
from projections.worklists import worklist
from tests.support.city import NOW, City, statement
from tests.support.lift_states import Commissioners, commissioned, tell
from tests.support.seeded import onboarded, seed_plan
from tests.support.timeline import Days

CODE = "311023010201500098"


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every read-model row, without surrogate ids."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table, order in [
            (entries, entries.c.log_index),
            (elevators, elevators.c.equipment_code),
            (identifiers, identifiers.c.identifier),
            (organizations, organizations.c.uscc),
        ]:
            out[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(order))]
        r = responsibilities.c
        cols = [c for c in responsibilities.c if c.name != "id"]
        out["responsibilities"] = [
            tuple(row)
            for row in conn.execute(
                select(*cols).order_by(r.equipment_code, r.role, r.valid_from, r.since_log_index)
            )
        ]
    return out


@pytest.fixture
def city(tmp_path: Path, database_url: str) -> Iterator[City]:
    city = City.open(tmp_path, database_url)
    yield city
    city.node.close()


def test_status_responsibility_and_identifiers_after_a_life(city: City) -> None:
    maker = city.org(Role.MANUFACTURER)
    builder = city.org(Role.CONSTRUCTION_UNIT)
    institute = city.org(Role.INSPECTION_INSTITUTE)
    owner = city.org(Role.USE_UNIT)
    first, second = city.org(Role.MAINTENANCE_UNIT), city.org(Role.MAINTENANCE_UNIT)
    bureau, platform = city.org(Role.REGULATOR), city.org(Role.RESCUE_PLATFORM)
    history = Days(NOW - timedelta(days=400))
    at, day = history.at, history.day

    crew = Commissioners(maker, builder, institute, owner, first, bureau)
    registered = tell(
        city,
        commissioned(
            crew,
            CODE,
            history,
            registration_fields={"regime": "tsg_t7001_2023"},
            rescue_platform=platform,
            contract_fields={"contract_number": "C1", "valid_to": day(200)},
        ),
    )["registered"]
    say = city.say
    say(
        second,
        statement(
            "maintenance_contract.signed",
            CODE,
            second,
            at(190),
            contract_number="C2",
            maintenance_unit=second.uscc,
            use_unit=owner.uscc,
            valid_from=day(201),
            valid_to=day(600),
        ),
        owner,
    )
    visit = NOW - timedelta(days=3)
    say(
        second,
        statement(
            "maintenance.performed",
            CODE,
            second,
            visit,
            visit_id="V1",
            arrived_at=visit.isoformat(),
            departed_at=(visit + timedelta(minutes=50)).isoformat(),
        ),
    )
    node = city.node
    node.projections.catch_up()

    for ident in (CODE, "31104309002016053337", "梯11湘H3622(16)", "035302"):
        assert read.resolve(node.engine, ident) == CODE
    view = read.elevator(node.engine, CODE, NOW.date())
    assert view is not None and view.status.lifecycle == "in_service"
    assert view.status.last_maintenance_on == visit.date()
    assert view.status.next_maintenance_due == visit.date() + timedelta(days=15)
    assert view.status.next_inspection_due is not None  # TSG T7001-2023, from the pass at day 25
    assert view.maintenance_unit_today == second.uscc
    assert not view.flags["maintenance_overdue"] and not view.flags["no_maintenance_contract"]

    def holder(role: str, when: datetime) -> str:
        parties = read.responsible_at(node.engine, CODE, when)
        return str(next(p["organization"] for p in parties if p["role"] == role))

    # "who was responsible at 14:05 on the day of the incident"
    assert holder("maintenance_unit", at(100).replace(hour=6, minute=5)) == first.uscc
    assert holder("maintenance_unit", at(300)) == second.uscc
    assert holder("use_unit", at(300)) == owner.uscc
    proof = next(
        p for p in read.responsible_at(node.engine, CODE, at(300)) if p["role"] == "use_unit"
    )
    assert proof["since_log_index"] == registered.log_index

    total, items = read.elevator_entries(node.engine, CODE, 0, 3)
    assert total == 9 and [e["version"] for e in items] == [9, 8, 7]
    assert "certificate_number" not in str(items[0]["statement"])  # personal fields never public

    later = NOW.date() + timedelta(days=30)  # nobody has visited for a month by then
    overdue = worklist(node.engine, "maintenance-overdue", later, zone=node.settings.zone)
    assert [r["equipment_code"] for r in overdue] == [CODE]


def test_incremental_projection_equals_a_rebuild(city: City) -> None:
    history = list(onboarded(city, plan_city(3, years=1, seed=11, now=NOW)).history())
    for i in range(0, len(history), 37):  # catch up between uneven batches
        chunk = history[i : i + 37]
        results = city.node.service.submit_batch(
            [e for _, e in chunk], [p.recorded_at for p, _ in chunk]
        )
        assert not [r for r in results if isinstance(r, Exception)]
        city.node.projections.catch_up()
    incremental = snapshot(city.node.engine)
    city.node.projections.rebuild()
    assert snapshot(city.node.engine) == incremental
    assert len(incremental["read_entries"]) == city.node.log.latest_checkpoint().size


def test_scorecard_points_trace_to_entries(city: City) -> None:
    plan = seed_plan(city, plan_city(6, years=2, seed=3, now=NOW)).plan
    # a scheme for Hunan (43) scoring overdue visits, so that the Yiyang city has points
    hunan = replace(
        FUJIAN_2024,
        id="test-43",
        jurisdiction="43",
        overdue_gap=timedelta(days=15),
        overdue_points=2,
    )
    cards = [
        scorecard(
            city.node.engine,
            org.uscc,
            NOW.year - 1,
            hunan,
            zone=city.node.settings.zone,
            now=NOW,
        )
        for org in plan.organizations
        if Role.MAINTENANCE_UNIT in org.roles
    ]
    points = [p for card in cards for p in card.points]
    assert points, "a two-year city has some overdue visits"
    for p in points:
        for index in p["log_indexes"]:
            entry = read.elevator_entries(city.node.engine, p["equipment_code"], 0, 1000)[1]
            assert index in {e["log_index"] for e in entry}
    for card in cards:
        assert card.band in "ABCD" and card.period.complete
        assert all(p["in_force"] for p in card.points)


class LedgerMachine(RuleBasedStateMachine):
    """Random valid histories (the demo planner with random seeds), submitted in random chunks,
    with projections caught up at random moments: incremental always equals a rebuild, and the
    status of each elevator replayed as of the last instant equals the live aggregate."""

    node: LedgerNode

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(__import__("tempfile").mkdtemp())

    @initialize(seed=st.integers(0, 10_000), lifts=st.integers(1, 3))
    def city(self, seed: int, lifts: int) -> None:
        self.city_ = City.open(self.tmp / "home", f"sqlite:///{self.tmp}/ledger.db")
        self.node = self.city_.node
        plan = plan_city(lifts, years=1, seed=seed, now=NOW)
        self.pending = list(onboarded(self.city_, plan).history())
        self.elevators = list(plan.elevators)

    @rule(n=st.integers(1, 80))
    def submit(self, n: int) -> None:
        chunk, self.pending = self.pending[:n], self.pending[n:]
        if chunk:
            self.node.service.submit_batch([e for _, e in chunk], [p.recorded_at for p, _ in chunk])

    @rule()
    def catch_up(self) -> None:
        self.node.projections.catch_up()

    @rule()
    def rebuild_equals_incremental(self) -> None:
        self.node.projections.catch_up()
        before = snapshot(self.node.engine)
        self.node.projections.rebuild()
        assert snapshot(self.node.engine) == before

    @invariant()
    def replay_at_the_last_instant_equals_live(self) -> None:
        if not hasattr(self, "node"):
            return
        from domain.application.aggregates import chain_event_entry
        from domain.application.log_order import LedgerOrder
        from domain.replay import Axis, replay

        for code in self.elevators:
            live = self.node.app.elevator(code)
            if live is None:
                continue
            chain = [chain_event_entry(e).entry for e in self.node.app.events.get(live.id)]
            result = replay(
                chain,
                datetime.now(UTC) + timedelta(days=1),
                Axis.RECORDED,
                self.node.app.key_info,
                order=LedgerOrder(self.node.app, LogChains(self.node.app, self.node.engine)),
            )
            assert result.verified and result.state == live.state

    def teardown(self) -> None:
        if hasattr(self, "node"):
            self.node.close()


TestLedgerMachine = LedgerMachine.TestCase
TestLedgerMachine.settings = settings(
    max_examples=4,
    stateful_step_count=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
