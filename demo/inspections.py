"""Yearly inspections after registration under TSG T7001-2023: periodic inspections by the
institute in the years the regime names (a fail followed by a re-inspection), self-tests by the
testing body otherwise."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from demo.events import Draft, Group
from demo.life import ElevatorLife
from demo.scenarios import Scenario
from demo.timing import add_months, local_date, month_end, work_time

_LIFT_FINDINGS = (
    "制动器制动力不足",
    "层门门锁啮合长度不足7mm",
    "轿厢意外移动保护装置未按要求试验",
    "限速器动作速度校验记录缺失",
    "井道照明不足",
    "紧急报警装置无法正常使用",
)
_ESCALATOR_FINDINGS = (
    "梳齿板缺齿",
    "扶手带入口保护开关失效",
    "梯级与围裙板间隙超标",
    "附加制动器动作试验记录缺失",
)

#: Years after the supervisory pass with a periodic inspection (then every year after the 15th).
_SELF_TEST_EARLY = timedelta(days=28)  # within T7008-2023's month
_PERIODIC_YEARS = frozenset({1, 4, 7, 9, 11, 13, 15})


def inspection_findings(h: ElevatorLife, rng: random.Random) -> list[str]:
    """One or two inspection findings fitting the elevator."""
    pool = _ESCALATOR_FINDINGS if h.escalator else _LIFT_FINDINGS
    return rng.sample(pool, rng.randint(1, 2))


def passed_inspection(
    at: datetime, recorded: datetime, issuer: str, kind: str, report: str, next_due: str
) -> Draft:
    """An ``inspection.concluded`` that passes: no findings, and when the next one is due."""
    data = {
        "kind": kind,
        "conclusion": "pass",
        "report_number": report,
        "findings": [],
        "next_due": next_due,
    }
    return Draft(at, recorded, "inspection.concluded", issuer, data)


def failed_inspection(
    at: datetime,
    recorded: datetime,
    issuer: str,
    kind: str,
    report: str,
    findings: list[str],
    deadline: str,
) -> Draft:
    """An ``inspection.concluded`` that fails: its findings, and the rectification deadline."""
    data = {
        "kind": kind,
        "conclusion": "fail",
        "report_number": report,
        "findings": findings,
        "rectification_deadline": deadline,
    }
    return Draft(at, recorded, "inspection.concluded", issuer, data)


def _failed_periodic(h: ElevatorLife, institute: str, at: datetime, rng: random.Random) -> Draft:
    """The periodic inspection of ``at`` failed, its report ``DJ-<year>-<ref>``, to be rectified
    within 15 days."""
    deadline = at.date() + timedelta(days=15)
    report = f"DJ-{at.year}-{h.ref}"
    return failed_inspection(
        at,
        h.rec(at, rng),
        institute,
        "periodic",
        report,
        inspection_findings(h, rng),
        deadline.isoformat(),
    )


def following_due(anchor: date, k: int) -> date:
    """The due date after the ``k``-th anniversary of ``anchor``."""
    return month_end(add_months(anchor, 12 * (k + 1)))


def inspection_groups(h: ElevatorLife) -> Iterator[Group]:
    """Periodic inspections and self-tests, one a year.

    The years count from the installation's supervisory pass; a modification's pass starts the
    count again, a major repair's or relocation's moves only the month (its pass stands for that
    year's inspection). A lift older than the ledger has its inspections before the ledger's
    last year left out, that one back-filled.
    """
    city, rng = h.city, h.city.rng(h.i, "inspections")
    anchor, k, year = h.baseline, 1, 1
    passes = list(h.passes)
    end_date = local_date(city.end)
    started = city.ledger_from
    while True:
        due = month_end(add_months(anchor, 12 * k))
        at = work_time(due - timedelta(days=rng.randint(0, 45)), rng)
        if passes and passes[0][0] <= at:  # a construction came first: its pass counts
            _notified, passed, kind = passes.pop(0)
            anchor, k = passed.date(), 1
            year = 1 if kind == "modification" else year + 1
            continue
        last = (
            h.scenario is Scenario.FAILED_OPEN
            and following_due(anchor, k) - timedelta(days=45) > end_date
        )
        if at > h.horizon:
            early = end_date - timedelta(days=12)
            if h.scenario is not Scenario.FAILED_OPEN or due - timedelta(days=45) > early:
                return
            at, last = work_time(early, rng), True  # done early this year, and failed
        following = month_end(add_months(anchor, 12 * (k + 1)))
        next_due = following.isoformat()
        if h.old and started is not None and following < local_date(started):
            k, year = k + 1, year + 1
            continue  # before the ledger's time: not recorded
        if h.scenario is Scenario.OPEN_RESCUE and due < end_date <= following:
            return  # this year's inspection was never done: overdue
        periodic = year in _PERIODIC_YEARS or year > 15 or h.regime == "legacy_annual"
        if h.scenario is Scenario.OPEN_HAZARD and year == 4:
            periodic = False  # a self-test where the periodic inspection was due
        earliest = due - _SELF_TEST_EARLY
        if not periodic and at.date() < earliest:
            # T7001-2023: a periodic inspection up to 2 months early; T7008-2023: a self-test 1
            at += timedelta(days=(earliest - at.date()).days)
            if at > h.horizon:
                return
        if last:
            yield Group([_failed_periodic(h, city.institute.uscc, at, rng)])
            return  # not re-inspected yet
        if not periodic:
            report = f"ZJ-{at.year}-{h.ref}"
            yield Group(
                [
                    passed_inspection(
                        at, h.rec(at, rng), city.testing.uscc, "self_test", report, next_due
                    )
                ],
                prefix_ok=True,
            )
        elif rng.random() < 0.05 or (h.scenario is Scenario.LEGACY and year == 2):
            again = work_time(at.date() + timedelta(days=rng.randint(15, 25)), rng)
            report = f"DJ-{at.year}-{h.ref}"
            yield Group(
                [
                    _failed_periodic(h, city.institute.uscc, at, rng),
                    passed_inspection(
                        again,
                        h.rec(again, rng),
                        city.institute.uscc,
                        "re_inspection",
                        f"{report}-F",
                        next_due,
                    ),
                ],
                prefix_ok=True,
            )
        else:
            yield Group(
                [
                    passed_inspection(
                        at,
                        h.rec(at, rng),
                        city.institute.uscc,
                        "periodic",
                        f"DJ-{at.year}-{h.ref}",
                        next_due,
                    )
                ],
                prefix_ok=True,
            )
        k, year = k + 1, year + 1
