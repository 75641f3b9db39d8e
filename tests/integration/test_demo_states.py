"""The default demo city, seeded through the real signed write path, shows every state on first
run: every statement accepted, every work list non-empty, every flag true for some lift, and each
state of issue #12's list held by at least one elevator, read through the projections.

The lists and flags are iterated, not named, so a list or flag added later is covered as soon as
it exists; the states are named too, so that none disappears unnoticed."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from api.cli.demo import demo as demo_command
from demo import CityPlan, plan_city
from domain.model.errors import Rejected
from projections import read
from projections.read import ElevatorView
from projections.status import contract_in_force
from projections.worklists import WORKLISTS, worklist
from tests.support.city import NOW, City
from tests.support.seeded import onboarded

#: what ``elevator-ledger demo`` (and so ``make run``) seeds by default
_DEFAULTS = {name: p.default for name, p in inspect.signature(demo_command).parameters.items()}
#: TSG T7001-2023: years of use (from the supervisory pass) with a periodic inspection
_PERIODIC_YEARS = {1, 4, 7, 9, 11, 13, 15}


@dataclass
class Lift:
    """One elevator as the read side shows it today, with its entries oldest first."""

    code: str
    view: ElevatorView
    entries: list[dict[str, Any]]

    def statements(self, type_: str, **data: str) -> list[dict[str, Any]]:
        """The public statements of ``type_`` whose data has ``data``, oldest first."""
        out = []
        for e in self.entries:
            s = e["statement"]
            if e["type"] == type_ and all(s["data"].get(k) == v for k, v in data.items()):
                out.append(s)
        return out

    def at(self, statement: dict[str, Any]) -> datetime:
        return datetime.fromisoformat(statement["occurred_at"])


@dataclass
class Seeded:
    plan: CityPlan
    city: City
    rejected: list[str]
    lifts: list[Lift]
    today: date


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    tmp: Path = tmp_path_factory.mktemp("demo-states")
    city = City.open(tmp / "home", f"sqlite:///{tmp}/ledger.db")
    try:
        plan = plan_city(
            _DEFAULTS["elevators"], years=_DEFAULTS["years"], seed=_DEFAULTS["seed"], now=NOW
        )
        history = list(onboarded(city, plan).history())
        rejected: list[str] = []
        for start in range(0, len(history), 400):  # batches, as the CLI submits them
            chunk = history[start : start + 400]
            results = city.node.service.submit_batch(
                [e for _, e in chunk], [p.recorded_at for p, _ in chunk]
            )
            for (planned, _), result in zip(chunk, results, strict=True):
                if isinstance(result, Rejected):
                    s = planned.statement
                    rejected.append(f"{s['type']} {s['elevator']} {s['occurred_at']}: {result}")
        city.node.projections.catch_up()
        engine = city.node.engine
        today = NOW.astimezone(city.node.settings.zone).date()
        lifts = []
        for code in plan.elevators:
            view = read.elevator(engine, code, today)
            assert view is not None, code
            _total, entries = read.elevator_entries(engine, code, 0, 100_000, newest_first=False)
            lifts.append(Lift(code, view, entries))
        yield Seeded(plan, city, rejected, lifts, today)
    finally:
        city.node.close()


def test_every_statement_is_accepted(seeded: Seeded) -> None:
    assert seeded.rejected == []
    assert len(seeded.plan.elevators) == _DEFAULTS["elevators"]


@pytest.mark.parametrize("name", [*WORKLISTS, "suspicious-maintenance"])
def test_every_work_list_has_an_elevator(seeded: Seeded, name: str) -> None:
    node = seeded.city.node
    assert worklist(node.engine, name, seeded.today, zone=node.settings.zone), name


#: Flags the demo city does not raise yet, each with why (a flag added here is a gap to close,
#: never a way to make the test pass): the planner never has people carried by a lift its use
#: unit declared stopped (its consistency check forbids use during a stop).
NOT_IN_THE_DEMO_YET = {"used_while_stopped"}


def test_every_flag_is_raised_for_some_elevator(seeded: Seeded) -> None:
    names = {name for lift in seeded.lifts for name in lift.view.flags}
    missing = sorted(n for n in names if not any(lift.view.flags[n] for lift in seeded.lifts))
    assert missing == sorted(NOT_IN_THE_DEMO_YET & names)


def test_ordinary_lifts_are_fine_too(seeded: Seeded) -> None:
    """Not every lift is in trouble: most raise no flag but late entries at most."""
    clean = [
        lift
        for lift in seeded.lifts
        if not any(v for k, v in lift.view.flags.items() if k != "late_entries")
    ]
    assert len(clean) >= 3


# ---- the states, each held by some elevator ------------------------------------------------


def _after_construction(lift: Lift, kind: str, reason: str | None) -> bool:
    """A ``kind`` construction after registration, its supervisory pass, and (with ``reason``)
    the change of registration after the pass; in service again."""
    registered = lift.statements("registration.issued")
    notified = lift.statements("construction.notified", kind=kind)
    if not registered or not notified or lift.view.status.lifecycle != "in_service":
        return False
    passes = [
        s
        for s in lift.statements("inspection.concluded", kind="supervisory", conclusion="pass")
        if lift.at(s) > lift.at(notified[0])
    ]
    if not passes or lift.at(notified[0]) < lift.at(registered[0]):
        return False
    if reason is None:
        return True
    changes = lift.statements("registration.changed", reason=reason)
    return any(lift.at(c) > lift.at(passes[0]) for c in changes)


def _use_unit_changed(lift: Lift) -> bool:
    changes = lift.statements("registration.changed", reason="use_unit_change")
    if not changes:
        return False
    new = changes[-1]["data"]["use_unit"]
    contracts = [
        s
        for s in lift.statements("maintenance_contract.signed", use_unit=new)
        if lift.at(s) >= lift.at(changes[-1])
    ]
    return lift.view.status.use_unit == new and bool(contracts)


def _years(start: date, end: date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def _old(lift: Lift, today: date) -> bool:
    since = lift.view.status.in_use_since
    return since is not None and _years(since, today) >= 15


def _assessed_when_old(lift: Lift) -> bool:
    s = lift.view.status
    return (
        s.in_use_since is not None
        and s.assessed_on is not None
        and _years(s.in_use_since, s.assessed_on) >= 15
    )


def _failed_then_passed(lift: Lift) -> bool:
    failed = lift.statements("inspection.concluded", kind="periodic", conclusion="fail")
    again = lift.statements("inspection.concluded", kind="re_inspection", conclusion="pass")
    return any(lift.at(a) > lift.at(f) for f in failed for a in again)


def _failed_open(lift: Lift) -> bool:
    s = lift.view.status
    return (
        s.inspection_failed_since is not None
        and s.last_inspection_kind == "periodic"
        and s.last_inspection_conclusion == "fail"
    )


def _self_test_in_periodic_year(lift: Lift) -> bool:
    """A self-test in a year of use TSG T7001-2023 gives to a periodic inspection."""
    if lift.view.status.regime != "tsg_t7001_2023":
        return False
    # the installation's pass: its supervisory inspection, or the re-inspection after its fail
    installed = [
        s
        for s in lift.statements("inspection.concluded", conclusion="pass")
        if s["data"]["kind"] in ("supervisory", "re_inspection")
    ]
    if not installed or lift.statements("construction.notified", kind="modification"):
        return False
    baseline = lift.at(installed[0]).date()
    return any(
        round((lift.at(s).date() - baseline).days / 365.25) in _PERIODIC_YEARS
        for s in lift.statements("inspection.concluded", kind="self_test")
    )


def _used_before_registration(lift: Lift) -> bool:
    registered = lift.statements("registration.issued")
    if not registered:
        return False
    used = [*lift.statements("rescue.alarm"), *lift.statements("fault.reported")]
    return any(lift.at(u) < lift.at(registered[0]) for u in used)


def _short_visit(seeded: Seeded) -> bool:
    node = seeded.city.node
    rows = worklist(node.engine, "suspicious-maintenance", seeded.today, zone=node.settings.zone)
    return any(r.startswith("visit of") for row in rows for r in row["reasons"])


Check = Callable[[Lift, date], bool]

STATES: dict[str, Check] = {
    "modification with its supervisory pass and change registration": lambda lift, _t: (
        _after_construction(lift, "modification", "modification")
    ),
    "major repair with its supervisory pass": lambda lift, _t: _after_construction(
        lift, "major_repair", None
    ),
    "relocation, re-registered": lambda lift, _t: _after_construction(
        lift, "relocation", "relocation"
    ),
    "change of use unit with a new contract": lambda lift, _t: _use_unit_changed(lift),
    "on-demand maintenance contract": lambda lift, _t: (
        lift.view.status.maintenance_policy in ("on_demand_monthly", "on_demand_iot_quarterly")
    ),
    "legacy inspection regime": lambda lift, _t: lift.view.status.regime == "legacy_annual",
    "over 15 years in use, assessed": lambda lift, t: _old(lift, t) and _assessed_when_old(lift),
    "over 15 years in use, not assessed": lambda lift, t: (
        _old(lift, t) and lift.view.status.assessed_on is None
    ),
    "open hazard listed for supervision with a deadline": lambda lift, _t: bool(
        lift.view.status.hazards_listed and lift.view.status.hazard_deadlines
    ),
    "open rescue, not released": lambda lift, _t: bool(lift.view.status.rescues_in_progress),
    "stopped": lambda lift, _t: (
        lift.view.status.lifecycle == "stopped" and lift.view.status.stopped_since is not None
    ),
    "failed periodic inspection, not re-inspected": lambda lift, _t: _failed_open(lift),
    "failed periodic inspection, then a passing re-inspection": lambda lift, _t: (
        _failed_then_passed(lift)
    ),
    "late entries": lambda lift, _t: lift.view.status.late_entries > 0,
    "maintenance overdue": lambda lift, _t: lift.view.flags["maintenance_overdue"],
    "inspection overdue, not failed": lambda lift, _t: (
        lift.view.flags["inspection_overdue"] and lift.view.status.inspection_failed_since is None
    ),
    "uninsured": lambda lift, _t: lift.view.flags["uninsured"],
    "in use without a contract in force": lambda lift, t: (
        lift.view.status.lifecycle in ("in_service", "stopped")
        and contract_in_force(lift.view.status, t) is None
    ),
    "a self-test in a periodic year": lambda lift, _t: _self_test_in_periodic_year(lift),
    "used before registration (a fault or a rescue)": lambda lift, _t: _used_before_registration(
        lift
    ),
    "scrapped and cancelled": lambda lift, _t: lift.view.status.lifecycle == "cancelled",
}


@pytest.mark.parametrize("state", list(STATES))
def test_some_elevator_is_in_each_state(seeded: Seeded, state: str) -> None:
    holders = [lift.code for lift in seeded.lifts if STATES[state](lift, seeded.today)]
    assert holders, f"no elevator of the default demo city shows: {state}"


def test_a_short_visit_is_on_the_suspicious_maintenance_list(seeded: Seeded) -> None:
    assert _short_visit(seeded)
