"""The console's organizations, scorecards, entries and reveals in a real browser (Debian's
chromium driven by Playwright), at desktop and phone widths: a bureau opens a maintainer's page,
its scorecard, follows a point to the entry that caused it, reveals a maintenance record's
technicians with a reason, and finds that reveal in its record of reveals. Then the same on the
demo city's planned history.

With ``LEDGER_SCREENSHOTS=DIR`` each page is also saved as a PNG there, to be looked at."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from api.personal_reads import PersonalReads
from projections import read
from tests.support import lift_states as ls
from tests.support.browser import ARGS, CHROMIUM, playwright_or_skip
from tests.support.city import NOW, City, statement
from tests.support.layout import broken
from tests.support.seeded import PlannedCity
from tests.support.servers import in_thread
from tests.support.web import regulator_user, signed_in

CODE = ls.CODES["rescue"]
WIDTHS = (1280, 390)
TECHNICIANS = ("李四", "王五")


def _shot(page: Any, name: str, width: int) -> None:
    where = os.environ.get("LEDGER_SCREENSHOTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(where) / f"{name}-{width}.png"), full_page=True)


def _fits(page: Any, width: int) -> None:
    """Nothing but the tables' own scrolling boxes is wider than the screen."""
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width + 1, f"the page is {scroll} px wide on a {width} px screen"


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[City, ls.Parties]]:
    """A lift in rescue past its limit, three faults in a month on it, a maintenance visit with
    two technicians: points on its maintainer's card and a record with personal fields."""
    city = City.open(
        tmp_path_factory.mktemp("console-orgs"),
        f"sqlite:///{tmp_path_factory.mktemp('db')}/ledger.db",
    )
    try:
        p = ls.Parties.onboard(city)
        ls.build(city, ("rescue",), p)
        for i in range(3):
            at = NOW - timedelta(minutes=30 - i)
            fault = statement(
                "fault.reported",
                CODE,
                p.maintainer,
                at,
                fault_id=f"F-{i}",
                detected_at=at.isoformat(),
            )
            city.say(p.maintainer, fault)
        city.node.projections.catch_up()
        yield city, p
    finally:
        city.node.close()


def _browse(base: str, width: int) -> Iterator[Any]:
    sync_playwright = playwright_or_skip()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(
            viewport={"width": width, "height": 900}, java_script_enabled=False, locale="zh-CN"
        )
        try:
            yield context.new_page()
        finally:
            browser.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_bureau_follows_a_point_to_its_entry_reveals_it_and_finds_the_reveal(
    town: tuple[City, ls.Parties], width: int
) -> None:
    city, p = town
    app = create_app(node=city.node)
    user = regulator_user(p.bureau.uscc, ("430900",), name=f"赵监管{width}")
    with signed_in(app, user), in_thread(city.node, app) as base:
        for page in _browse(base, width):
            page.goto(f"{base}/console/organizations?role=maintenance_unit")
            _shot(page, "organizations", width)
            if width == 1280:  # a credit code, a licence number or its date never breaks
                assert not broken(page, "#organizations td.nowrap, #organizations .nowrap")
            page.get_by_role("link", name="安达电梯维保有限公司").click()
            assert page.locator("#org-uscc").inner_text() == p.maintainer.uscc
            assert "维保单位" in page.locator("#roles").inner_text()
            assert CODE in page.locator("#lifts").inner_text()
            _fits(page, width)
            _shot(page, "organization", width)

            page.locator("#scorecard-link").click()
            assert "参考" in page.locator("#reference-note").inner_text()
            assert (
                "年度未结束" in page.locator("#period").inner_text()
                or "年度" in page.locator("#period").inner_text()
            )
            rows = page.locator("tr.point")
            assert rows.count() == 2  # the rescue with no arrival, the three faults
            _fits(page, width)
            _shot(page, "scorecard", width)
            fault_row = rows.filter(has_text="故障")
            assert fault_row.locator("a.point-entry").count() == 3
            fault_row.locator("a.point-entry").first.click()
            assert re.search(r"/console/entries/\d+$", page.url)
            assert CODE in page.locator("#entry-subject").inner_text()
            assert "故障" in page.locator("h1").inner_text()
            assert page.locator("#reveal-form").count() == 0  # no personal fields in a fault

            _, entries = read.elevator_entries(city.node.engine, CODE, 0, 100)
            [visit] = [e["log_index"] for e in entries if e["type"] == "maintenance.performed"]
            page.goto(f"{base}/console/entries/{visit}")
            hidden = page.locator("#personal-hidden").inner_text()
            assert hidden.count("已隐藏") == 4
            assert not any(t in page.content() for t in TECHNICIANS)
            _fits(page, width)
            _shot(page, "entry", width)
            before = len(PersonalReads(city.node.engine).list())
            page.locator("#reason").fill(f"核查投诉 {width}")
            page.locator("#reveal").click()
            values = page.locator("#personal-values").inner_text()
            assert all(t in values for t in TECHNICIANS)
            assert "/reveal" in page.url  # the values came from the POST, not a GET with them
            assert len(PersonalReads(city.node.engine).list()) == before + 1
            _shot(page, "revealed", width)

            page.get_by_role("link", name="个人信息查阅记录").click()
            newest = page.locator("tr.reveal").first
            text = newest.inner_text()
            assert f"赵监管{width}" in text and f"核查投诉 {width}" in text and "工作台" in text
            assert city.node.today().isoformat() in text
            newest.locator("a").click()
            assert page.url.endswith(f"/console/entries/{visit}")
            assert not any(t in page.content() for t in TECHNICIANS), "a GET shows nothing"
            page.goto(f"{base}/console/reveals")
            _fits(page, width)
            _shot(page, "reveals", width)


def test_in_the_demo_city_a_maintenance_record_is_revealed_and_recorded(
    planned_city: PlannedCity,
) -> None:
    city = planned_city.city
    engine = city.node.engine
    bureau = next(o["uscc"] for o in read.search(engine, "市场监督管理局")["organizations"])
    code = planned_city.plan.elevators[0]
    _, entries = read.elevator_entries(engine, code, 0, 50)
    visit = next(e for e in entries if e["type"] == "maintenance.performed")
    maintainer = visit["issuer"]
    app = create_app(node=city.node)
    with (
        signed_in(app, regulator_user(bureau, ("430900",), name="钱监管")),
        in_thread(city.node, app) as base,
    ):
        for page in _browse(base, 1280):
            page.goto(f"{base}/console/organizations/{maintainer}")
            assert "维保单位" in page.locator("#roles").inner_text()
            page.goto(f"{base}/console/organizations/{maintainer}/scorecard")
            assert "参考" in page.content()
            _shot(page, "demo-scorecard", 1280)
            page.goto(f"{base}/console/entries/{visit['log_index']}")
            assert "已隐藏" in page.locator("#personal-hidden").inner_text()
            page.locator("#reason").fill("演示城市核查")
            page.locator("#reveal").click()
            values = page.locator("#personal-values").inner_text()
            assert "technicians[0].name" in values and "已隐藏" not in values
            _shot(page, "demo-revealed", 1280)
            page.goto(f"{base}/console/reveals?person=钱监管")
            row = page.locator("tr.reveal").first.inner_text()
            assert "演示城市核查" in row and f"#{visit['log_index']}" in row
