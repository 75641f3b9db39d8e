"""The demo-city planner: valid statements, ledger order, determinism, and consistent histories."""

from __future__ import annotations

import itertools
import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from demo import CityPlan, PlannedStatement, plan_city
from domain.model.catalogue import (
    CATALOGUE,
    INSPECTION_SIGNER_ROLES,
    InspectionKind,
    Statement,
    statement_type,
)
from domain.model.identifiers import (
    is_escalator,
    validate_equipment_code,
    validate_uscc,
)
from domain.model.roles import LICENCE_FOR_ROLE, Role

NOW = datetime(2025, 6, 1, 4, 0, tzinfo=UTC)
YEARS = 5


@pytest.fixture(scope="module")
def plan() -> CityPlan:
    return plan_city(20, years=YEARS, seed=0, now=NOW)


@pytest.fixture(scope="module")
def planned(plan: CityPlan) -> list[PlannedStatement]:
    return list(plan.statements())


def _occurred(p: PlannedStatement) -> datetime:
    return datetime.fromisoformat(p.statement["occurred_at"])


def _by_elevator(planned: list[PlannedStatement]) -> dict[str, list[PlannedStatement]]:
    out: dict[str, list[PlannedStatement]] = defaultdict(list)
    for p in planned:
        out[p.statement["elevator"]].append(p)
    return out


# --------------------------------------------------------------------------------------------
# Shape
# --------------------------------------------------------------------------------------------


def test_every_statement_validates(planned: list[PlannedStatement]) -> None:
    assert len(planned) > 1000
    for p in planned:
        stmt = Statement.model_validate(p.statement)
        assert stmt.prev is None and "prev" not in p.statement
        assert p.statement["occurred_at"].endswith("+08:00")
        assert p.recorded_at.utcoffset() == timedelta(0)


def test_sorted_by_recorded_at(planned: list[PlannedStatement]) -> None:
    times = [p.recorded_at for p in planned]
    assert times == sorted(times)


def test_times_are_plausible(plan: CityPlan, planned: list[PlannedStatement]) -> None:
    # the CLI grants roles and licences from the plan's start: now - years - 1 year, or earlier
    # for the lifts over 15 years old
    assert plan.start <= NOW - timedelta(days=round((YEARS + 1) * 365))
    assert plan.start >= NOW - timedelta(days=366 * 18)
    for p in planned:
        occurred = _occurred(p)
        assert plan.start < occurred <= p.recorded_at <= NOW
    span = planned[-1].recorded_at - planned[0].recorded_at
    assert timedelta(days=YEARS * 365) < span < timedelta(days=(YEARS + 1) * 365)


def test_nonces_unique(planned: list[PlannedStatement]) -> None:
    nonces = [p.statement["nonce"] for p in planned]
    assert len(set(nonces)) == len(nonces)
    assert all(len(n) >= 8 for n in nonces)


def test_deterministic() -> None:
    a = list(plan_city(6, years=3, seed=7, now=NOW).statements())
    b = list(plan_city(6, years=3, seed=7, now=NOW).statements())
    assert a == b
    assert (
        plan_city(6, years=3, seed=7, now=NOW).elevators
        == plan_city(6, years=3, seed=7, now=NOW).elevators
    )
    c = list(plan_city(6, years=3, seed=8, now=NOW).statements())
    assert a != c


def test_history_independent_of_city_size() -> None:
    small = plan_city(3, years=2, seed=1, now=NOW)
    large = plan_city(9, years=2, seed=1, now=NOW)
    assert large.elevators[:3] == small.elevators
    first = small.elevators[0]
    # the one-off designations (penalty, hazard...) depend on the city; maintenance does not
    visits_small = [
        p
        for p in small.statements()
        if p.statement["elevator"] == first and p.statement["type"] == "maintenance.performed"
    ]
    visits_large = [
        p
        for p in large.statements()
        if p.statement["elevator"] == first and p.statement["type"] == "maintenance.performed"
    ]
    assert [v.statement["data"] for v in visits_small] == [
        v.statement["data"] for v in visits_large
    ]


# --------------------------------------------------------------------------------------------
# Organizations and elevators
# --------------------------------------------------------------------------------------------


def test_organizations(plan: CityPlan) -> None:
    assert plan.regulator.roles == (Role.REGULATOR,)
    assert plan.regulator not in plan.organizations
    everyone = (plan.regulator, *plan.organizations)
    held = Counter(r for o in everyone for r in o.roles)
    assert set(held) == set(Role)
    assert held[Role.MAINTENANCE_UNIT] >= 2 and held[Role.USE_UNIT] >= 2
    assert 10 <= len(plan.organizations) <= 14
    usccs = [validate_uscc(o.uscc) for o in everyone]
    assert len(set(usccs)) == len(usccs)
    assert len({o.name for o in everyone}) == len(everyone)
    for o in everyone:
        assert o.district.startswith("4309") and o.uscc[2:8] == o.district
        assert o.address and o.legal_representative
        needed = {LICENCE_FOR_ROLE[r] for r in o.roles if r in LICENCE_FOR_ROLE}
        assert {kind for kind, _number in o.licences} == needed
    numbers = [n for o in everyone for _k, n in o.licences]
    assert len(set(numbers)) == len(numbers)
    assert plan.by_role(Role.REGULATOR) == (plan.regulator,)
    assert plan.organization(plan.regulator.uscc) is plan.regulator


def test_elevators(plan: CityPlan, planned: list[PlannedStatement]) -> None:
    assert len(plan.elevators) == 20 == len(set(plan.elevators))
    for code in plan.elevators:
        validate_equipment_code(code)
    assert Counter(c[:4] for c in plan.elevators)["3110"] >= 10
    maintainers = {o.uscc for o in plan.by_role(Role.MAINTENANCE_UNIT)}
    assert plan.terminals and set(plan.terminals) <= set(plan.elevators)
    assert set(plan.terminals.values()) <= maintainers
    codes = [
        p.statement["data"]["rescue_code"]
        for p in planned
        if p.statement["type"] == "rescue_code.assigned"
    ]
    assert len(codes) == len(set(codes)) == 20
    for kind in ("registration_code", "certificate_number"):
        values = [
            p.statement["data"][kind]
            for p in planned
            if p.statement["type"] == "registration.issued"
        ]
        assert len(set(values)) == 20


# --------------------------------------------------------------------------------------------
# Content
# --------------------------------------------------------------------------------------------


def test_late_entries_and_overdue_gaps(planned: list[PlannedStatement]) -> None:
    late = [
        p
        for p in planned
        if p.statement["type"] == "maintenance.performed"
        and p.recorded_at - _occurred(p) > timedelta(days=2)
    ]
    assert len(late) >= 5
    overdue = 0
    for history in _by_elevator(planned).values():
        days = sorted(
            _occurred(p).date() for p in history if p.statement["type"] == "maintenance.performed"
        )
        overdue += sum(1 for a, b in itertools.pairwise(days) if (b - a).days > 15)
    assert overdue >= 5


def test_about_24_visits_per_elevator_year(planned: list[PlannedStatement]) -> None:
    rates = []
    for history in _by_elevator(planned).values():
        visits = [_occurred(p) for p in history if p.statement["type"] == "maintenance.performed"]
        contracts = [p for p in history if p.statement["type"] == "maintenance_contract.signed"]
        if contracts[0].statement["data"]["policy"] != "classic_15_day":
            continue  # on demand: about monthly
        if any(p.statement["type"] == "registration.changed" for p in history):
            continue  # out of use while modified, repaired or moved
        start = date.fromisoformat(contracts[0].statement["data"]["valid_from"])
        end = max(visits).date()
        rates.append(len(visits) / ((end - start).days / 365.25))
    mean = sum(rates) / len(rates)
    assert 22 <= mean <= 26, mean
    assert all(18 <= r <= 27 for r in rates), rates


def test_maintenance_levels(planned: list[PlannedStatement]) -> None:
    levels = Counter(
        level
        for p in planned
        if p.statement["type"] == "maintenance.performed"
        for level in p.statement["data"]["levels"]
    )
    visits = levels["half_month"]
    assert visits == sum(1 for p in planned if p.statement["type"] == "maintenance.performed")
    assert 0.12 < levels["quarterly"] / visits < 0.2
    assert 0 < levels["annual"] < levels["half_yearly"] < levels["quarterly"]


def test_cosigned_contracts(planned: list[PlannedStatement]) -> None:
    for p in planned:
        st = statement_type(p.statement["type"])
        assert p.signers[0] == p.statement["issuer"]
        if st.cosigner_roles:
            assert len(p.signers) == 2 and p.signers[0] != p.signers[1]
            assert p.signers[1] == p.statement["data"]["use_unit"]
        else:
            assert len(p.signers) == 1


def test_via_terminal(plan: CityPlan, planned: list[PlannedStatement]) -> None:
    via = [p for p in planned if p.via_terminal]
    assert via
    for p in via:
        assert CATALOGUE[p.statement["type"]].terminal_may_sign
        assert p.signers == (plan.terminals[p.statement["elevator"]],)
        assert p.statement["data"]["service_mode"] == 1
    faults_with_terminal = [
        p
        for p in planned
        if p.statement["type"] == "fault.reported" and p.statement["elevator"] in plan.terminals
    ]
    assert 0.25 < len(via) / len(faults_with_terminal) < 0.75


def test_fault_codes_fit_category(planned: list[PlannedStatement]) -> None:
    for p in planned:
        if p.statement["type"] == "fault.reported":
            escalator = is_escalator(p.statement["elevator"][:4])
            assert (p.statement["data"]["code"] >= "61") == escalator
            assert p.statement["data"]["code"] != "11"


def test_city_wide_events(planned: list[PlannedStatement]) -> None:
    types = Counter(p.statement["type"] for p in planned)
    assert types["elevator.scrapped"] == 1 == types["registration.cancelled"]
    assert types["penalty.imposed"] == 1
    # one hazard still open, one rescue going on now
    assert types["hazard.listed"] >= 2 and types["hazard.closed"] == types["hazard.listed"] - 1
    assert types["use.stopped"] >= 1
    assert types["complaint.received"] >= 1
    assert types["supervision.checked"] >= 20
    assert types["insurance.policy_issued"] >= 20
    assessments = Counter(
        p.statement["data"]["conclusion"]
        for p in planned
        if p.statement["type"] == "assessment.concluded"
    )
    assert assessments["continue"] == 2  # one of them after 15 years in use
    kinds = Counter(
        (p.statement["data"]["kind"], p.statement["data"]["conclusion"])
        for p in planned
        if p.statement["type"] == "inspection.concluded"
    )
    assert kinds["supervisory", "pass"] + kinds["re_inspection", "pass"] >= 20
    assert kinds["periodic", "pass"] >= 20 and kinds["self_test", "pass"] >= 20
    assert types["rescue.alarm"] == types["rescue.released"] + 1


def test_small_cities() -> None:
    assert list(plan_city(0, now=NOW).statements()) == []
    for n in (1, 3, 5):
        planned = list(plan_city(n, years=1, seed=3, now=NOW).statements())
        types = Counter(p.statement["type"] for p in planned)
        assert types["elevator.manufactured"] == n
        assert types["elevator.scrapped"] == 0
        assert types["maintenance.performed"] >= 15 * n
        _check_city(plan_city(n, years=1, seed=3, now=NOW), planned)


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError):
        plan_city(3, now=datetime(2025, 1, 1))
    with pytest.raises(ValueError):
        plan_city(-1, now=NOW)
    with pytest.raises(ValueError):
        plan_city(3, years=0, now=NOW)


def test_large_city_starts_at_once() -> None:
    started = time.perf_counter()
    plan = plan_city(2000, now=NOW)
    stream = plan.statements()
    first = next(stream)
    for _ in range(2000):
        next(stream)
    assert time.perf_counter() - started < 5.0  # planning it all would take minutes
    assert first.statement["type"] == "elevator.manufactured"
    assert len(plan.elevators) == 2000 == len(set(plan.elevators))


# --------------------------------------------------------------------------------------------
# Lifecycle consistency, checked in ledger order
# --------------------------------------------------------------------------------------------

_AFTER_SCRAP = {"registration.cancelled"}
_WHILE_STOPPED = {
    "inspection.concluded",
    "hazard.listed",
    "hazard.closed",
    "rectification.ordered",
    "rectification.completed",
    "complaint.received",
    "complaint.resolved",
}


def _check_elevator(plan: CityPlan, history: list[PlannedStatement]) -> None:
    """The lifecycle rules the ledger enforces, replayed over one elevator's statements."""
    roles = {o.uscc: set(o.roles) for o in (plan.regulator, *plan.organizations)}
    assert history[0].statement["type"] == "elevator.manufactured"
    manufactured = _occurred(history[0])
    notifier: str | None = None
    completed = False
    supervisory_pass = False
    registered_use_unit: str | None = None
    buyer: str | None = None
    built = False
    pending_fail = False
    contracts: dict[str, tuple[str, date, date]] = {}
    visits: dict[str, datetime] = {}
    open_faults: set[str] = set()
    rescues: dict[str, tuple[str, datetime]] = {}
    hazards: set[str] = set()
    orders: set[str] = set()
    complaints: set[str] = set()
    stopped = False
    scrapped = False
    rescue_steps = ["rescue.alarm", "rescue.dispatched", "rescue.arrived", "rescue.released"]

    for p in history:
        s, d = p.statement, p.statement["data"]
        kind, issuer, occurred = s["type"], s["issuer"], _occurred(p)
        where = f"{s['elevator']} {kind} {s['occurred_at']}"
        assert manufactured <= occurred <= p.recorded_at, where
        # signers hold the roles the catalogue asks for
        st = statement_type(kind)
        signer_roles = st.signer_roles
        if kind == "inspection.concluded":
            signer_roles = INSPECTION_SIGNER_ROLES[InspectionKind(d["kind"])]
        assert roles[issuer] & signer_roles, where
        if st.cosigner_roles:
            assert roles[p.signers[1]] & st.cosigner_roles, where
        if scrapped:
            assert kind in _AFTER_SCRAP, where
        if stopped:
            assert kind in _WHILE_STOPPED | {"use.resumed"}, where

        if kind == "elevator.sold":
            buyer = d["buyer"]
        elif kind == "construction.notified":
            notifier = issuer
        elif kind == "construction.completed":
            assert issuer == notifier, where
            completed = built = True
        elif kind == "inspection.concluded":
            if d["kind"] == "re_inspection":
                assert pending_fail, where
            pending_fail = d["conclusion"] == "fail"
            if d["kind"] in ("supervisory", "re_inspection") and d["conclusion"] == "pass":
                assert completed, where
                supervisory_pass = True
            if d["conclusion"] == "pass":
                assert d["next_due"] > s["occurred_at"][:10], where
        elif kind == "registration.issued":
            assert supervisory_pass, where
            registered_use_unit = d["use_unit"]
        elif kind == "registration.changed":
            assert registered_use_unit is not None and supervisory_pass, where
            registered_use_unit = d["use_unit"]
        elif kind == "maintenance_contract.signed":
            # before registration (the lift used unregistered), with the buyer
            party = registered_use_unit or buyer
            assert built and d["use_unit"] == party and p.signers[1] == party, where
            start, end = date.fromisoformat(d["valid_from"]), date.fromisoformat(d["valid_to"])
            for unit, a, b in contracts.values():
                if unit != issuer:
                    assert b < start or end < a, f"{where}: overlaps another unit's contract"
            contracts[d["contract_number"]] = (issuer, start, end)
        elif kind == "maintenance_contract.ended":
            assert d["contract_number"] in contracts, where
            del contracts[d["contract_number"]]
        elif kind == "maintenance.performed":
            day = occurred.date()
            assert any(unit == issuer and a <= day <= b for unit, a, b in contracts.values()), (
                f"{where}: no active contract of the issuer"
            )
            arrived = datetime.fromisoformat(d["arrived_at"])
            departed = datetime.fromisoformat(d["departed_at"])
            assert arrived.date() == departed.date() == day, where
            # a brief visit (under 20 minutes) is the suspicious-maintenance list's
            assert timedelta(minutes=10) <= departed - arrived <= timedelta(minutes=91), where
            assert d["visit_id"] not in visits, where
            visits[d["visit_id"]] = occurred
        elif kind == "maintenance.confirmed":
            assert issuer == registered_use_unit, where
            assert d["visit_id"] in visits and visits[d["visit_id"]] <= occurred, where
        elif kind == "fault.reported":
            assert d["fault_id"] not in open_faults, where
            open_faults.add(d["fault_id"])
        elif kind == "fault.cleared":
            assert d["fault_id"] in open_faults, where
            open_faults.remove(d["fault_id"])
        elif kind in rescue_steps:
            rid = d["rescue_id"]
            step = rescue_steps.index(kind)
            if step == 0:
                assert rid not in rescues, where
            else:
                last, when = rescues[rid]
                assert rescue_steps.index(last) == step - 1 and when <= occurred, where
            rescues[rid] = (kind, occurred)
            if kind in ("rescue.arrived", "rescue.released"):
                assert any(unit == issuer for unit, _a, _b in contracts.values()), where
        elif kind == "hazard.listed":
            hazards.add(d["hazard_id"])
        elif kind == "rectification.ordered":
            assert d.get("hazard_id") in hazards, where
            orders.add(d["order_id"])
        elif kind == "rectification.completed":
            assert d["order_id"] in orders, where
            orders.remove(d["order_id"])
        elif kind == "hazard.closed":
            assert d["hazard_id"] in hazards, where
            hazards.remove(d["hazard_id"])
        elif kind == "complaint.received":
            complaints.add(d["complaint_id"])
        elif kind == "complaint.resolved":
            assert d["complaint_id"] in complaints, where
        elif kind == "use.stopped":
            assert issuer == registered_use_unit and not stopped, where
            stopped = True
        elif kind == "use.resumed":
            assert issuer == registered_use_unit and stopped, where
            stopped = False
        elif kind == "elevator.scrapped":
            assert issuer == registered_use_unit, where
            # every contract still running was ended first
            assert all(b < occurred.date() for _u, _a, b in contracts.values()), where
            scrapped = True
        elif kind == "registration.cancelled":
            assert scrapped, where
        elif kind == "insurance.policy_issued":
            assert d["insured"] == registered_use_unit, where
        if kind not in (
            "elevator.manufactured",
            "elevator.sold",
            "construction.notified",
            "construction.completed",
            "inspection.concluded",
            "registration.issued",
        ):
            # use before registration: only a rescue or a fault, by the maintainer under contract
            unregistered_use = built and (
                kind in rescue_steps or kind.startswith(("maintenance_c", "fault."))
            )
            assert registered_use_unit is not None or unregistered_use, where


def _check_city(plan: CityPlan, planned: list[PlannedStatement]) -> None:
    histories = _by_elevator(planned)
    assert set(histories) == set(plan.elevators)
    for history in histories.values():
        _check_elevator(plan, history)


def test_histories_are_consistent(plan: CityPlan, planned: list[PlannedStatement]) -> None:
    _check_city(plan, planned)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_histories_are_consistent_other_seeds(seed: int) -> None:
    plan = plan_city(12, years=3, seed=seed, now=NOW + timedelta(days=seed * 100))
    planned = list(plan.statements())
    for p in planned:
        Statement.model_validate(p.statement)
    _check_city(plan, planned)
    types = Counter(p.statement["type"] for p in planned)
    assert types["elevator.scrapped"] == 1


def test_scrapped_elevator_ends_cleanly(planned: list[PlannedStatement]) -> None:
    histories = _by_elevator(planned)
    (scrapped,) = [
        h for h in histories.values() if any(p.statement["type"] == "elevator.scrapped" for p in h)
    ]
    tail: list[Any] = [p.statement["type"] for p in scrapped[-3:]]
    assert tail[-2:] == ["elevator.scrapped", "registration.cancelled"]
    assert "maintenance_contract.ended" in [p.statement["type"] for p in scrapped[-5:]]
    assert scrapped[-1].recorded_at > NOW - timedelta(days=60)


@pytest.mark.parametrize("seed", [1, 4, 7])
def test_default_size_city_consistent_for_other_seeds_and_days(seed: int) -> None:
    """Every scenario's story fits the rules whichever lift tells it and whatever today is."""
    plan = plan_city(20, years=YEARS, seed=seed, now=NOW + timedelta(days=seed * 47))
    planned = list(plan.statements())
    _check_city(plan, planned)
    types = Counter(p.statement["type"] for p in planned)
    assert types["registration.changed"] == 3  # modification, relocation, change of use unit
    assert types["construction.notified"] == 20 + 4
    assert types["elevator.scrapped"] == 1
