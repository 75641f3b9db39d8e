"""Lifts that must not run (docs/lifecycle.md, "Must not run"), as the domain state has them: a
failed periodic inspection takes the lift out of service until a passing re-inspection; use
before registration and use since a failure are accepted and kept as evidence; a modification's
pass makes a change registration due.

Specification style, with the builders of test_elevator_lifecycle.py."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from domain.model.catalogue import Statement
from domain.model.elevator import ElevatorState, Lifecycle, UseEvidence, out_of_service
from tests.unit.domain.test_elevator_lifecycle import (
    CODE,
    accept,
    contract,
    inspected,
    on,
    registered,
    rule_broken,
    stmt,
    supervisory,
    under_contract,
    visit,
)


def failed() -> ElevatorState:
    """Registered, under contract, and failed its periodic inspection on 2017-05-10."""
    return accept(
        under_contract(),
        stmt("inspection.concluded", on(2017, 5, 10), kind="periodic", conclusion="fail"),
    )


def alarm(rescue_id: str, when: datetime) -> Statement:
    return stmt("rescue.alarm", when, rescue_id=rescue_id)


def modified() -> ElevatorState:
    """Registered; a modification notified, completed and passed on 2019-04-15."""
    return accept(
        under_contract(),
        stmt("construction.notified", on(2019, 3, 1), kind="modification"),
        stmt("construction.completed", on(2019, 4, 1), kind="modification"),
        supervisory(on(2019, 4, 15)),
    )


# --- a failed periodic inspection: out of service -------------------------------------------


def test_a_failed_periodic_inspection_puts_the_lift_out_of_service_till_a_passing_re_check() -> (
    None
):
    s = failed()
    assert s.lifecycle is Lifecycle.IN_SERVICE  # what the use unit declared: an overlay on it
    assert out_of_service(s) is not None
    s = accept(
        s, stmt("inspection.concluded", on(2017, 5, 30), kind="re_inspection", conclusion="fail")
    )
    assert out_of_service(s) is not None
    s = accept(s, stmt("inspection.concluded", on(2017, 6, 20), kind="re_inspection"))
    assert out_of_service(s) is None


def test_a_failed_supervisory_inspection_is_no_periodic_out_of_service() -> None:
    s = accept(
        under_contract(),
        stmt("construction.notified", on(2019, 3, 1), kind="major_repair"),
        stmt("construction.completed", on(2019, 4, 1), kind="major_repair"),
        supervisory(on(2019, 4, 15), "fail"),
    )
    assert s.failed_inspection_open is not None and out_of_service(s) is None
    assert s.lifecycle is Lifecycle.AWAITING_INSPECTION  # not in service anyway


def test_a_failed_lift_may_be_stopped_and_stays_stopped_after_its_re_inspection_passes() -> None:
    s = accept(failed(), stmt("use.stopped", on(2017, 5, 11)))
    assert s.lifecycle is Lifecycle.STOPPED and out_of_service(s) is not None
    assert rule_broken(s, stmt("use.resumed", on(2017, 5, 20))) == "failed-elevator-must-not-run"
    s = accept(s, stmt("inspection.concluded", on(2017, 6, 20), kind="re_inspection"))
    assert s.lifecycle is Lifecycle.STOPPED and out_of_service(s) is None
    s = accept(s, stmt("use.resumed", on(2017, 6, 21)))
    assert s.lifecycle is Lifecycle.IN_SERVICE


# --- evidence of use ------------------------------------------------------------------------


def test_a_rescue_from_a_failed_lift_is_accepted_and_kept_as_evidence_of_use() -> None:
    s = accept(failed(), alarm("R-1", on(2017, 5, 20)), alarm("R-2", on(2017, 5, 25)))
    assert s.failed_inspection_open is not None
    assert s.failed_inspection_open.used == UseEvidence(
        "rescue.alarm", on(2017, 5, 20), Lifecycle.IN_SERVICE
    )  # the first one
    assert s.used_unregistered is None  # registered: this is use while failed, not unregistered
    s = accept(s, stmt("inspection.concluded", on(2017, 6, 20), kind="re_inspection"))
    assert s.failed_inspection_open is None  # the evidence goes with the failure


def test_a_fault_is_evidence_of_use_only_in_passenger_service_or_naming_a_trapped_passenger() -> (
    None
):
    def used_after(**fault: Any) -> bool:
        s = accept(failed(), stmt("fault.reported", on(2017, 5, 20), fault_id="F-1", **fault))
        assert s.failed_inspection_open is not None
        return s.failed_inspection_open.used is not None

    assert used_after(service_mode=1, code="02")  # normal service
    assert used_after(service_mode=3, code="02")  # fire return: a lift in service
    assert not used_after(service_mode=2, code="02")  # 检修: maintenance work
    assert not used_after(service_mode=0, code="02")  # out of service
    assert not used_after(service_mode=7, code="02")  # unknown
    assert used_after(service_mode=2, code="11")  # passenger trapped, whatever the mode


def test_a_maintenance_visit_is_no_evidence_of_use() -> None:
    s = accept(failed(), visit("V-9", on(2017, 5, 20)))
    assert s.failed_inspection_open is not None and s.failed_inspection_open.used is None


def test_use_before_registration_is_accepted_and_its_first_evidence_kept_till_registered() -> None:
    s = accept(inspected(), alarm("R-1", on(2016, 5, 12)))
    first = UseEvidence("rescue.alarm", on(2016, 5, 12), Lifecycle.INSPECTED)
    assert s.used_unregistered == first
    # the maintainer reporting it holds a contract already (a fault is its parties' to report)
    signed = contract("WB-0", on(2016, 5, 13), date(2016, 5, 13), date(2019, 5, 31))
    s = accept(s, signed, stmt("fault.reported", on(2016, 5, 14), fault_id="F-1"))
    assert s.used_unregistered == first
    s = accept(s, stmt("registration.issued", on(2016, 5, 20)), alarm("R-2", on(2016, 6, 1)))
    assert s.used_unregistered is None  # registered: use is allowed, the spell is history


def test_use_during_a_relocation_is_a_spell_of_its_own() -> None:
    s = accept(
        under_contract(),
        stmt("construction.notified", on(2018, 3, 1), kind="relocation"),
        stmt("construction.completed", on(2018, 4, 1), kind="relocation"),
        supervisory(on(2018, 4, 10)),
        alarm("R-1", on(2018, 4, 11)),
    )
    assert s.used_unregistered == UseEvidence("rescue.alarm", on(2018, 4, 11), Lifecycle.INSPECTED)
    s = accept(s, stmt("registration.changed", on(2018, 4, 20), reason="relocation"))
    assert s.used_unregistered is None


def test_before_its_supervisory_pass_only_people_in_the_car_prove_use() -> None:
    s = accept(
        ElevatorState.empty(CODE),
        stmt("elevator.manufactured", on(2015, 3, 12)),
        stmt("construction.notified", on(2015, 9, 1), kind="installation"),
        contract("WB-0", on(2016, 3, 1), date(2016, 3, 1), date(2019, 5, 31)),
        stmt("fault.reported", on(2016, 4, 1), fault_id="F-1", service_mode=1, code="02"),
    )
    assert s.used_unregistered is None  # the installer runs it in normal mode for its checks
    s = accept(s, stmt("fault.reported", on(2016, 4, 2), fault_id="F-2", service_mode=1, code="11"))
    assert s.used_unregistered is not None and s.used_unregistered.type == "fault.reported"


def test_use_before_the_supervisory_inspection_is_kept_with_the_lifecycle_it_had() -> None:
    s = accept(
        ElevatorState.empty(CODE),
        stmt("elevator.manufactured", on(2015, 3, 12)),
        stmt("construction.notified", on(2015, 9, 1), kind="installation"),
        stmt("construction.completed", on(2016, 4, 20), kind="installation"),
        alarm("R-1", on(2016, 4, 25)),
    )
    assert s.used_unregistered is not None
    assert s.used_unregistered.lifecycle is Lifecycle.AWAITING_INSPECTION


# --- modification: a change registration is due ---------------------------------------------


def test_a_modification_pass_makes_a_change_registration_due_until_the_change() -> None:
    s = modified()
    assert s.lifecycle is Lifecycle.IN_SERVICE and s.change_registration_due == on(2019, 4, 15)
    s = accept(s, stmt("registration.changed", on(2019, 4, 20), reason="use_unit_change"))
    assert s.change_registration_due == on(2019, 4, 15)  # another change does not register it
    s = accept(s, stmt("registration.changed", on(2019, 5, 1), reason="modification"))
    assert s.change_registration_due is None


def test_a_major_repair_needs_no_change_registration() -> None:
    s = accept(
        under_contract(),
        stmt("construction.notified", on(2019, 3, 1), kind="major_repair"),
        stmt("construction.completed", on(2019, 4, 1), kind="major_repair"),
        supervisory(on(2019, 4, 15)),
    )
    assert s.lifecycle is Lifecycle.IN_SERVICE and s.change_registration_due is None


def test_a_passing_re_inspection_of_a_failed_modification_makes_the_change_due() -> None:
    s = accept(
        under_contract(),
        stmt("construction.notified", on(2019, 3, 1), kind="modification"),
        stmt("construction.completed", on(2019, 4, 1), kind="modification"),
        supervisory(on(2019, 4, 15), "fail"),
    )
    assert s.change_registration_due is None
    s = accept(s, stmt("inspection.concluded", on(2019, 4, 30), kind="re_inspection"))
    assert s.change_registration_due == on(2019, 4, 30)


def test_a_change_for_modification_needs_a_modification_inspected() -> None:
    change = stmt("registration.changed", on(2019, 5, 1), reason="modification")
    assert rule_broken(registered(), change) == "modification-change-needs-inspection"
    s = accept(
        under_contract(),
        stmt("construction.notified", on(2019, 3, 1), kind="modification"),
        stmt("construction.completed", on(2019, 4, 1), kind="modification"),
    )
    assert rule_broken(s, change) == "modification-change-needs-inspection"
    s = accept(modified(), change)  # after the pass it is accepted, once
    again = stmt("registration.changed", on(2019, 5, 2), reason="modification")
    assert rule_broken(s, again) == "modification-change-needs-inspection"
