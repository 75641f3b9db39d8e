"""The elevator's lifecycle rules (docs/lifecycle.md), one specification per rule.

Each rule test builds an elevator up to the point that matters, submits the one statement that
breaks the rule, and names the rule it must break. Statements are the catalogue examples with the
fields that matter overridden, validated like any submitted statement.
"""

from __future__ import annotations

import copy
import itertools
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.model.catalogue import (
    CATALOGUE,
    EXAMPLE_ELEVATOR,
    EXAMPLE_ORGANIZATIONS,
    ConstructionKind,
    InspectionKind,
    Statement,
    Subject,
    example_statement,
)
from domain.model.elevator import (
    ElevatorState,
    Lifecycle,
    RescueStage,
    active_contract,
    check_elevator_statement,
    evolve_elevator,
    maintenance_unit_on,
    registered_use_unit,
)
from domain.model.identifiers import make_uscc
from domain.model.roles import Role
from domain.model.rules import CLOCK_SKEW, RULES, RuleViolation

CODE = EXAMPLE_ELEVATOR
MAKER = EXAMPLE_ORGANIZATIONS[Role.MANUFACTURER]
BUILDER = EXAMPLE_ORGANIZATIONS[Role.CONSTRUCTION_UNIT]
MAINTAINER = EXAMPLE_ORGANIZATIONS[Role.MAINTENANCE_UNIT]
INSPECTOR = EXAMPLE_ORGANIZATIONS[Role.INSPECTION_INSTITUTE]
USE_UNIT = EXAMPLE_ORGANIZATIONS[Role.USE_UNIT]
REGULATOR = EXAMPLE_ORGANIZATIONS[Role.REGULATOR]
OTHER_MAINTAINER = make_uscc("91430900MA4L00009")
OTHER_BUILDER = make_uscc("91430900MA4L00011")
OTHER_USE_UNIT = make_uscc("91430902MA4L00010")
CST = timezone(timedelta(hours=8))
DOCS = Path(__file__).resolve().parents[3] / "docs" / "lifecycle.md"

_nonces = itertools.count()


# --- builders -------------------------------------------------------------------------------


def on(y: int, m: int, d: int, hour: int = 10, minute: int = 0) -> datetime:
    """An instant in China Standard Time, as statements usually carry it."""
    return datetime(y, m, d, hour, minute, tzinfo=CST)


def stmt(name: str, when: datetime, issuer: str | None = None, **data: Any) -> Statement:
    """The catalogue example for ``name`` at ``when``, with ``data`` fields overridden."""
    raw = example_statement(name)
    raw["occurred_at"] = when.isoformat()
    raw["nonce"] = f"nonce-{next(_nonces):010d}"
    if issuer is not None:
        raw["issuer"] = issuer
    raw["data"].update(data)
    return Statement.model_validate(raw)


def accept(state: ElevatorState, *stmts: Statement) -> ElevatorState:
    """Check and apply each statement, recorded when it occurred."""
    for s in stmts:
        check_elevator_statement(state, s, recorded_at=s.occurred_at)
        state = evolve_elevator(state, s)
    return state


def rule_broken(state: ElevatorState, s: Statement, recorded_at: datetime | None = None) -> str:
    """The rule ``s`` breaks (it must break one), after checking the state was left alone."""
    before = copy.deepcopy(state)
    with pytest.raises(RuleViolation) as info:
        check_elevator_statement(state, s, recorded_at or s.occurred_at)
    assert state == before
    assert info.value.rule in RULES, f"undocumented rule id {info.value.rule}"
    assert info.value.message and "\n" not in info.value.message
    return info.value.rule


def manufactured() -> ElevatorState:
    return accept(ElevatorState.empty(CODE), stmt("elevator.manufactured", on(2015, 3, 12)))


def installed() -> ElevatorState:
    """Installed and self-checked; the supervisory inspection is due."""
    return accept(
        manufactured(),
        stmt("construction.notified", on(2015, 9, 1), kind="installation"),
        stmt("construction.completed", on(2016, 4, 20), kind="installation"),
    )


def supervisory(when: datetime, conclusion: str = "pass") -> Statement:
    return stmt("inspection.concluded", when, kind="supervisory", conclusion=conclusion)


def inspected() -> ElevatorState:
    return accept(installed(), supervisory(on(2016, 5, 10)))


def registered() -> ElevatorState:
    return accept(inspected(), stmt("registration.issued", on(2016, 5, 20)))


def contract(
    number: str,
    when: datetime,
    valid_from: date,
    valid_to: date,
    maintainer: str = MAINTAINER,
    use_unit: str = USE_UNIT,
) -> Statement:
    return stmt(
        "maintenance_contract.signed",
        when,
        issuer=maintainer,
        contract_number=number,
        maintenance_unit=maintainer,
        use_unit=use_unit,
        valid_from=valid_from.isoformat(),
        valid_to=valid_to.isoformat(),
    )


def under_contract() -> ElevatorState:
    """Registered, with contract WB-1 in force from 2016-06-01 to 2019-05-31."""
    return accept(
        registered(), contract("WB-1", on(2016, 6, 1), date(2016, 6, 1), date(2019, 5, 31))
    )


def visit(visit_id: str, when: datetime, issuer: str = MAINTAINER) -> Statement:
    return stmt("maintenance.performed", when, issuer=issuer, visit_id=visit_id)


def stopped(when: datetime = on(2017, 1, 10)) -> ElevatorState:
    return accept(under_contract(), stmt("use.stopped", when))


# --- the whole life -------------------------------------------------------------------------


def test_one_elevator_from_manufacture_to_cancelled_registration() -> None:
    s = ElevatorState.empty(CODE)
    assert s.lifecycle is None

    s = accept(s, stmt("elevator.manufactured", on(2015, 3, 12)))
    assert (s.lifecycle, s.category) == (Lifecycle.MANUFACTURED, "3110")
    s = accept(s, stmt("elevator.sold", on(2015, 4, 1)))

    s = accept(s, stmt("construction.notified", on(2015, 9, 1), kind="installation"))
    assert s.lifecycle is Lifecycle.UNDER_CONSTRUCTION
    assert s.construction is not None and s.construction.unit == BUILDER
    s = accept(s, stmt("construction.completed", on(2016, 4, 20), kind="installation"))
    assert s.lifecycle is Lifecycle.AWAITING_INSPECTION and s.awaiting_supervisory

    s = accept(s, supervisory(on(2016, 5, 5), "fail"))
    assert s.failed_inspection_open is not None
    assert s.lifecycle is Lifecycle.AWAITING_INSPECTION
    s = accept(
        s,
        stmt("inspection.concluded", on(2016, 5, 20), kind="re_inspection", conclusion="pass"),
    )
    assert s.lifecycle is Lifecycle.INSPECTED and s.failed_inspection_open is None
    assert s.construction is None and s.last_supervisory_pass_at == on(2016, 5, 20)

    s = accept(s, stmt("registration.issued", on(2016, 5, 25)))
    assert s.lifecycle is Lifecycle.IN_SERVICE and registered_use_unit(s) == USE_UNIT
    s = accept(s, stmt("rescue_code.assigned", on(2016, 5, 26)))
    assert s.rescue_code == "035302"

    s = accept(s, contract("WB-1", on(2016, 6, 1), date(2016, 6, 1), date(2026, 5, 31)))
    assert maintenance_unit_on(s, date(2020, 1, 1)) == MAINTAINER
    s = accept(s, visit("V-1", on(2016, 6, 10)))
    assert s.visits == {"V-1": False}
    s = accept(s, stmt("maintenance.confirmed", on(2016, 6, 12), visit_id="V-1"))
    assert s.visits == {"V-1": True}

    s = accept(s, stmt("fault.reported", on(2016, 7, 1), fault_id="F-1"))
    assert "F-1" in s.open_faults
    s = accept(s, stmt("fault.cleared", on(2016, 7, 1, 12), fault_id="F-1"))
    assert not s.open_faults

    s = accept(
        s,
        stmt(
            "rescue.alarm",
            on(2016, 7, 2, 19),
            rescue_id="R-1",
            alarm_at="2016-07-02T19:00:00+08:00",
        ),
        stmt(
            "rescue.dispatched",
            on(2016, 7, 2, 19, 1),
            rescue_id="R-1",
            dispatched_at="2016-07-02T19:01:00+08:00",
        ),
        stmt(
            "rescue.arrived",
            on(2016, 7, 2, 19, 15),
            rescue_id="R-1",
            arrived_at="2016-07-02T19:15:00+08:00",
        ),
        stmt(
            "rescue.released",
            on(2016, 7, 2, 19, 20),
            rescue_id="R-1",
            released_at="2016-07-02T19:20:00+08:00",
        ),
    )
    assert s.rescues["R-1"].stage is RescueStage.RELEASED

    s = accept(s, stmt("inspection.concluded", on(2017, 5, 10), kind="periodic"))
    assert s.last_periodic_pass_at == on(2017, 5, 10)

    s = accept(s, stmt("use.stopped", on(2018, 1, 1)))
    assert s.lifecycle is Lifecycle.STOPPED
    s = accept(s, stmt("use.resumed", on(2018, 2, 1)))
    assert s.lifecycle is Lifecycle.IN_SERVICE and s.stopped_at is None

    s = accept(
        s,
        stmt("construction.notified", on(2019, 3, 1), kind="modification"),
        stmt("construction.completed", on(2019, 4, 1), kind="modification"),
    )
    assert s.lifecycle is Lifecycle.AWAITING_INSPECTION
    s = accept(s, visit("V-2", on(2019, 4, 5)))  # maintenance goes on while awaiting inspection
    s = accept(s, supervisory(on(2019, 4, 15)))
    assert s.lifecycle is Lifecycle.IN_SERVICE
    s = accept(
        s,
        stmt(
            "registration.changed",
            on(2019, 4, 20),
            reason="modification",
            certificate_number="梯11湘H3622(19)",
        ),
    )
    assert s.registration is not None and s.registration.certificate_number == "梯11湘H3622(19)"

    s = accept(
        s,
        stmt("hazard.listed", on(2020, 6, 1), hazard_id="H-1", deadline="2020-06-30"),
        stmt("rectification.ordered", on(2020, 6, 2), order_id="Z-1", hazard_id="H-1"),
        stmt("rectification.completed", on(2020, 6, 20), order_id="Z-1"),
        stmt("hazard.closed", on(2020, 6, 25), hazard_id="H-1"),
        stmt("supervision.checked", on(2020, 7, 1)),
        stmt("penalty.imposed", on(2020, 7, 2)),
        stmt("complaint.received", on(2021, 3, 1), complaint_id="C-1"),
        stmt("complaint.resolved", on(2021, 3, 5), complaint_id="C-1"),
        stmt(
            "insurance.policy_issued",
            on(2022, 1, 1),
            policy_number="P-1",
            valid_from="2022-01-01",
            valid_to="2022-12-31",
        ),
        stmt("insurance.claim_paid", on(2022, 5, 1), policy_number="P-1", rescue_id=None),
    )
    assert not s.hazards["H-1"].is_open and not s.rectification_orders["Z-1"].is_open
    assert not s.open_complaints and s.insurance_policies == {"P-1": date(2022, 12, 31)}

    s = accept(
        s,
        stmt("assessment.concluded", on(2031, 5, 1), conclusion="scrap"),
        stmt("elevator.scrapped", on(2031, 6, 30)),
    )
    assert s.lifecycle is Lifecycle.SCRAPPED
    s = accept(s, stmt("registration.cancelled", on(2031, 7, 10)))
    assert s.lifecycle is Lifecycle.CANCELLED and s.registration is None


def test_a_relocated_elevator_is_inspected_then_re_registered() -> None:
    s = accept(
        under_contract(),
        stmt("construction.notified", on(2018, 3, 1), kind="relocation"),
        stmt("construction.completed", on(2018, 4, 1), kind="relocation"),
        supervisory(on(2018, 4, 10)),
    )
    assert s.lifecycle is Lifecycle.INSPECTED
    s = accept(s, stmt("registration.changed", on(2018, 4, 12), reason="relocation"))
    assert s.lifecycle is Lifecycle.IN_SERVICE


def test_a_major_repair_pass_puts_a_stopped_elevator_back_in_service() -> None:
    s = accept(
        stopped(),
        stmt("construction.notified", on(2017, 2, 1), kind="major_repair"),
        stmt("construction.completed", on(2017, 3, 1), kind="major_repair"),
        supervisory(on(2017, 3, 10)),
    )
    assert s.lifecycle is Lifecycle.IN_SERVICE and s.stopped_at is None


# --- 1. existence ---------------------------------------------------------------------------


def test_nothing_is_recorded_about_an_elevator_never_manufactured() -> None:
    empty = ElevatorState.empty(CODE)
    assert rule_broken(empty, stmt("elevator.sold", on(2015, 4, 1))) == "elevator-unknown"


def test_an_elevator_is_manufactured_only_once() -> None:
    again = stmt("elevator.manufactured", on(2015, 3, 13))
    assert rule_broken(manufactured(), again) == "already-manufactured"


def test_a_statement_about_another_elevator_is_refused() -> None:
    other = ElevatorState.empty("311023010201500099")
    assert (
        rule_broken(other, stmt("elevator.manufactured", on(2015, 3, 12)))
        == "statement-for-another-elevator"
    )


# --- 2. time --------------------------------------------------------------------------------


def test_nothing_happens_before_manufacture() -> None:
    early = stmt("elevator.sold", on(2015, 3, 11))
    assert rule_broken(manufactured(), early) == "before-manufacture"


def test_a_statement_may_not_claim_to_have_happened_in_the_future() -> None:
    now = on(2016, 1, 1)
    ahead = stmt("elevator.sold", now + CLOCK_SKEW + timedelta(seconds=1))
    assert rule_broken(manufactured(), ahead, recorded_at=now) == "occurred-in-the-future"
    within = stmt("elevator.sold", now + CLOCK_SKEW)
    check_elevator_statement(manufactured(), within, recorded_at=now)


# --- 3. terminal states ---------------------------------------------------------------------


def test_after_scrapping_only_the_registration_can_be_cancelled() -> None:
    s = accept(registered(), stmt("elevator.scrapped", on(2031, 6, 30)))
    assert rule_broken(s, stmt("supervision.checked", on(2031, 7, 1))) == "elevator-scrapped"
    accept(s, stmt("registration.cancelled", on(2031, 7, 2)))


def test_after_cancellation_nothing_is_recorded() -> None:
    s = accept(registered(), stmt("registration.cancelled", on(2020, 1, 1)))
    assert rule_broken(s, stmt("supervision.checked", on(2020, 2, 1))) == "elevator-cancelled"


# --- 4. construction ------------------------------------------------------------------------


def test_an_installation_is_only_for_a_newly_manufactured_elevator() -> None:
    again = stmt("construction.notified", on(2017, 1, 1), kind="installation")
    assert rule_broken(registered(), again) == "installation-needs-new-elevator"


def test_modification_repair_and_relocation_need_a_registered_elevator() -> None:
    for kind in ("modification", "major_repair", "relocation"):
        early = stmt("construction.notified", on(2015, 9, 1), kind=kind)
        assert rule_broken(manufactured(), early) == "construction-needs-registration"


def test_only_one_construction_is_open_at_a_time() -> None:
    s = accept(registered(), stmt("construction.notified", on(2018, 1, 1), kind="modification"))
    second = stmt("construction.notified", on(2018, 1, 2), kind="major_repair")
    assert rule_broken(s, second) == "one-construction-at-a-time"


def test_a_construction_is_completed_only_after_it_was_notified() -> None:
    done = stmt("construction.completed", on(2016, 4, 20), kind="installation")
    assert rule_broken(manufactured(), done) == "construction-not-open"
    assert rule_broken(installed(), done) == "construction-not-open"  # completed already


def test_the_completed_construction_is_the_notified_kind() -> None:
    s = accept(manufactured(), stmt("construction.notified", on(2015, 9, 1), kind="installation"))
    wrong = stmt("construction.completed", on(2016, 4, 20), kind="modification")
    assert rule_broken(s, wrong) == "construction-kind-mismatch"


def test_only_the_construction_unit_that_notified_completes() -> None:
    s = accept(manufactured(), stmt("construction.notified", on(2015, 9, 1), kind="installation"))
    other = stmt("construction.completed", on(2016, 4, 20), issuer=OTHER_BUILDER)
    assert rule_broken(s, other) == "construction-unit-mismatch"


# --- 5. inspection --------------------------------------------------------------------------


def test_a_supervisory_inspection_needs_a_completed_construction() -> None:
    s = accept(manufactured(), stmt("construction.notified", on(2015, 9, 1), kind="installation"))
    assert (
        rule_broken(s, supervisory(on(2016, 1, 1))) == "supervisory-inspection-without-construction"
    )
    failed = accept(installed(), supervisory(on(2016, 5, 5), "fail"))
    assert (
        rule_broken(failed, supervisory(on(2016, 5, 6)))
        == "supervisory-inspection-without-construction"
    )


def test_a_re_inspection_needs_an_open_failed_inspection() -> None:
    re = stmt("inspection.concluded", on(2017, 5, 10), kind="re_inspection")
    assert rule_broken(registered(), re) == "re-inspection-without-failure"


def test_periodic_inspections_and_self_tests_need_a_registered_elevator() -> None:
    for kind in ("periodic", "self_test"):
        periodic = stmt("inspection.concluded", on(2016, 5, 15), kind=kind)
        assert rule_broken(inspected(), periodic) == "inspection-needs-registration"


def test_a_failed_periodic_inspection_is_closed_by_a_passing_re_inspection() -> None:
    s = accept(
        registered(),
        stmt("inspection.concluded", on(2017, 5, 10), conclusion="fail", kind="periodic"),
    )
    assert s.failed_inspection_open is not None
    s = accept(s, stmt("inspection.concluded", on(2017, 5, 30), kind="re_inspection"))
    assert s.failed_inspection_open is None and s.last_periodic_pass_at == on(2017, 5, 30)


# --- 6. registration ------------------------------------------------------------------------


def test_registration_requires_a_passed_supervisory_inspection() -> None:
    issue = stmt("registration.issued", on(2016, 5, 20))
    assert rule_broken(installed(), issue) == "registration-requires-supervisory-pass"
    failed = accept(installed(), supervisory(on(2016, 5, 5), "fail"))
    assert rule_broken(failed, issue) == "registration-requires-supervisory-pass"


def test_a_registered_elevator_is_not_registered_again() -> None:
    again = stmt("registration.issued", on(2017, 1, 1))
    assert rule_broken(registered(), again) == "already-registered"


def test_only_an_existing_registration_changes() -> None:
    change = stmt("registration.changed", on(2016, 5, 20), reason="use_unit_change")
    assert rule_broken(inspected(), change) == "registration-change-without-registration"


def test_a_change_for_relocation_needs_the_relocation_inspected() -> None:
    change = stmt("registration.changed", on(2018, 1, 1), reason="relocation")
    assert rule_broken(registered(), change) == "relocation-change-needs-inspection"
    s = accept(
        registered(),
        stmt("construction.notified", on(2018, 3, 1), kind="relocation"),
        stmt("construction.completed", on(2018, 4, 1), kind="relocation"),
    )
    assert rule_broken(s, change) == "relocation-change-needs-inspection"


def test_only_a_registration_can_be_cancelled() -> None:
    cancel = stmt("registration.cancelled", on(2016, 5, 15))
    assert rule_broken(inspected(), cancel) == "cancellation-without-registration"


# --- 7. maintenance contracts ---------------------------------------------------------------


def test_a_contract_number_is_used_once() -> None:
    again = contract("WB-1", on(2019, 5, 1), date(2019, 6, 1), date(2020, 5, 31))
    assert rule_broken(under_contract(), again) == "contract-number-taken"


def test_a_contract_is_signed_with_the_registered_use_unit() -> None:
    other = contract(
        "WB-2", on(2016, 6, 1), date(2016, 6, 1), date(2017, 5, 31), use_unit=OTHER_USE_UNIT
    )
    assert rule_broken(registered(), other) == "contract-not-with-use-unit"
    accept(inspected(), other)  # before registration there is no use unit to match


def test_one_maintenance_unit_at_a_time() -> None:
    rival = contract(
        "WB-2", on(2018, 1, 1), date(2018, 1, 1), date(2020, 12, 31), maintainer=OTHER_MAINTAINER
    )
    assert rule_broken(under_contract(), rival) == "one-maintenance-unit-at-a-time"
    renewal = contract("WB-2", on(2018, 1, 1), date(2019, 1, 1), date(2021, 12, 31))
    accept(under_contract(), renewal)  # the same maintainer may overlap (renewal)


def test_a_successor_may_start_on_the_day_the_predecessor_is_ended() -> None:
    s = accept(
        under_contract(), stmt("maintenance_contract.ended", on(2018, 3, 1), contract_number="WB-1")
    )
    successor = contract(
        "WB-2", on(2018, 3, 1), date(2018, 3, 1), date(2020, 2, 28), maintainer=OTHER_MAINTAINER
    )
    s = accept(s, successor)
    assert maintenance_unit_on(s, date(2018, 2, 28)) == MAINTAINER
    assert maintenance_unit_on(s, date(2018, 3, 1)) == OTHER_MAINTAINER
    assert active_contract(s, date(2021, 1, 1)) is None
    accept(s, visit("V-last-day", on(2018, 3, 1, 8)))  # the ending day is still covered


def test_only_a_known_contract_ends() -> None:
    end = stmt("maintenance_contract.ended", on(2018, 1, 1), contract_number="WB-9")
    assert rule_broken(under_contract(), end) == "contract-unknown"


def test_a_contract_ends_once() -> None:
    end = stmt("maintenance_contract.ended", on(2018, 1, 1), contract_number="WB-1")
    s = accept(under_contract(), end)
    again = stmt("maintenance_contract.ended", on(2018, 1, 2), contract_number="WB-1")
    assert rule_broken(s, again) == "contract-already-ended"


def test_only_a_party_to_the_contract_ends_it() -> None:
    end = stmt(
        "maintenance_contract.ended",
        on(2018, 1, 1),
        issuer=OTHER_MAINTAINER,
        contract_number="WB-1",
    )
    assert rule_broken(under_contract(), end) == "only-contract-party-ends"
    by_maintainer = stmt(
        "maintenance_contract.ended", on(2018, 1, 1), issuer=MAINTAINER, contract_number="WB-1"
    )
    accept(under_contract(), by_maintainer)


def test_a_new_use_unit_may_end_its_predecessors_contract() -> None:
    s = accept(
        under_contract(),
        stmt(
            "registration.changed",
            on(2018, 1, 1),
            reason="use_unit_change",
            use_unit=OTHER_USE_UNIT,
        ),
    )
    end = stmt(
        "maintenance_contract.ended", on(2018, 1, 2), issuer=OTHER_USE_UNIT, contract_number="WB-1"
    )
    accept(s, end)


# --- 8. maintenance visits ------------------------------------------------------------------


def test_maintenance_is_recorded_only_once_installed() -> None:
    s = accept(
        manufactured(),
        contract("WB-1", on(2015, 4, 1), date(2015, 4, 1), date(2017, 3, 31)),
    )
    assert rule_broken(s, visit("V-1", on(2015, 5, 1))) == "maintenance-before-installation"


def test_maintenance_needs_a_contract_in_force_on_the_day() -> None:
    assert (
        rule_broken(under_contract(), visit("V-1", on(2019, 6, 1)))
        == "maintenance-without-active-contract"
    )
    assert (
        rule_broken(under_contract(), visit("V-1", on(2017, 1, 1), issuer=OTHER_MAINTAINER))
        == "maintenance-without-active-contract"
    )


def test_a_visit_id_is_used_once() -> None:
    s = accept(under_contract(), visit("V-1", on(2016, 6, 10)))
    assert rule_broken(s, visit("V-1", on(2016, 6, 25))) == "visit-id-taken"


def test_only_the_registered_use_unit_confirms_maintenance() -> None:
    s = accept(under_contract(), visit("V-1", on(2016, 6, 10)))
    confirm = stmt("maintenance.confirmed", on(2016, 6, 11), issuer=OTHER_USE_UNIT, visit_id="V-1")
    assert rule_broken(s, confirm) == "only-use-unit-confirms"


def test_only_a_recorded_visit_is_confirmed() -> None:
    confirm = stmt("maintenance.confirmed", on(2016, 6, 11), visit_id="V-9")
    assert rule_broken(under_contract(), confirm) == "visit-unknown"


def test_a_visit_is_confirmed_once() -> None:
    s = accept(
        under_contract(),
        visit("V-1", on(2016, 6, 10)),
        stmt("maintenance.confirmed", on(2016, 6, 11), visit_id="V-1"),
    )
    again = stmt("maintenance.confirmed", on(2016, 6, 12), visit_id="V-1")
    assert rule_broken(s, again) == "visit-already-confirmed"


# --- 9. use ---------------------------------------------------------------------------------


def test_only_the_registered_use_unit_stops_resumes_and_scraps() -> None:
    s = registered()
    for name in ("use.stopped", "elevator.scrapped"):
        assert rule_broken(s, stmt(name, on(2017, 1, 1), issuer=OTHER_USE_UNIT)) == (
            "only-registered-use-unit"
        )
    resume = stmt("use.resumed", on(2017, 2, 1), issuer=OTHER_USE_UNIT)
    assert rule_broken(stopped(), resume) == "only-registered-use-unit"


def test_only_an_elevator_in_service_is_stopped() -> None:
    assert rule_broken(stopped(), stmt("use.stopped", on(2017, 2, 1))) == "stop-only-in-service"


def test_only_a_stopped_elevator_resumes() -> None:
    resume = stmt("use.resumed", on(2017, 2, 1))
    assert rule_broken(registered(), resume) == "resume-only-when-stopped"


def test_a_failed_elevator_must_not_run() -> None:
    s = accept(
        stopped(),
        stmt("inspection.concluded", on(2017, 5, 10), kind="periodic", conclusion="fail"),
    )
    resume = stmt("use.resumed", on(2017, 6, 1))
    assert rule_broken(s, resume) == "failed-elevator-must-not-run"


def test_a_restart_after_more_than_a_year_needs_a_periodic_inspection_pass() -> None:
    s = stopped(on(2017, 1, 10))
    late = stmt("use.resumed", on(2018, 1, 10, 10, 1))
    assert rule_broken(s, late) == "restart-after-a-year-needs-inspection"
    accept(s, stmt("use.resumed", on(2018, 1, 10)))  # exactly a year: no inspection needed
    inspected_again = accept(s, stmt("inspection.concluded", on(2017, 12, 20), kind="periodic"))
    accept(inspected_again, late)


# --- 10. faults and rescue ------------------------------------------------------------------


def test_a_fault_id_is_not_reported_twice_while_open() -> None:
    s = accept(under_contract(), stmt("fault.reported", on(2017, 1, 1), fault_id="F-1"))
    assert (
        rule_broken(s, stmt("fault.reported", on(2017, 1, 2), fault_id="F-1"))
        == "fault-already-open"
    )


def test_only_an_open_fault_is_cleared() -> None:
    clear = stmt("fault.cleared", on(2017, 1, 1), fault_id="F-1")
    assert rule_broken(under_contract(), clear) == "fault-not-open"


def _alarm(rescue_id: str = "R-1") -> Statement:
    return stmt(
        "rescue.alarm",
        on(2017, 1, 1, 19),
        rescue_id=rescue_id,
        alarm_at="2017-01-01T19:00:00+08:00",
    )


def _arrived(at: str = "2017-01-01T19:15:00+08:00") -> Statement:
    return stmt("rescue.arrived", on(2017, 1, 1, 19, 15), rescue_id="R-1", arrived_at=at)


def test_a_rescue_id_is_used_once() -> None:
    s = accept(registered(), _alarm())
    assert rule_broken(s, _alarm()) == "rescue-id-taken"


def test_rescue_steps_need_an_open_rescue() -> None:
    assert rule_broken(registered(), _arrived()) == "rescue-not-open"
    released = stmt(
        "rescue.released",
        on(2017, 1, 1, 19, 20),
        rescue_id="R-1",
        released_at="2017-01-01T19:20:00+08:00",
    )
    s = accept(registered(), _alarm(), _arrived(), released)
    assert rule_broken(s, released) == "rescue-not-open"


def test_rescue_steps_come_in_order() -> None:
    release = stmt(
        "rescue.released",
        on(2017, 1, 1, 19, 20),
        rescue_id="R-1",
        released_at="2017-01-01T19:20:00+08:00",
    )
    s = accept(registered(), _alarm())
    assert rule_broken(s, release) == "rescue-out-of-order"  # nobody arrived yet
    dispatched = stmt(
        "rescue.dispatched",
        on(2017, 1, 1, 19, 16),
        rescue_id="R-1",
        dispatched_at="2017-01-01T19:16:00+08:00",
    )
    assert rule_broken(accept(s, _arrived()), dispatched) == "rescue-out-of-order"


def test_rescue_times_do_not_go_backwards() -> None:
    s = accept(registered(), _alarm())
    assert rule_broken(s, _arrived("2017-01-01T18:59:00+08:00")) == "rescue-times-go-backwards"


# --- 11. hazards and rectification ----------------------------------------------------------


def _hazard(when: datetime = on(2017, 1, 1)) -> Statement:
    return stmt("hazard.listed", when, hazard_id="H-1")


def test_a_hazard_id_is_used_once() -> None:
    s = accept(registered(), _hazard(), stmt("hazard.closed", on(2017, 2, 1), hazard_id="H-1"))
    assert rule_broken(s, _hazard(on(2017, 3, 1))) == "hazard-id-taken"


def test_only_an_open_hazard_is_closed() -> None:
    close = stmt("hazard.closed", on(2017, 2, 1), hazard_id="H-1")
    assert rule_broken(registered(), close) == "hazard-not-open"
    assert rule_broken(accept(registered(), _hazard(), close), close) == ("hazard-not-open")


def test_an_order_id_is_used_once() -> None:
    order = stmt("rectification.ordered", on(2017, 1, 2), order_id="Z-1", hazard_id=None)
    s = accept(registered(), order)
    assert rule_broken(s, order) == "order-id-taken"


def test_a_rectification_order_refers_to_an_open_hazard() -> None:
    order = stmt("rectification.ordered", on(2017, 1, 2), order_id="Z-1", hazard_id="H-1")
    assert rule_broken(registered(), order) == "rectification-hazard-not-open"
    accept(registered(), _hazard(), order)


def test_only_an_open_order_is_completed() -> None:
    done = stmt("rectification.completed", on(2017, 1, 20), order_id="Z-1")
    assert rule_broken(registered(), done) == "order-not-open"


# --- 12. complaints and insurance -----------------------------------------------------------


def test_only_an_open_complaint_is_resolved() -> None:
    resolve = stmt("complaint.resolved", on(2017, 1, 5), complaint_id="C-1")
    assert rule_broken(registered(), resolve) == "complaint-not-open"


def test_a_claim_is_paid_under_a_known_policy() -> None:
    claim = stmt("insurance.claim_paid", on(2017, 1, 5), policy_number="P-9")
    assert rule_broken(registered(), claim) == "insurance-policy-unknown"


# --- 13. the rest needs only existence and time ---------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "elevator.sold",
        "rescue_code.assigned",
        "supervision.checked",
        "penalty.imposed",
        "assessment.concluded",
        "complaint.received",
    ],
)
def test_statements_without_their_own_rules_need_only_an_existing_elevator(name: str) -> None:
    assert rule_broken(ElevatorState.empty(CODE), stmt(name, on(2015, 4, 1))) == (
        "elevator-unknown"
    )
    accept(manufactured(), stmt(name, on(2015, 4, 1)))


# --- the rules as documentation -------------------------------------------------------------


def test_every_rule_is_documented_for_integrators() -> None:
    text = DOCS.read_text(encoding="utf-8")
    missing = [rule for rule in RULES if f"`{rule}`" not in text]
    assert not missing, f"docs/lifecycle.md does not explain {missing}"


def test_every_rule_has_a_specification() -> None:
    here = Path(__file__).parent
    tests = "".join(p.read_text(encoding="utf-8") for p in here.glob("test_*.py"))
    specified = set(re.findall(r'"([a-z]+(?:-[a-z]+)+)"', tests))
    assert not set(RULES) - specified, f"rules without a test: {set(RULES) - specified}"


# --- property: check guards evolve, and both are pure ---------------------------------------

ELEVATOR_TYPES = sorted(n for n, t in CATALOGUE.items() if t.subject is Subject.ELEVATOR)
#: Statements that usually come next in each lifecycle state.
_NEXT: dict[Lifecycle | None, list[str]] = {
    Lifecycle.MANUFACTURED: ["construction.notified"],
    Lifecycle.UNDER_CONSTRUCTION: ["construction.completed"],
    Lifecycle.AWAITING_INSPECTION: ["inspection.concluded", "maintenance.performed"],
    Lifecycle.INSPECTED: ["registration.issued", "registration.changed"],
    Lifecycle.IN_SERVICE: [
        "construction.notified",
        "inspection.concluded",
        "maintenance_contract.signed",
        "maintenance_contract.ended",
        "maintenance.performed",
        "maintenance.confirmed",
        "registration.changed",
        "use.stopped",
    ]
    * 3
    + ["maintenance_contract.signed"] * 6
    + ["elevator.scrapped"],
    Lifecycle.STOPPED: ["use.resumed", "construction.notified", "inspection.concluded"],
    Lifecycle.SCRAPPED: ["registration.cancelled"],
}
IDS = st.sampled_from(["A", "B"])
PARTIES = [MAINTAINER, OTHER_MAINTAINER, USE_UNIT, OTHER_USE_UNIT, BUILDER, OTHER_BUILDER]
_ID_FIELDS = (
    "visit_id",
    "fault_id",
    "rescue_id",
    "hazard_id",
    "order_id",
    "complaint_id",
    "policy_number",
    "contract_number",
)
_INSTANT_FIELDS = ("alarm_at", "dispatched_at", "arrived_at", "released_at")


@st.composite
def random_statement(draw: st.DrawFn, when: datetime, state: ElevatorState) -> Statement:
    """A catalogue example with random ids, kinds and parties; half of the time fitted to
    ``state`` (the open construction's kind and unit, the registered use unit...) so that random
    histories get past the first steps."""
    fit = draw(st.booleans())
    name = draw(st.sampled_from(_NEXT.get(state.lifecycle) or ELEVATOR_TYPES))
    if not fit:
        name = draw(st.sampled_from(ELEVATOR_TYPES))
    raw = example_statement(name)
    data = raw["data"]
    raw["issuer"] = draw(st.sampled_from([raw["issuer"]] * 6 + PARTIES))
    for key in _ID_FIELDS:
        if key in data:
            data[key] = draw(IDS)
    for key in _INSTANT_FIELDS:
        if key in data and name != "maintenance.performed":
            data[key] = (when + timedelta(minutes=draw(st.integers(-5, 5)))).isoformat()
    if name.startswith("construction."):
        data["kind"] = draw(st.sampled_from([k.value for k in ConstructionKind]))
    elif name == "inspection.concluded":
        data["kind"] = draw(st.sampled_from([k.value for k in InspectionKind]))
        data["conclusion"] = draw(st.sampled_from(["pass", "pass", "fail"]))
    elif name == "registration.changed":
        data["reason"] = draw(st.sampled_from(["relocation", "use_unit_change", "other"]))
        data["use_unit"] = draw(st.sampled_from([USE_UNIT, OTHER_USE_UNIT]))
    elif name == "registration.issued":
        data["use_unit"] = draw(st.sampled_from([USE_UNIT, OTHER_USE_UNIT]))
    elif name == "maintenance_contract.signed":
        raw["issuer"] = data["maintenance_unit"] = draw(
            st.sampled_from([MAINTAINER, OTHER_MAINTAINER])
        )
        data["use_unit"] = draw(st.sampled_from([USE_UNIT, OTHER_USE_UNIT]))
        start = when.date() - timedelta(days=draw(st.integers(0, 30)))
        data["valid_from"] = start.isoformat()
        data["valid_to"] = (start + timedelta(days=draw(st.integers(0, 900)))).isoformat()
    elif name == "rectification.ordered":
        data["hazard_id"] = draw(st.sampled_from([None, "A", "B"]))
    if fit:
        _fit(raw, state, when)
    raw["occurred_at"] = when.isoformat()
    raw["nonce"] = f"nonce-{next(_nonces):010d}"
    return Statement.model_validate(raw)


def _fit(raw: dict[str, Any], state: ElevatorState, when: datetime) -> None:
    """Make the parties and kinds of ``raw`` those the elevator's history expects."""
    name, data = raw["type"], raw["data"]
    use_unit = registered_use_unit(state)
    if name == "construction.notified" and state.lifecycle is Lifecycle.MANUFACTURED:
        raw["issuer"], data["kind"] = BUILDER, "installation"
    elif name == "construction.completed" and state.construction is not None:
        raw["issuer"], data["kind"] = state.construction.unit, state.construction.kind.value
    elif name == "inspection.concluded":
        if state.awaiting_supervisory:
            data["kind"] = "supervisory"
        elif state.failed_inspection_open is not None:
            data["kind"] = "re_inspection"
    elif name == "registration.changed" and state.lifecycle is Lifecycle.INSPECTED:
        data["reason"] = "relocation"
    elif name in ("use.stopped", "use.resumed", "elevator.scrapped", "maintenance.confirmed"):
        raw["issuer"] = use_unit or raw["issuer"]
    elif name == "maintenance_contract.signed":
        data["use_unit"] = use_unit or data["use_unit"]
    elif name == "maintenance.performed":
        raw["issuer"] = maintenance_unit_on(state, when.date()) or raw["issuer"]
        data["visit_id"] = f"V-{len(state.visits)}"
    if name == "maintenance.confirmed" and state.visits:
        data["visit_id"] = sorted(state.visits)[-1]


def _invariants(s: ElevatorState) -> None:
    if s.lifecycle in (Lifecycle.IN_SERVICE, Lifecycle.STOPPED):
        assert s.registration is not None
    if s.lifecycle is Lifecycle.STOPPED:
        assert s.stopped_at is not None
    if s.stopped_at is not None:
        assert s.lifecycle in (Lifecycle.STOPPED, Lifecycle.SCRAPPED, Lifecycle.CANCELLED)
    if s.lifecycle is Lifecycle.UNDER_CONSTRUCTION:
        assert s.construction is not None and s.construction.completed_at is None
    if s.construction is not None:
        assert s.lifecycle in (Lifecycle.UNDER_CONSTRUCTION, Lifecycle.AWAITING_INSPECTION)
    if s.awaiting_supervisory:
        assert s.lifecycle is Lifecycle.AWAITING_INSPECTION
    if s.lifecycle is Lifecycle.CANCELLED:
        assert s.registration is None


def _submit(state: ElevatorState, s: Statement, recorded_at: datetime) -> ElevatorState | None:
    """The next state if ``s`` is accepted, else None; either way ``state`` is untouched."""
    before = copy.deepcopy(state)
    try:
        check_elevator_statement(state, s, recorded_at)
    except RuleViolation as violation:
        assert violation.rule in RULES
        assert state == before
        return None
    after = evolve_elevator(state, s)
    assert state == before
    _invariants(after)
    return after


@settings(max_examples=300, deadline=None)
@given(st.data(), st.lists(st.integers(0, 120), min_size=1, max_size=60))
def test_check_guards_evolve_and_a_rejected_statement_changes_nothing(
    data: st.DataObject, gaps: list[int]
) -> None:
    """Each step submits up to 8 random statements until one is accepted, so that histories
    reach deep into the lifecycle while most statements still get rejected."""
    state = accept(ElevatorState.empty(CODE), stmt("elevator.manufactured", on(2015, 3, 12)))
    when = on(2015, 3, 12)
    for gap in gaps:
        when += timedelta(days=gap)
        for _ in range(data.draw(st.integers(1, 8))):
            after = _submit(state, data.draw(random_statement(when, state)), recorded_at=when)
            if after is not None:
                state = after
                break
