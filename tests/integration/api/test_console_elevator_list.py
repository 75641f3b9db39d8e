"""The console's list of elevators (/console/elevators) says of each lift what its file and its
QR page say, on both backends: a small city with a lift in every state a passenger must be told
about (a rescue, stopped, a listed hazard, scrapped, cancelled, a failed periodic inspection),
one in normal use, one under supervision whose maintenance is also overdue and one whose
maintenance contract has lapsed. Every row's badge is the file's and the QR page's (one
precedence, api/badge.py), and the maintainer is the one under a contract in force today — a
lapsed contract names nobody."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.support import lift_states as ls
from tests.support.city import NOW, City, statement
from tests.support.html import Element, parse
from tests.support.web import regulator_user, signed_in

#: in service, never maintained since its contract began, and a hazard listed for supervision
OVERDUE = "311023010201500109"
LAPSED = "311023010201500110"  # its only maintenance contract ended fifty days ago


@dataclass
class Town:
    city: City
    parties: ls.Parties
    codes: dict[str, str]  # state → equipment code


@pytest.fixture
def town(tmp_path: Path, database_url: str) -> Iterator[Town]:
    city = City.open(tmp_path, database_url)
    p = ls.Parties.onboard(city)
    codes = ls.build(city, p=p)
    ls.in_service(city, p, OVERDUE, recent_visit=False)
    hazard = statement(
        "hazard.listed",
        OVERDUE,
        p.bureau,
        NOW - timedelta(days=1),
        hazard_id="H-2",
        description="轿厢意外移动保护失效",
        deadline=ls.HAZARD_DEADLINE.isoformat(),
    )
    city.say(p.bureau, hazard)
    ls.tell(
        city,
        ls.commissioned(
            p,
            LAPSED,
            registration_fields=ls.identified(LAPSED),
            contract_fields={"valid_to": ls.day(150)},
        ),
    )
    city.node.projections.catch_up()
    yield Town(city, p, codes | {"overdue": OVERDUE, "lapsed": LAPSED})
    city.node.close()


def _pages(town: Town) -> tuple[dict[str, Element], dict[str, str], dict[str, str]]:
    """The list's row of each lift, and the badge its file and its QR page show."""
    app = create_app(node=town.city.node)
    user = regulator_user(town.parties.bureau.uscc, ("430900",))
    with signed_in(app, user), TestClient(app) as client:
        listed = parse(client.get("/console/elevators").text)
        rows = {r["data-code"]: r for r in listed.all("tr") if "data-code" in r.attrs}
        files = {
            code: parse(client.get(f"/console/elevators/{code}").text).one(id="status-badge").text
            for code in rows
        }
        qr = {
            code: parse(client.get(f"/e/{code}").text).one(id="status-badge").text for code in rows
        }
    return rows, files, qr


def test_every_row_shows_the_badge_its_file_and_its_qr_page_show(town: Town) -> None:
    rows, files, qr = _pages(town)
    registered = {s: c for s, c in town.codes.items() if s != "unregistered"}
    assert set(rows) == set(registered.values()), "every registered lift of the district, once"
    badges = {code: row.one("span", cls="status-badge").text for code, row in rows.items()}
    assert badges == files == qr
    by_state = {state: badges[code] for state, code in registered.items()}
    assert by_state == {
        "normal": "正常使用",
        "rescue": "困人救援中",
        "stopped": "停用",
        "hazard": "挂牌督办",
        "scrapped": "禁止使用",
        "cancelled": "禁止使用",
        "failed": "禁止使用",
        "overdue": "挂牌督办",
        "lapsed": "维保逾期",
    }


def test_what_else_holds_is_listed_beside_the_badge_as_on_the_qr_page(town: Town) -> None:
    rows, _, _ = _pages(town)
    with TestClient(create_app(node=town.city.node)) as client:
        qr = {
            code: [e.text for e in parse(client.get(f"/e/{code}").text).all("p", cls="also")]
            for code in rows
        }
    listed = {code: [e.text for e in r.all("span", cls="also-badge")] for code, r in rows.items()}
    assert listed == qr
    assert listed[OVERDUE] == ["维保逾期"], "the hazard first, the overdue visit beside it"


def test_the_maintainer_is_the_one_under_a_contract_in_force_today(town: Town) -> None:
    rows, _, _ = _pages(town)
    maintainer = town.parties.maintainer

    def cell(code: str) -> str:
        return rows[code].one("td", cls="maintainer").text

    assert maintainer.uscc in cell(ls.CODES["normal"]) and "安达电梯维保有限公司" in cell(
        ls.CODES["normal"]
    )
    assert cell(LAPSED) == "无有效维保合同", "an expired contract names no maintainer"
    assert maintainer.uscc not in rows[LAPSED].text
    assert cell(ls.CODES["scrapped"]) == "—", "nobody maintains a scrapped lift"


def test_a_failed_periodic_inspection_is_never_listed_as_in_use(town: Town) -> None:
    rows, _, _ = _pages(town)
    failed = rows[ls.CODES["failed"]]
    assert failed.one("span", cls="status-badge").text == "禁止使用"
    assert "bad" in failed.one("span", cls="status-badge")["class"].split()
    assert "在用" not in failed.text and "正常使用" not in failed.text
