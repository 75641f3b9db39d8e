"""The inspection schedule (TSG T7001-2023, T7008-2023; before them, every year) as versioned
policy data, the part of an elevator's history it needs, and the one function that says what is
due: :func:`next_obligation`.

Everything that shows or judges an inspection due date — the public status and its flags, the
regulators' work lists, the QR page and the replay's accountability report — asks
:func:`next_obligation`, so they cannot disagree about one lift. The history
(:class:`InspectionHistory`) is kept in the elevator's domain state and advanced by the lifecycle
modules with the small functions below (each a ``dataclasses.replace``: the write path runs them
on every statement).

How the years are counted (DOMAIN.md, "Inspection"):

* the *years of use* count from the installation supervisory pass, or from a modification pass
  (which restarts the count); obligation *n* falls in calendar year ``count_from.year + n``, at the
  end of the *anchor month*;
* a major repair's or relocation's supervisory pass moves only the anchor month, and stands in
  for the obligation of the year it falls in (that year's periodic inspection is not repeated);
* after more than a year out of use, the periodic inspection before restart re-bases the month
  in the same way;
* an inspection counts for the next obligation from its *window* on (the due date less the
  policy's early allowance for its kind, T7001: periodic 2 months, self-test 1 month), late ones
  too, and does not move the due date; one earlier than the window does not count;
* a self-test never stands in for a periodic year: the periodic stays due and is flagged;
* the use mark's date (使用标志, ``next_due``) of a pass that counted is the due date of the
  obligation that follows it, as the institute issued it;
* a failed periodic (or supervisory) inspection is due again, as a re-inspection, at its
  rectification deadline.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import Enum
from types import MappingProxyType
from typing import Any, Self

from domain.model.catalogue import ConstructionKind, InspectionKind, RegistrationRegime

__all__ = [
    "LEGACY_ANNUAL",
    "NO_INSPECTIONS",
    "SCHEDULE_POLICIES",
    "TSG_T7001_2023",
    "InspectionHistory",
    "InspectionObligation",
    "SchedulePolicy",
    "next_obligation",
    "policy_for",
]


# --- the policies --------------------------------------------------------------------------


@dataclass(frozen=True)
class SchedulePolicy:
    """One inspection schedule: where (GB/T 2260 area-code prefix, ``""`` national) and from when
    it applies, which years of use have a periodic inspection, and how early each kind may be
    done without moving the due date."""

    id: str
    jurisdiction: str
    effective_from: date
    #: years of use with a periodic inspection (self-test in the others); None: every year
    periodic_years: frozenset[int] | None
    #: from the year after this one, every year is a periodic year; None: no such rule
    every_year_after: int | None
    #: months an inspection of each kind may come before its due date and still count for it
    early_months: Mapping[InspectionKind, int]
    #: out of use longer than this many years: the periodic inspection before restart
    #: re-bases the month (TSG 08-2017, T7001-2023)
    restart_after_years: int = 1

    def kind_of(self, year: int) -> InspectionKind:
        """What year ``year`` of use needs: a periodic inspection or a self-test."""
        if self.periodic_years is None:
            return InspectionKind.PERIODIC
        if year in self.periodic_years or (
            self.every_year_after is not None and year > self.every_year_after
        ):
            return InspectionKind.PERIODIC
        return InspectionKind.SELF_TEST

    def earliest(self, due: date, kind: InspectionKind) -> date:
        """The first day an inspection of ``kind`` counts for an obligation due on ``due``."""
        months = self.early_months.get(kind, self.early_months[InspectionKind.PERIODIC])
        return _add_months(due, -months)


#: Before TSG T7001-2023: a periodic inspection every year (the legacy regime, still in much
#: data; in force as far back as the ledger goes). The early allowance is the one the ledger
#: used for it before (2 months) [L].
LEGACY_ANNUAL = SchedulePolicy(
    id=RegistrationRegime.LEGACY_ANNUAL.value,
    jurisdiction="",
    effective_from=date.min,
    periodic_years=None,
    every_year_after=None,
    early_months=MappingProxyType({InspectionKind.PERIODIC: 2}),
)
#: TSG T7001-2023 (periodic in years 1, 4, 7, 9, 11, 13, 15 and every year after the 15th) with
#: TSG T7008-2023 (self-test in the other years, up to one month early), for every lift from
#: 2024-04-01.
TSG_T7001_2023 = SchedulePolicy(
    id=RegistrationRegime.TSG_T7001_2023.value,
    jurisdiction="",
    effective_from=date(2024, 4, 1),
    periodic_years=frozenset({1, 4, 7, 9, 11, 13, 15}),
    every_year_after=15,
    early_months=MappingProxyType({InspectionKind.PERIODIC: 2, InspectionKind.SELF_TEST: 1}),
)
SCHEDULE_POLICIES: tuple[SchedulePolicy, ...] = (LEGACY_ANNUAL, TSG_T7001_2023)
_BY_ID = {p.id: p for p in SCHEDULE_POLICIES}


def policy_for(regime: RegistrationRegime | None, district: str | None, on: date) -> SchedulePolicy:
    """The schedule for an obligation due ``on`` of a lift registered under ``regime`` in
    ``district``: the newest policy in force there on that date; but a lift registered under a
    newer schedule than that (a reform pilot's T7001 lift before 2024-04) keeps the newer one.
    A legacy registration does not keep a lift annual once T7001-2023 is in force."""
    area = district or ""
    in_force = [
        p for p in SCHEDULE_POLICIES if area.startswith(p.jurisdiction) and p.effective_from <= on
    ]
    chosen = max(
        in_force, key=lambda p: (p.effective_from, len(p.jurisdiction)), default=LEGACY_ANNUAL
    )
    registered = _BY_ID.get(str(regime)) if regime is not None else None
    if registered is not None and registered.effective_from > chosen.effective_from:
        return registered
    return chosen


# --- the history it needs ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InspectionHistory:
    """What the schedule needs of an elevator's history, and nothing more (scalars only: it is
    part of the domain state and of the public status)."""

    regime: RegistrationRegime | None = None  # as registered
    district: str | None = None  # GB/T 2260 area code of the registration
    retired: bool = False  # scrapped or registration cancelled: nothing is due any more
    count_from: date | None = None  # the installation or modification pass
    month: int | None = None  # the anchor month (1..12)
    month_set_by: str | None = None  # what set it, for the reason
    covered: int = 0  # the last year of use whose obligation is discharged
    use_mark: date | None = None  # next_due on the latest pass that counted (使用标志)
    use_mark_year: int | None = None  # the year of use that date is for
    failed: InspectionKind | None = None  # an open failure: periodic or supervisory
    failed_on: date | None = None
    failed_deadline: date | None = None  # the rectification deadline
    self_test_for_periodic: date | None = None  # a self-test offered in a periodic year
    too_early: date | None = None  # the latest inspection too early to count
    too_early_kind: InspectionKind | None = None
    out_of_use_since: date | None = None  # stopped, or under construction

    # -- advanced by the lifecycle modules (domain/model/elevator/*.py) --

    def registered(self, regime: RegistrationRegime | None, district: str) -> Self:
        """A use registration issued (``regime`` given) or changed (the district)."""
        return replace(self, regime=regime or self.regime, district=district, retired=False)

    def retire(self) -> Self:
        """Scrapped or cancelled: no inspection is due any more."""
        return replace(self, retired=True)

    def out_of_use(self, on: date) -> Self:
        """Stopped (停止使用) or under construction from ``on`` (the earliest such day kept)."""
        return self if self.out_of_use_since is not None else replace(self, out_of_use_since=on)

    def back_in_use(self) -> Self:
        return replace(self, out_of_use_since=None)

    def supervisory_pass(
        self, on: date, construction: ConstructionKind | None, use_mark: date | None
    ) -> Self:
        """Installation or modification: the years count again from ``on``. Major repair or
        relocation: only the month moves, and the pass stands for this year's obligation."""
        restart = self.count_from is None or construction in (
            ConstructionKind.INSTALLATION,
            ConstructionKind.MODIFICATION,
            None,
        )
        count_from = on if restart else self.count_from
        assert count_from is not None
        covered = 0 if restart else max(self.covered, on.year - count_from.year)
        return replace(
            self,
            count_from=count_from,
            month=on.month,
            month_set_by=f"{construction or 'supervisory'} pass {on}",
            covered=covered,
            failed=None,
            failed_on=None,
            failed_deadline=None,
            self_test_for_periodic=None,
            too_early=None,
            too_early_kind=None,
            out_of_use_since=None,
            **_mark(use_mark, covered + 1),
        )

    def inspection_pass(self, on: date, kind: InspectionKind, use_mark: date | None) -> Self:
        """A periodic inspection, a passing re-inspection of one, or a self-test, on ``on``."""
        if self.count_from is None or self.month is None:
            return self
        periodic = kind is not InspectionKind.SELF_TEST
        h = replace(self, failed=None, failed_on=None, failed_deadline=None) if periodic else self
        if (
            periodic
            and self.out_of_use_since is not None
            and _more_than_years(self.out_of_use_since, on, self._policy(on).restart_after_years)
        ):  # the periodic inspection before restart after a long stop re-bases the month
            covered = max(h.covered, on.year - self.count_from.year)
            return replace(
                h,
                month=on.month,
                month_set_by=f"periodic inspection {on} after out of use since"
                f" {self.out_of_use_since}",
                covered=covered,
                self_test_for_periodic=None,
                too_early=None,
                too_early_kind=None,
                **_mark(use_mark, covered + 1),
            )
        year = h.covered
        while True:
            due = h.due_date(year + 1)
            policy = self._policy(due)
            needed = policy.kind_of(year + 1)
            if not periodic and needed is InspectionKind.PERIODIC:
                if year == h.covered:  # the year due is a periodic year: the self-test is no use
                    return replace(h, self_test_for_periodic=on)
                break
            if on < policy.earliest(due, kind):
                break
            year += 1
        if year == h.covered:
            return replace(h, too_early=on, too_early_kind=kind)
        return replace(
            h,
            covered=year,
            self_test_for_periodic=None,
            too_early=None,
            too_early_kind=None,
            # the use mark (使用标志) is the inspection institute's: a self-test issues none
            **_mark(use_mark if periodic else None, year + 1),
        )

    def inspection_failed(self, on: date, kind: InspectionKind, deadline: date | None) -> Self:
        """A failed periodic or supervisory inspection (or re-inspection): due again, as a
        re-inspection, at the rectification deadline. A failed self-test discharges nothing."""
        if kind is InspectionKind.SELF_TEST:
            return self
        return replace(self, failed=kind, failed_on=on, failed_deadline=deadline or on)

    # -- the schedule --

    def due_date(self, year: int) -> date:
        """When obligation ``year`` is due: the use mark's date if one was issued for it, else
        the end of the anchor month in year ``count_from.year + year``."""
        assert self.count_from is not None and self.month is not None
        y = self.count_from.year + year
        computed = date(y, self.month, calendar.monthrange(y, self.month)[1])
        mark = self.use_mark
        if mark is not None and self.use_mark_year == year and _plausible(mark, computed):
            return mark
        return computed

    def _policy(self, on: date) -> SchedulePolicy:
        return policy_for(self.regime, self.district, on)

    def to_json(self) -> dict[str, Any]:
        return {
            k: (v.isoformat() if isinstance(v, date) else v.value if isinstance(v, Enum) else v)
            for k in self.__slots__
            if (v := getattr(self, k)) is not None
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> InspectionHistory:
        values: dict[str, Any] = dict(doc)
        for k, v in doc.items():
            if k in _DATES:
                values[k] = date.fromisoformat(v)
        if "regime" in values:
            values["regime"] = RegistrationRegime(values["regime"])
        for k in ("failed", "too_early_kind"):
            if k in values:
                values[k] = InspectionKind(values[k])
        return cls(**values)


#: The history of an elevator never inspected (the domain state's default).
NO_INSPECTIONS = InspectionHistory()

_DATES = frozenset(
    {
        "count_from",
        "use_mark",
        "failed_on",
        "failed_deadline",
        "self_test_for_periodic",
        "too_early",
        "out_of_use_since",
    }
)


#: How far a use mark's date may lie from the schedule's own date for that year and still be
#: taken as the due date: the institute writes the schedule's date, moved at most by an early
#: inspection's allowance. A date further off (a typing error, or a signer pushing its lifts off
#: the overdue list with a date years ahead) is not believed: the schedule's own date stands.
USE_MARK_TOLERANCE = timedelta(days=62)


def _plausible(mark: date, computed: date) -> bool:
    return abs(mark - computed) <= USE_MARK_TOLERANCE


def _mark(use_mark: date | None, year: int) -> dict[str, Any]:
    """The use-mark fields after a pass that counted: its date, for the year that follows."""
    return {"use_mark": use_mark, "use_mark_year": year if use_mark is not None else None}


# --- the one function ----------------------------------------------------------------------


@dataclass(frozen=True)
class InspectionObligation:
    """The next inspection obligation on a date, and why.

    ``kind`` is periodic, self_test or re_inspection (after a failure); ``year_of_use`` the year
    it belongs to; ``overdue`` whether it should have been met by then (never while the lift is
    out of use: then it is due before restart, ``suspended``). ``self_test_in_periodic_year``: a
    self-test was offered for the periodic year now due.
    """

    kind: InspectionKind
    due: date
    year_of_use: int | None
    overdue: bool
    reason: str
    policy: str
    earliest: date | None = None
    suspended: bool = False
    self_test_in_periodic_year: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "due": self.due.isoformat(),
            "year_of_use": self.year_of_use,
            "overdue": self.overdue,
            "reason": self.reason,
            "policy": self.policy,
            "earliest": self.earliest.isoformat() if self.earliest else None,
            "suspended": self.suspended,
            "self_test_in_periodic_year": self.self_test_in_periodic_year,
        }


def next_obligation(history: InspectionHistory | None, on: date) -> InspectionObligation | None:
    """The inspection obligation of an elevator with ``history`` on ``on``: None if nothing is
    due (no supervisory pass yet, scrapped or cancelled). The schedule runs from the pass, before
    the registration too (whether a lift not in use is *overdue* is its caller's to say)."""
    h = history
    if h is None or h.retired:
        return None
    if h.failed is not None:
        assert h.failed_deadline is not None
        due = h.failed_deadline
        return InspectionObligation(
            InspectionKind.RE_INSPECTION,
            due,
            h.covered + 1 if h.count_from is not None else None,
            on > due and h.out_of_use_since is None,
            f"{h.failed} inspection failed on {h.failed_on}; re-inspection due by the"
            f" rectification deadline {due}",
            h._policy(due).id,
            suspended=h.out_of_use_since is not None,
        )
    if h.count_from is None or h.month is None:
        return None
    year = h.covered + 1
    due = h.due_date(year)
    policy = h._policy(due)
    kind = policy.kind_of(year)
    what = "periodic inspection" if kind is InspectionKind.PERIODIC else "self-test"
    reasons = [
        f"year {year} of use counted from {h.count_from} ({policy.id}: {what})",
        f"use mark {due}"
        if h.use_mark_year == year and h.use_mark == due
        else f"month from {h.month_set_by}",
    ]
    suspended = h.out_of_use_since is not None
    if suspended:
        assert h.out_of_use_since is not None
        if _more_than_years(h.out_of_use_since, on, policy.restart_after_years):
            kind = InspectionKind.PERIODIC
            reasons.append(
                f"out of use since {h.out_of_use_since}, more than"
                f" {policy.restart_after_years} year: a periodic inspection before restart"
                " re-bases the month"
            )
        else:
            reasons.append(f"out of use since {h.out_of_use_since}: due before restart")
    flagged = h.self_test_for_periodic is not None and kind is InspectionKind.PERIODIC
    if flagged:
        reasons.append(
            f"the self-test of {h.self_test_for_periodic} does not stand in for a periodic year"
        )
    elif h.too_early is not None:
        reasons.append(
            f"the {h.too_early_kind} of {h.too_early} came before {policy.earliest(due, kind)}"
            " and does not count"
        )
    return InspectionObligation(
        kind,
        due,
        year,
        on > due and not suspended,
        "; ".join(reasons),
        policy.id,
        policy.earliest(due, kind),
        suspended,
        flagged,
    )


# --- calendar ------------------------------------------------------------------------------


def _add_months(d: date, months: int) -> date:
    month = d.month - 1 + months
    year = d.year + month // 12
    month = month % 12 + 1
    return d.replace(year=year, month=month, day=min(d.day, calendar.monthrange(year, month)[1]))


def _more_than_years(since: date, on: date, years: int) -> bool:
    """Whether ``on`` is more than ``years`` years after ``since``."""
    try:
        limit = since.replace(year=since.year + years)
    except ValueError:  # 29 February
        limit = since.replace(year=since.year + years, day=28)
    return on > limit
