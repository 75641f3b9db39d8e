"""The console's dashboard in a real browser (Debian's chromium driven by Playwright), signed in
as a city bureau's and a county bureau's staff: every work list's count is the JSON work list's
count for the same scope and links to that list, the district selector narrows both, the four
charts are there with their tables, a district outside the account's is refused, and the page
fits a 390 px screen without JavaScript."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from api.app import create_app
from api.auth import TokenStore
from api.web.identity import StaffUser
from projections.dashboard import LIST_NAMES
from projections.schema import elevators
from tests.support.browser import ARGS, CHROMIUM, playwright_or_skip
from tests.support.seeded import PlannedCity
from tests.support.servers import in_thread
from tests.support.web import regulator_user, signed_in

BUREAU = "11430900MB0000000X"
CITY = ("430900",)
EMPTY_COUNTY = "430921"  # 南县: no lift of the planned city stands there


@dataclass
class Served:
    base: str
    app: FastAPI
    token: str
    districts: list[str]  # of the city's lifts


@pytest.fixture(scope="module")
def served(planned_city: PlannedCity) -> Iterator[Served]:
    node = planned_city.city.node
    token, _ = TokenStore.open(node.engine).issue(node.anchor.uscc, "e2e", timedelta(hours=1))
    with node.engine.connect() as conn:
        districts = sorted(set(conn.execute(select(elevators.c.district)).scalars()))
    app = create_app(node=node)
    with in_thread(node, app) as base:
        yield Served(base, app, token, districts)


def json_counts(served: Served, district: str) -> dict[str, int]:
    """Each JSON work list's count for one district (the regulator API, a bearer token)."""
    headers = {"Authorization": f"Bearer {served.token}"}
    with httpx.Client(base_url=served.base, headers=headers) as client:
        return {
            name: client.get(f"/v1/regulator/worklists/{name}", params={"district": district})
            .raise_for_status()
            .json()["count"]
            for name in LIST_NAMES
        }


def summed(counts: list[dict[str, int]]) -> dict[str, int]:
    return {name: sum(c[name] for c in counts) for name in LIST_NAMES}


def open_page(
    served: Served, user: StaffUser, path: str = "/console", width: int = 1280, js: bool = True
) -> Iterator[Any]:
    sync_playwright = playwright_or_skip()
    with signed_in(served.app, user), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(
            viewport={"width": width, "height": 900}, java_script_enabled=js, locale="zh-CN"
        )
        page = context.new_page()
        page.goto(served.base + path)
        yield page
        browser.close()


def shown_counts(page: Any) -> dict[str, int]:
    tiles = page.locator("#counts a[data-list]")
    return {
        tiles.nth(i).get_attribute("data-list"): int(tiles.nth(i).locator(".count").inner_text())
        for i in range(tiles.count())
    }


def test_the_counts_are_the_json_work_lists_for_the_bureaus_districts(served: Served) -> None:
    expected = summed([json_counts(served, d) for d in served.districts])
    assert all(d.startswith("4309") for d in served.districts)  # all within the city's scope
    for page in open_page(served, regulator_user(BUREAU, CITY)):
        assert shown_counts(page) == expected
        assert page.locator("#as-of").inner_text().startswith("今天 ")
        assert re.search(r"第 \d+ 条记录的签名检查点，签名于", page.locator("#as-of").inner_text())


def test_picking_a_district_narrows_the_counts_and_each_number_links_to_its_list(
    served: Served,
) -> None:
    district = served.districts[0]
    for page in open_page(served, regulator_user(BUREAU, CITY)):
        page.select_option("#district", district)
        page.locator("#district-form button").click()
        page.wait_for_url(f"**/console?district={district}")
        assert shown_counts(page) == json_counts(served, district)
        tile = page.locator('#counts a[data-list="maintenance-overdue"]')
        assert (
            tile.get_attribute("href") == f"/console/lists/maintenance-overdue?district={district}"
        )
        hrefs = page.locator("#counts a[data-list]").evaluate_all(
            "els => els.map(e => e.getAttribute('href'))"
        )
        assert hrefs == [f"/console/lists/{name}?district={district}" for name in LIST_NAMES]


def test_a_county_bureau_sees_only_its_countys_numbers(served: Served) -> None:
    county = served.districts[-1]
    user = regulator_user(BUREAU, (county,), name="县局监管员")
    for page in open_page(served, user):
        assert shown_counts(page) == json_counts(served, county)
        options = page.locator("#district option").evaluate_all("els => els.map(e => e.value)")
        assert options == ["", county]
        for href in page.locator("#counts a").evaluate_all(
            "els => els.map(e => e.getAttribute('href'))"
        ):
            assert "district=" not in href  # the whole of its scope: the list scopes it
    others = [d for d in served.districts if d != county]
    for page in open_page(served, user, f"/console?district={others[0] if others else '430903'}"):
        assert (
            page.locator("#error").is_visible()
            and "不在您的辖区" in page.locator("#error").inner_text()
        )
        assert page.locator("#counts").count() == 0 and page.locator("svg.chart").count() == 0
    for page in open_page(served, regulator_user(BUREAU, (EMPTY_COUNTY,))):
        assert set(shown_counts(page).values()) == {0}


def test_a_malformed_district_is_a_clear_error_page(served: Served) -> None:
    sync_playwright = playwright_or_skip()
    with signed_in(served.app, regulator_user(BUREAU, CITY)), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        response = page.goto(f"{served.base}/console?district=43%3Cb%3E")
        assert response is not None and response.status == 400
        assert "6 位数字" in page.locator("#error").inner_text()
        assert page.locator("main b").count() == 0  # the input is not markup, nor echoed
        assert "43" not in page.locator("h1").inner_text()
        browser.close()


def test_the_four_charts_have_titles_axes_and_tables_and_link_what_they_count(
    served: Served,
) -> None:
    for page in open_page(served, regulator_user(BUREAU, CITY)):
        charts = page.locator("svg.chart[role=img]")
        assert charts.count() == 4
        titles = charts.evaluate_all("els => els.map(e => e.querySelector('title').textContent)")
        assert titles == [
            "按月维保及时情况（近12个月）",
            "按月故障报告数（近12个月）",
            "困人救援到达用时分布（近12个月）",
            "未来30天到期的检验（检测）",
        ]
        for table in ("maintenance", "faults", "arrivals", "inspections"):
            assert page.locator(f"#{table}-table tbody tr").count() >= 1
            assert "统计口径" in page.locator(f"#{table} .definition").inner_text()
        assert page.locator("#maintenance-table tbody tr").count() == 12
        over = page.locator("#over-limit-link")
        assert over.get_attribute("href") == "#rescues-over-limit"
        overdue = page.locator("#inspections-overdue-link")
        assert overdue.get_attribute("href") == "/console/lists/inspection-overdue"
        faults = page.locator("#chart-faults a")
        assert faults.count() >= 1  # the planned city has faults in the last 12 months
        faults.first.click()  # a month's bar opens its row (in the closed table) and its lifts
        anchor = page.evaluate("location.hash")
        row = page.locator(f"tr{anchor}")
        assert row.is_visible() and row.locator("a[href^='/console/elevators/']").count() >= 1


def test_the_dashboard_fits_a_phone_without_javascript(served: Served) -> None:
    for page in open_page(served, regulator_user(BUREAU, CITY), width=390, js=False):
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        for box in page.locator("svg.chart").evaluate_all(
            "els => els.map(e => e.getBoundingClientRect().right)"
        ):
            assert box <= 390
        assert page.locator("#counts a").count() == len(LIST_NAMES)
