"""The regulator's must-not-run and illegal-use work lists through the real signed write path and
the real projection (docs/lifecycle.md, "Must not run"): a failed lift used after its failure, a
failed lift not used, a lift used before its supervisory inspection, a modified lift in service
without its change registration — each row with its reasons and the log entries proving them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.application.service import Receipt
from projections.worklists import worklist
from tests.support.city import NOW, City, statement
from tests.support.lift_states import HISTORY, Parties, constructed, in_service

at, day = HISTORY.at, HISTORY.day
FAILED_USED = "311023010201500301"
FAILED_UNUSED = "311023010201500302"
UNINSPECTED_USED = "311023010201500303"
MODIFIED = "311023010201500304"
NORMAL = "311023010201500305"


@pytest.fixture
def city(tmp_path: Path, database_url: str) -> Iterator[City]:
    city = City.open(tmp_path, database_url)
    yield city
    city.node.close()


def _failed(city: City, p: Parties, code: str) -> Receipt:
    return city.say(
        p.institute,
        statement(
            "inspection.concluded",
            code,
            p.institute,
            NOW - timedelta(days=2),
            kind="periodic",
            conclusion="fail",
            report_number=f"DJ-{code[-4:]}",
            findings=["制动器间隙超标"],
            rectification_deadline=(NOW + timedelta(days=30)).date().isoformat(),
            next_due=None,
        ),
    )


def _alarm(city: City, p: Parties, code: str, when: Any) -> Receipt:
    return city.say(
        p.platform,
        statement(
            "rescue.alarm",
            code,
            p.platform,
            when,
            rescue_id=f"R-{code[-4:]}",
            alarm_at=when.isoformat(),
            trapped=1,
        ),
    )


def _modified(city: City, p: Parties, code: str) -> Receipt:
    for name, t in (("construction.notified", 100), ("construction.completed", 110)):
        city.say(p.builder, statement(name, code, p.builder, at(t), kind="modification"))
    return city.say(
        p.institute,
        statement(
            "inspection.concluded",
            code,
            p.institute,
            at(120),
            kind="supervisory",
            conclusion="pass",
            report_number="JJ-MOD-1",
            next_due=None,
        ),
    )


def _proof(receipt: Receipt) -> tuple[int, str]:
    return (receipt.log_index, receipt.entry_hash)


def _entries(row: dict[str, Any], reason: str) -> list[tuple[int, str]]:
    [found] = [r for r in row["reasons"] if r["reason"] == reason]
    return [(e["log_index"], e["entry_hash"]) for e in found["entries"]]


def test_the_illegal_use_list_says_why_with_the_entries_that_prove_it(city: City) -> None:
    p = Parties.onboard(city)
    for code in (FAILED_USED, FAILED_UNUSED, NORMAL):
        in_service(city, p, code)
    in_service(city, p, MODIFIED, recent_visit=False)  # no visit after the modification below
    failure = _failed(city, p, FAILED_USED)
    rescue = _alarm(city, p, FAILED_USED, NOW - timedelta(days=1))
    _failed(city, p, FAILED_UNUSED)
    constructed(city, p, UNINSPECTED_USED)
    early = _alarm(city, p, UNINSPECTED_USED, at(25))  # accepted: people were trapped
    modification_pass = _modified(city, p, MODIFIED)
    city.node.projections.catch_up()
    engine, today, zone = city.node.engine, NOW.date(), city.node.settings.zone

    rows = {r["equipment_code"]: r for r in worklist(engine, "illegal-use", today, zone=zone)}
    assert set(rows) == {FAILED_USED, UNINSPECTED_USED, MODIFIED}
    assert _entries(rows[FAILED_USED], "failed-in-use") == [_proof(failure), _proof(rescue)]
    assert _entries(rows[UNINSPECTED_USED], "unregistered-use") == [_proof(early)]
    assert _entries(rows[MODIFIED], "modified-without-change-registration") == [
        _proof(modification_pass)
    ]
    failed_row = rows[FAILED_USED]
    assert failed_row["use_unit"] == p.owner.uscc and failed_row["registration_code"]
    assert failed_row["reasons"][0]["text_zh"] == "定期检验不合格后仍在使用"

    must_not_run = worklist(engine, "must-not-run", today, zone=zone)
    assert [r["equipment_code"] for r in must_not_run] == [FAILED_USED, FAILED_UNUSED]


def test_a_passing_re_inspection_takes_the_lift_off_both_lists(city: City) -> None:
    p = Parties.onboard(city)
    in_service(city, p, FAILED_USED)
    _failed(city, p, FAILED_USED)
    _alarm(city, p, FAILED_USED, NOW - timedelta(days=1))
    city.say(
        p.institute,
        statement(
            "inspection.concluded",
            FAILED_USED,
            p.institute,
            NOW - timedelta(hours=2),
            kind="re_inspection",
            conclusion="pass",
            report_number="FJ-1",
            next_due=None,
        ),
    )
    city.node.projections.catch_up()
    engine, today, zone = city.node.engine, NOW.date(), city.node.settings.zone
    assert worklist(engine, "illegal-use", today, zone=zone) == []
    assert worklist(engine, "must-not-run", today, zone=zone) == []
