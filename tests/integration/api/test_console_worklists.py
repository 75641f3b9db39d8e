"""The console's work lists over a small city signed through the real write path, on both
backends: every row names its organizations beside their codes and has its district; a list
holds only the caller's districts; the filters, the sort and the pages; the pages, the 403 for
another district, and the exports (CSV and Excel rows equal the list's, every page)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.console import worklist_exports
from api.console.worklist_views import export_header
from domain.model.roles import Role
from projections.worklists import NAMES, Query, counts, query, rows, worklist
from tests.support.city import NOW, City, Org, statement
from tests.support.lift_states import Parties, commissioned, identified, tell
from tests.support.web import regulator_user, signed_in

#: equipment code -> (district, owner key, maintainer key)
LIFTS = {
    "311023010201500401": ("430902", "a", "m1"),
    "311023010201500402": ("430903", "b", "m2"),
    "311023010201500403": ("430981", "a", "m2"),
    "311023010201500404": ("110101", "b", "m1"),
}
CITY = ("430900",)


@dataclass
class Town:
    city: City
    orgs: dict[str, Org]
    names: dict[str, str]

    @property
    def today(self) -> date:
        return NOW.astimezone(self.zone).date()

    @property
    def zone(self) -> tzinfo:
        return self.city.node.settings.zone


@pytest.fixture
def town(tmp_path: Path, database_url: str) -> Iterator[Town]:
    city = City.open(tmp_path, database_url)
    try:
        p = Parties.onboard(city)
        orgs = {
            "a": p.owner,
            "b": city.org(Role.USE_UNIT, name="资阳幸福里物业管理有限公司"),
            "m1": p.maintainer,
            "m2": city.org(Role.MAINTENANCE_UNIT, name="=恒力电梯服务有限公司"),  # a formula!
        }
        names = {
            orgs["a"].uscc: "赫山花园物业服务有限公司",
            orgs["b"].uscc: "资阳幸福里物业管理有限公司",
            orgs["m1"].uscc: "安达电梯维保有限公司",
            orgs["m2"].uscc: "=恒力电梯服务有限公司",
        }
        for code, (district, owner, maintainer) in LIFTS.items():
            parties = Parties(
                **{**p.__dict__, "owner": orgs[owner], "maintainer": orgs[maintainer]}
            )
            tell(
                city,
                commissioned(
                    parties, code, registration_fields={**identified(code), "district": district}
                ),
            )
        first = next(iter(LIFTS))
        visit = NOW - timedelta(days=3)
        city.say(
            orgs["m1"],
            statement(
                "maintenance.performed",
                first,
                orgs["m1"],
                visit,
                visit_id="V-short",
                arrived_at=visit.isoformat(),
                departed_at=(visit + timedelta(minutes=9)).isoformat(),
            ),
        )
        city.node.projections.catch_up()
        yield Town(city, orgs, names)
    finally:
        city.node.close()


def _codes(found: list[dict[str, Any]]) -> list[str]:
    return [r["equipment_code"] for r in found]


def test_every_row_names_its_organizations_and_has_its_district(town: Town) -> None:
    engine = town.city.node.engine
    found = worklist(engine, "uninsured", town.today, zone=town.zone)
    assert _codes(found) == list(LIFTS)
    for r in found:
        district, owner, _ = LIFTS[r["equipment_code"]]
        assert r["district"] == district
        assert r["use_unit"] == town.orgs[owner].uscc
        assert r["use_unit_name"] == town.names[r["use_unit"]]
        assert r["maintenance_unit_name"] == town.names[r["maintenance_unit"]]
    suspicious = worklist(engine, "suspicious-maintenance", town.today, zone=town.zone)
    assert [(r["equipment_code"], r["district"]) for r in suspicious] == [
        ("311023010201500401", "430902")
    ]
    assert suspicious[0]["issuer_name"] == "安达电梯维保有限公司"
    assert suspicious[0]["maintenance_unit_name"] == "安达电梯维保有限公司"
    assert "visit of 9 min" in suspicious[0]["reasons"]


def test_a_list_holds_only_the_callers_districts(town: Town) -> None:
    engine = town.city.node.engine
    in_city = worklist(engine, "uninsured", town.today, zone=town.zone, within=CITY)
    assert _codes(in_city) == list(LIFTS)[:3]  # not Beijing's
    county = worklist(engine, "uninsured", town.today, zone=town.zone, within=("430903",))
    assert _codes(county) == ["311023010201500402"]
    assert worklist(engine, "uninsured", town.today, zone=town.zone, within=()) == []
    assert (
        worklist(engine, "suspicious-maintenance", town.today, zone=town.zone, within=("430903",))
        == []
    )


def test_counts_are_the_lists_lengths_in_one_pass(town: Town) -> None:
    engine = town.city.node.engine
    for scope in (None, CITY, ("430903",), ()):
        counted = counts(engine, town.today, scope, town.zone)
        assert set(counted) == set(NAMES)
        for name in NAMES:
            listed = worklist(engine, name, town.today, zone=town.zone, within=scope)
            assert counted[name] == len(listed), (scope, name)
    assert counts(engine, town.today, CITY, town.zone)["uninsured"] == 3


def test_filters_sort_and_pages(town: Town) -> None:
    engine, today, zone = town.city.node.engine, town.today, town.zone
    m2, a = town.orgs["m2"].uscc, town.orgs["a"].uscc

    def ask(**q: Any) -> list[str]:
        return _codes(rows(engine, "uninsured", today, Query(**q), zone=zone, within=CITY))

    assert ask(district="430903") == ["311023010201500402"]
    assert ask(maintainer=m2) == ["311023010201500402", "311023010201500403"]
    assert ask(use_unit=a) == ["311023010201500401", "311023010201500403"]
    assert ask(use_unit=a, maintainer=m2) == ["311023010201500403"]
    assert ask(sort="district", descending=True) == [
        "311023010201500403",
        "311023010201500402",
        "311023010201500401",
    ]
    first = query(engine, "uninsured", today, Query(page_size=2), zone=zone, within=CITY)
    second = query(engine, "uninsured", today, Query(page_size=2, page=2), zone=zone, within=CITY)
    assert (first.total, first.pages, len(first.rows), len(second.rows)) == (3, 2, 2, 1)
    assert _codes(first.rows + second.rows) == list(LIFTS)[:3]
    assert {code for code, _ in first.maintainers} == {town.orgs["m1"].uscc, m2}
    assert first.districts == ["430902", "430903", "430981"]


@pytest.fixture
def client(town: Town) -> Iterator[TestClient]:
    app = create_app(node=town.city.node)
    with signed_in(app, regulator_user(town.orgs["m1"].uscc, CITY)), TestClient(app) as c:
        yield c


def test_the_list_page_shows_names_and_codes_and_links_each_row(
    town: Town, client: TestClient
) -> None:
    page = client.get("/console/lists/uninsured")
    assert page.status_code == 200
    assert "安达电梯维保有限公司" in page.text and town.orgs["m1"].uscc in page.text
    for code in list(LIFTS)[:3]:
        assert f'href="/console/elevators/{code}"' in page.text
    assert "311023010201500404" not in page.text  # another bureau's
    suspicious = client.get("/console/lists/suspicious-maintenance")
    index = worklist(town.city.node.engine, "suspicious-maintenance", town.today, zone=town.zone)
    assert f'href="/console/entries/{index[0]["log_index"]}"' in suspicious.text


def test_another_district_is_refused_and_nothing_shown(client: TestClient) -> None:
    page = client.get("/console/lists/uninsured?district=110101")
    assert page.status_code == 403
    assert "311023010201500404" not in page.text and "不在您的辖区" in page.text
    for path in ("/console/lists/uninsured.csv", "/console/lists/uninsured.xlsx"):
        refused = client.get(f"{path}?district=110101")
        assert refused.status_code == 403
        assert "attachment" not in refused.headers.get("content-disposition", "")


def test_unknown_renamed_and_invalid(client: TestClient) -> None:
    assert client.get("/console/lists/nope").status_code == 404
    renamed = client.get("/console/lists/sanwu")
    assert renamed.status_code == 404 and "/console/lists/no-maintenance-contract" in renamed.text
    assert client.get("/console/lists/uninsured?sort=bogus").status_code == 422
    assert client.get("/console/lists/uninsured?size=201").status_code == 422
    assert client.get("/console/lists/uninsured?page=x").status_code == 422


def test_exports_hold_every_row_of_the_query(town: Town, client: TestClient) -> None:
    m2 = town.orgs["m2"].uscc
    listed = rows(
        town.city.node.engine,
        "uninsured",
        town.today,
        Query(maintainer=m2),
        zone=town.zone,
        within=CITY,
    )
    got = client.get(f"/console/lists/uninsured.csv?maintainer={m2}&size=1")  # size: not paged
    assert got.status_code == 200 and got.content.startswith(b"\xef\xbb\xbf")
    assert "filename*=UTF-8''" in got.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert table[0] == export_header("uninsured")
    assert [r[0] for r in table[1:]] == _codes(listed)
    assert all(r[table[0].index("维保单位名称")] == "'=恒力电梯服务有限公司" for r in table[1:])
    book = client.get(f"/console/lists/uninsured.xlsx?maintainer={m2}")
    assert book.status_code == 200
    sheets = openpyxl.load_workbook(io.BytesIO(book.content))
    data = list(sheets["清单"].iter_rows(values_only=True))
    assert list(data[0]) == export_header("uninsured")
    assert [r[0] for r in data[1:]] == _codes(listed)
    assert data[1][data[0].index("维保单位名称")] == "=恒力电梯服务有限公司"  # text, not a formula
    assert sheets["清单"].cell(2, data[0].index("维保单位名称") + 1).data_type == "s"
    notes = {str(k): str(v) for k, v in sheets["说明"].iter_rows(values_only=True)}
    assert "检查点" in str(notes["数据来源"]) and notes["辖区"] == "430900"


def test_an_export_over_the_cap_is_refused_before_anything_is_written(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worklist_exports, "MAX_EXPORT", 2)
    for ext in ("csv", "xlsx"):
        refused = client.get(f"/console/lists/uninsured.{ext}")
        assert refused.status_code == 422
        assert refused.headers["content-type"].startswith("text/html")
        assert "缩小范围" in refused.text
    assert client.get("/console/lists/uninsured.csv?district=430903").status_code == 200


def test_without_a_session_the_lists_send_to_sign_in(town: Town) -> None:
    app = create_app(node=town.city.node)
    with TestClient(app, follow_redirects=False) as anonymous:
        for path in ("/console/lists", "/console/lists/uninsured", "/console/lists/uninsured.csv"):
            answer = anonymous.get(path)
            assert answer.status_code == 303
            assert answer.headers["location"].startswith("/console/sign-in?next=")
