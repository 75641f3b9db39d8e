"""Yearly inspections after registration under TSG T7001-2023: periodic inspections by the
institute in the years the regime names (a fail followed by a re-inspection), self-tests by the
testing body otherwise."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from demo.events import Draft, Group
from demo.life import ElevatorLife
from demo.timing import add_months, month_end, soon, work_time

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


def inspection_groups(h: ElevatorLife) -> Iterator[Group]:
    """Periodic inspections and self-tests, one a year."""
    city, rng = h.city, h.city.rng(h.i, "inspections")
    year = 1
    while True:
        due = month_end(add_months(h.baseline, 12 * year))
        periodic = year in _PERIODIC_YEARS or year > 15
        # T7001-2023: a periodic inspection up to 2 months early; T7008-2023: a self-test 1 month
        at = work_time(due - timedelta(days=rng.randint(0, 45 if periodic else 28)), rng)
        if at > h.horizon:
            return
        next_due = month_end(add_months(h.baseline, 12 * (year + 1))).isoformat()
        if not periodic:
            report = f"ZJ-{at.year}-{h.ref}"
            yield Group(
                [
                    passed_inspection(
                        at, soon(at, rng), city.testing.uscc, "self_test", report, next_due
                    )
                ],
                prefix_ok=True,
            )
        elif rng.random() < 0.05:
            deadline = at.date() + timedelta(days=15)
            again = work_time(at.date() + timedelta(days=rng.randint(15, 25)), rng)
            report = f"DJ-{at.year}-{h.ref}"
            yield Group(
                [
                    failed_inspection(
                        at,
                        soon(at, rng),
                        city.institute.uscc,
                        "periodic",
                        report,
                        inspection_findings(h, rng),
                        deadline.isoformat(),
                    ),
                    passed_inspection(
                        again,
                        soon(again, rng),
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
                        soon(at, rng),
                        city.institute.uscc,
                        "periodic",
                        f"DJ-{at.year}-{h.ref}",
                        next_due,
                    )
                ],
                prefix_ok=True,
            )
        year += 1
