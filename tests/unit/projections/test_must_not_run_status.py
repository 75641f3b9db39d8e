"""The must-not-run overlays in the folded status (projections/status.py): each with the entry
that proves it, its flag, and the reasons :func:`illegal_use` gives (docs/lifecycle.md, "Must
not run"). Folded here without a database; tests/integration/projections has the work list."""

from __future__ import annotations

from datetime import date, datetime

from domain.model.catalogue import Statement
from projections.status import ElevatorStatus, Fold, flags, from_json, illegal_use, to_json
from tests.unit.domain.test_elevator_lifecycle import CODE, contract, on, stmt, supervisory


def fold(*stmts: Statement) -> Fold:
    """The fold of ``stmts``, entry i at log index 100 + i with hash ``h<i>``."""
    f = Fold.start(CODE)
    for i, s in enumerate(stmts):
        f.apply(s, i + 1, f"h{i}", 100 + i, s.occurred_at, late=False)
    return f


def installed() -> list[Statement]:
    return [
        stmt("elevator.manufactured", on(2015, 3, 12)),
        stmt("construction.notified", on(2015, 9, 1), kind="installation"),
        stmt("construction.completed", on(2016, 4, 20), kind="installation"),
    ]


def registered() -> list[Statement]:
    return [
        *installed(),
        supervisory(on(2016, 5, 10)),
        stmt("registration.issued", on(2016, 5, 20)),
        contract("WB-1", on(2016, 6, 1), date(2016, 6, 1), date(2019, 5, 31)),
    ]


def fail(kind: str, when: datetime) -> Statement:
    return stmt("inspection.concluded", when, kind=kind, conclusion="fail")


def reasons(s: ElevatorStatus, today: date) -> list[str]:
    return [r for r, _ in illegal_use(s, flags(s, today), today)]


def test_a_failed_periodic_inspection_is_flagged_must_not_run_with_its_first_failing_entry() -> (
    None
):
    base = registered()
    f = fold(*base, fail("periodic", on(2017, 5, 10)), fail("re_inspection", on(2017, 5, 30)))
    s, n = f.status, len(base)
    assert s.lifecycle == "in_service"
    assert s.failed_periodic == (
        "inspection.concluded",
        on(2017, 5, 10).isoformat(),
        100 + n,
        f"h{n}",
    )
    assert s.must_not_run_since == on(2017, 5, 10)
    assert flags(s, date(2017, 6, 1))["must_not_run"]
    assert not flags(s, date(2017, 6, 1))["illegal_use"]  # no evidence of use: not on the list
    f.apply(
        stmt("inspection.concluded", on(2017, 6, 20), kind="re_inspection"),
        99,
        "hp",
        999,
        on(2017, 6, 20),
        late=False,
    )
    assert (
        f.status.failed_periodic is None and not flags(f.status, date(2017, 7, 1))["must_not_run"]
    )


def test_a_rescue_after_the_failure_puts_the_lift_on_the_illegal_use_list_with_both_entries() -> (
    None
):
    base = [*registered(), fail("periodic", on(2017, 5, 10))]
    s = fold(*base, stmt("rescue.alarm", on(2017, 5, 20), rescue_id="R-1")).status
    n = len(base)
    assert s.used_while_failed == ("rescue.alarm", on(2017, 5, 20).isoformat(), 100 + n, f"h{n}")
    assert flags(s, date(2017, 6, 1))["used_while_failed"]
    assert flags(s, date(2017, 6, 1))["illegal_use"]
    [(reason, proofs)] = illegal_use(s, flags(s, date(2017, 6, 1)), date(2017, 6, 1))
    assert reason == "failed-in-use" and proofs == (s.failed_periodic, s.used_while_failed)


def test_use_of_an_inspected_lift_before_registration_is_illegal_after_thirty_days() -> None:
    base = [*installed(), supervisory(on(2016, 5, 10))]
    s = fold(*base, stmt("rescue.alarm", on(2016, 5, 12), rescue_id="R-1")).status
    assert s.used_unregistered is not None and s.used_unregistered_while == "inspected"
    assert flags(s, date(2016, 5, 13))["used_unregistered"]
    assert reasons(s, date(2016, 6, 11)) == []  # within 30 days of the first use: allowed
    assert reasons(s, date(2016, 6, 12)) == ["unregistered-use"]


def test_use_before_the_supervisory_inspection_is_illegal_at_once() -> None:
    s = fold(*installed(), stmt("rescue.alarm", on(2016, 4, 25), rescue_id="R-1")).status
    assert s.used_unregistered_while == "awaiting_inspection"
    assert reasons(s, date(2016, 4, 26)) == ["unregistered-use"]


def test_registration_ends_the_listing_but_the_flag_stays() -> None:
    base = [*installed(), supervisory(on(2016, 5, 10))]
    s = fold(
        *base,
        stmt("rescue.alarm", on(2016, 5, 12), rescue_id="R-1"),
        stmt("registration.issued", on(2016, 7, 20)),
    ).status
    assert s.used_unregistered is not None and s.used_unregistered_now is None
    assert flags(s, date(2016, 8, 1))["used_unregistered"]
    assert reasons(s, date(2016, 8, 1)) == []


def test_a_later_spell_unregistered_is_listed_with_its_own_evidence_only() -> None:
    used_early = [
        *installed(),
        stmt("rescue.alarm", on(2016, 4, 25), rescue_id="R-1"),
        supervisory(on(2016, 5, 10)),
        stmt("registration.issued", on(2016, 5, 20)),
        stmt("construction.notified", on(2018, 3, 1), kind="relocation"),
        stmt("construction.completed", on(2018, 4, 1), kind="relocation"),
    ]
    s = fold(*used_early).status
    assert s.used_unregistered is not None and s.used_unregistered[0] == "rescue.alarm"
    assert reasons(s, date(2018, 6, 1)) == []  # the old spell does not list the relocation
    again = fold(*used_early, stmt("rescue.alarm", on(2018, 4, 5), rescue_id="R-2")).status
    n = len(used_early)
    assert again.used_unregistered == s.used_unregistered  # the first ever stays
    assert again.used_unregistered_now == (
        "rescue.alarm",
        on(2018, 4, 5).isoformat(),
        100 + n,
        f"h{n}",
    )
    assert reasons(again, date(2018, 4, 6)) == ["unregistered-use"]  # before its inspection


def modified() -> list[Statement]:
    return [
        *registered(),
        stmt("construction.notified", on(2019, 3, 1), kind="modification"),
        stmt("construction.completed", on(2019, 4, 1), kind="modification"),
        supervisory(on(2019, 4, 15)),
    ]


def test_a_modified_lift_in_service_without_change_registration_is_illegal_after_thirty_days() -> (
    None
):
    base = modified()
    s = fold(*base).status
    n = len(base) - 1
    assert s.change_registration_due == (
        "inspection.concluded",
        on(2019, 4, 15).isoformat(),
        100 + n,
        f"h{n}",
    )
    assert flags(s, date(2019, 4, 16))["modified_without_change_registration"]
    assert reasons(s, date(2019, 5, 15)) == []
    assert reasons(s, date(2019, 5, 16)) == ["modified-without-change-registration"]
    stopped = fold(*base, stmt("use.stopped", on(2019, 4, 20))).status
    assert reasons(stopped, date(2019, 6, 1)) == []  # declared out of use: not used
    changed = fold(
        *base, stmt("registration.changed", on(2019, 6, 1), reason="modification")
    ).status
    assert changed.change_registration_due is None
    assert not flags(changed, date(2019, 6, 2))["modified_without_change_registration"]


def test_a_periodic_year_replaced_by_a_self_test_is_read_from_the_schedule_flag() -> None:
    s = fold(*registered()).status
    today = date(2017, 6, 1)
    assert illegal_use(s, {"self_test_in_periodic_year": True}, today) == [
        ("self-test-in-periodic-year", ())
    ]
    assert illegal_use(s, {}, today) == []  # where the status has no such flag yet
    base = registered()
    tested = fold(*base, stmt("inspection.concluded", on(2017, 5, 2), kind="self_test")).status
    proof = ("inspection.concluded", on(2017, 5, 2).isoformat(), 100 + len(base), f"h{len(base)}")
    assert tested.last_self_test == proof
    assert illegal_use(tested, {"self_test_in_periodic_year": True}, today) == [
        ("self-test-in-periodic-year", (proof,))  # the self-test that stood in is the proof
    ]


def test_a_scrapped_lift_is_on_no_list() -> None:
    base = [*registered(), fail("periodic", on(2017, 5, 10))]
    s = fold(
        *base,
        stmt("rescue.alarm", on(2017, 5, 20), rescue_id="R-1"),
        stmt("elevator.scrapped", on(2017, 6, 1)),
    ).status
    assert reasons(s, date(2017, 6, 2)) == [] and not flags(s, date(2017, 6, 2))["must_not_run"]


def test_the_overlays_survive_the_json_round_trip() -> None:
    base = [*registered(), fail("periodic", on(2017, 5, 10))]
    s = fold(*base, stmt("rescue.alarm", on(2017, 5, 20), rescue_id="R-1")).status
    assert from_json(to_json(s)) == s


def test_a_lift_being_installed_is_in_the_district_its_construction_notice_names() -> None:
    """The notice goes to the bureau where the work is: that bureau sees the lift before it is
    registered; the registration then says where it is used."""
    notice = stmt("construction.notified", on(2015, 9, 1), kind="installation", district="430923")
    f = fold(stmt("elevator.manufactured", on(2015, 3, 12)), notice)
    assert f.status.district == "430923"
    f.apply(
        stmt("registration.issued", on(2016, 5, 20), district="430903"),
        3,
        "h3",
        103,
        on(2016, 5, 20),
        late=False,
    )
    assert f.status.district == "430903"


def test_a_lift_declared_stopped_owes_no_contract_or_policy_until_it_resumes() -> None:
    """无维保合同 and 未投保 are about lifts in use: a stopped lift (停用) owes no visits, so no
    contract either; once it resumes, both are owed again."""
    f = fold(*registered(), stmt("use.stopped", on(2018, 1, 10)))
    assert f.status.lifecycle == "stopped"
    stopped = flags(f.status, date(2020, 1, 1))  # the contract ended 2019-05-31
    assert not stopped["no_maintenance_contract"] and not stopped["uninsured"]
    f.apply(stmt("use.resumed", on(2020, 2, 1)), 99, "hr", 999, on(2020, 2, 1), late=False)
    resumed = flags(f.status, date(2020, 2, 2))
    assert resumed["no_maintenance_contract"] and resumed["uninsured"]
