"""The schedule policies as data, and the history's JSON (the status stores it): pure and fast.
The cases over whole lifts, driven through the write path, the status, the work list, the page
and the replay, are tests/integration/test_inspection_schedule.py."""

from __future__ import annotations

from datetime import date

import pytest

from domain.model.catalogue import ConstructionKind, InspectionKind, RegistrationRegime
from domain.model.inspection_schedule import (
    LEGACY_ANNUAL,
    TSG_T7001_2023,
    InspectionHistory,
    next_obligation,
    policy_for,
)

P, S = InspectionKind.PERIODIC, InspectionKind.SELF_TEST


@pytest.mark.parametrize(
    ("regime", "due", "policy"),
    [
        (RegistrationRegime.LEGACY_ANNUAL, date(2024, 3, 31), LEGACY_ANNUAL),
        (RegistrationRegime.LEGACY_ANNUAL, date(2024, 4, 1), TSG_T7001_2023),  # not frozen
        (RegistrationRegime.TSG_T7001_2023, date(2023, 9, 30), TSG_T7001_2023),  # a pilot lift
        (None, date(2020, 1, 31), LEGACY_ANNUAL),
        (None, date(2025, 1, 31), TSG_T7001_2023),
    ],
)
def test_the_policy_is_the_newest_in_force_on_the_due_date_or_a_newer_registered_one(
    regime: RegistrationRegime | None, due: date, policy: object
) -> None:
    assert policy_for(regime, "430902", due) is policy


def test_t7001_years_1_4_7_9_11_13_15_and_every_year_after_15_are_periodic() -> None:
    kinds = [TSG_T7001_2023.kind_of(year) for year in range(1, 19)]
    assert kinds == [P, S, S, P, S, S, P, S, P, S, P, S, P, S, P, P, P, P]
    assert {LEGACY_ANNUAL.kind_of(year) for year in range(1, 19)} == {P}


def test_early_allowances_periodic_two_months_self_test_one_month() -> None:
    due = date(2023, 9, 30)
    assert TSG_T7001_2023.earliest(due, P) == date(2023, 7, 30)
    assert TSG_T7001_2023.earliest(due, S) == date(2023, 8, 30)


def test_the_history_round_trips_through_json() -> None:
    h = (
        InspectionHistory()
        .supervisory_pass(date(2009, 5, 15), ConstructionKind.INSTALLATION, date(2010, 5, 31))
        .registered(RegistrationRegime.TSG_T7001_2023, "430902")
        .inspection_failed(date(2010, 5, 2), P, date(2010, 6, 2))
        .out_of_use(date(2010, 5, 3))
    )
    assert InspectionHistory.from_json(h.to_json()) == h
    due = next_obligation(h, date(2010, 7, 1))
    assert due is not None and (due.kind, due.due, due.suspended, due.overdue) == (
        InspectionKind.RE_INSPECTION,
        date(2010, 6, 2),
        True,
        False,
    )


def test_nothing_is_due_before_a_supervisory_pass_or_once_retired() -> None:
    assert next_obligation(InspectionHistory(), date(2020, 1, 1)) is None
    passed = InspectionHistory().supervisory_pass(date(2019, 1, 5), None, None)
    assert next_obligation(passed.retire(), date(2020, 1, 1)) is None


def _installed_2022() -> InspectionHistory:
    """Installed and passed 2022-05-10 (T7001-2023): periodic 2023-05, self-tests 2024 and
    2025, periodic 2026-05 (year 4)."""
    return (
        InspectionHistory()
        .supervisory_pass(date(2022, 5, 10), ConstructionKind.INSTALLATION, None)
        .registered(RegistrationRegime.TSG_T7001_2023, "430902")
        .inspection_pass(date(2023, 5, 20), P, None)
        .inspection_pass(date(2024, 5, 20), S, None)
    )


def test_a_self_test_issues_no_use_mark_so_its_next_due_moves_nothing() -> None:
    pushed = _installed_2022().inspection_pass(date(2025, 5, 20), S, date(2099, 12, 31))
    due = next_obligation(pushed, date(2026, 7, 1))
    assert due is not None and (due.kind, due.due, due.overdue) == (P, date(2026, 5, 31), True)


def test_a_use_mark_far_from_the_schedule_is_not_believed() -> None:
    far = _installed_2022().inspection_pass(date(2025, 5, 20), S, None)
    # a periodic inspection's use mark two years after the schedule's date for the next year
    far = far.inspection_pass(date(2026, 5, 20), P, date(2029, 5, 31))
    due = next_obligation(far, date(2027, 7, 1))
    assert due is not None and (due.due, due.overdue) == (date(2027, 5, 31), True)
    near = _installed_2022().inspection_pass(date(2025, 5, 20), S, None)
    near = near.inspection_pass(date(2026, 5, 20), P, date(2027, 4, 30))  # as issued: believed
    assert (due := next_obligation(near, date(2027, 3, 1))) is not None
    assert due.due == date(2027, 4, 30)
