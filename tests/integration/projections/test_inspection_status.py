"""The status's inspection due date after failed inspections: a lift whose supervisory
inspection failed, and failed again at re-inspection, counts its years from the pass that
finally came, like any other; a failed inspection is due again at its rectification deadline.
(An adversarial review found a lift that failed twice was never shown overdue again.)"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from api.badge import badge
from projections import read
from projections.status import flags
from tests.support.city import NOW, City, statement
from tests.support.lift_states import Parties, constructed, registered
from tests.support.timeline import Days

LIFE = Days(NOW - timedelta(days=800))
at, day = LIFE.at, LIFE.day
CODE = "311023010201500203"


@pytest.fixture
def city(tmp_path: Path, database_url: str) -> Iterator[City]:
    city = City.open(tmp_path, database_url)
    yield city
    city.node.close()


def _inspection(city: City, p: Parties, t: int, kind: str, conclusion: str, **kw: Any) -> None:
    failed = conclusion == "fail"
    city.say(
        p.institute,
        statement(
            "inspection.concluded",
            CODE,
            p.institute,
            at(t),
            kind=kind,
            conclusion=conclusion,
            report_number=f"R-{t}",
            findings=[f"问题 {t}"] if failed else None,
            rectification_deadline=day(t + 15) if failed else None,
            next_due=None,
            **kw,
        ),
    )


def _built(city: City, p: Parties, failures: int) -> None:
    constructed(city, p, CODE, LIFE)
    _inspection(city, p, 25, "supervisory", "fail")
    for i in range(failures - 1):
        _inspection(city, p, 27 + i, "re_inspection", "fail")
    _inspection(city, p, 35, "re_inspection", "pass")


@pytest.mark.parametrize("failures", [1, 2, 3])
def test_years_count_from_the_pass_that_ends_failed_supervisory_inspections(
    city: City, failures: int
) -> None:
    p = Parties.onboard(city)
    _built(city, p, failures)
    city.node.projections.catch_up()
    view = read.elevator(city.node.engine, CODE, NOW.date())
    assert view is not None
    assert view.status.inspection_baseline == date.fromisoformat(day(35))
    assert view.status.next_inspection_due is not None


def test_a_failed_inspection_is_due_again_at_its_rectification_deadline(city: City) -> None:
    p = Parties.onboard(city)
    _built(city, p, failures=1)
    registered(city, p, CODE, 40, LIFE)
    _inspection(city, p, 400, "periodic", "fail")
    city.node.projections.catch_up()
    view = read.elevator(city.node.engine, CODE, NOW.date())
    assert view is not None and view.status.next_inspection_due == date.fromisoformat(day(415))


def test_a_lift_that_failed_twice_is_shown_overdue_when_its_periodic_inspection_is(
    city: City,
) -> None:
    """The review's case: passed at the third try, registered, a periodic pass more than a
    year ago and nothing since; the page must not say 正常使用."""
    p = Parties.onboard(city)
    _built(city, p, failures=2)
    registered(city, p, CODE, 40, LIFE)
    _inspection(city, p, 400, "periodic", "pass")
    city.node.projections.catch_up()
    view = read.elevator(city.node.engine, CODE, NOW.date())
    assert view is not None
    due = view.status.next_inspection_due
    assert due is not None and due < NOW.date()
    shown = flags(view.status, NOW.date())
    assert shown["inspection_overdue"]
    assert badge(view.status, shown, NOW).label != "正常使用"
