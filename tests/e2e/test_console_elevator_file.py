"""The elevator's file in a real browser (Debian's chromium driven by Playwright, JavaScript
off: the console works without it), on the demo's planned city: find a lift by its registration
code, read its file, replay it on both axes at an instant a late entry falls across, see the
steps and the accountability report, follow a link to an entry; at desktop and phone widths, and
printed; the list of elevators fits a phone as one card per lift, its codes and dates unbroken on
a desktop. Screenshots go to /tmp/shots-file/ (the list's and the replay's also to
/tmp/shots-fixa/)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from projections import read
from tests.support.browser import ARGS, CHROMIUM, playwright_or_skip
from tests.support.city import City
from tests.support.layout import broken
from tests.support.seeded import PlannedCity
from tests.support.servers import in_thread
from tests.support.web import regulator_user, signed_in

SHOTS = Path("/tmp/shots-file")
LAYOUT_SHOTS = Path("/tmp/shots-fixa")


@dataclass
class Served:
    base: str
    city: City
    code: str
    registration: str
    late: dict[str, Any]  # the late entry (entries read model)

    def between(self) -> str:
        """An instant after the late entry happened and before it was recorded, as the form's
        datetime-local field takes it (the ledger's clock)."""
        occurred = datetime.fromisoformat(self.late["occurred_at"])
        recorded = datetime.fromisoformat(self.late["recorded_at"])
        middle = occurred + (recorded - occurred) / 2
        return middle.astimezone(self.city.node.settings.zone).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture(scope="module")
def served(planned_city: PlannedCity) -> Iterator[Served]:
    city = planned_city.city
    engine = city.node.engine
    for code in planned_city.plan.elevators:
        _, entries = read.elevator_entries(engine, code, 0, 10_000, newest_first=False)
        late = [e for e in entries if e["late"] and e["type"] == "maintenance.performed"]
        view = read.elevator(engine, code, city.node.today())
        if late and view and view.status.registration_code:
            break
    else:
        pytest.fail("the planned city has no registered lift with a late maintenance record")
    app = create_app(node=city.node)
    user = regulator_user(city.authority.uscc, ("430900",), name="赵监管")
    with signed_in(app, user), in_thread(city.node, app) as base:
        yield Served(base, city, code, view.status.registration_code, late[0])


def _pages(width: int) -> Iterator[Any]:
    sync_playwright = playwright_or_skip()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(
            viewport={"width": width, "height": 900}, java_script_enabled=False, locale="zh-CN"
        )
        yield context.new_page()
        browser.close()


def _shot(page: Any, name: str, where: Path = SHOTS) -> None:
    where.mkdir(exist_ok=True)
    page.screenshot(path=str(where / f"{name}.png"), full_page=True)


def _fits_its_frame(page: Any, selector: str) -> None:
    """The table in ``selector``'s frame shows every column without scrolling inside it."""
    frame = page.locator(f"{selector} .table-wrap").first
    inner, shown = frame.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert inner <= shown, f"{selector}: a {inner}px table in a {shown}px frame"


def _fits(page: Any, width: int) -> None:
    scrolled = page.evaluate("document.documentElement.scrollWidth")
    assert scrolled <= width, f"{page.url} is {scrolled}px wide on a {width}px screen"


@pytest.mark.parametrize("width", [1280, 390])
def test_a_regulator_finds_a_lift_replays_it_on_both_axes_and_follows_an_entry(
    served: Served, width: int
) -> None:
    for page in _pages(width):
        page.goto(f"{served.base}/console/elevators")
        _fits(page, width)
        _fits_its_frame(page, "#my-elevators")
        rows = page.locator("#elevator-rows tbody tr")
        assert rows.count() > 0 and page.locator("#elevator-rows .status-badge").count() == (
            rows.count()
        ), "every lift listed with its badge"
        if width == 1280:
            assert not broken(page, "#elevator-rows td.nowrap, #elevator-rows td code"), (
                "a code or a date wraps"
            )
        _shot(page, f"elevators-{width}", LAYOUT_SHOTS)
        page.fill("input[name=q]", served.registration)
        page.click("#search button[type=submit]")
        assert page.url == f"{served.base}/console/elevators/{served.code}"
        assert page.locator("#equipment-code").inner_text() == served.code
        history = page.locator("#entries tbody tr")
        assert history.count() > 0 and page.locator("#history .pager").count() == 1
        assert page.locator("#timeline tbody tr").count() > 0
        assert page.locator("#download").get_attribute("href") == (
            f"/console/elevators/{served.code}/bundle"
        )
        _fits(page, width)
        _shot(page, f"file-{width}")

        page.fill("input[name=as_of]", served.between())
        page.select_option("select[name=axis]", "occurred")
        page.click("#replay-form button[type=submit]")
        assert "/replay?" in page.url and "axis=occurred" in page.url
        assert page.locator("#report").get_attribute("data-axis") == "occurred"
        assert page.locator("#step-list tbody tr").count() > 0
        assert page.locator("#parties tbody tr").count() > 0, "someone answered for the lift"
        late = page.locator(f"#occurred-only a[href='/console/entries/{served.late['log_index']}']")
        assert late.count() == 1, "the late entry is named as known on one axis only"
        occurred_steps = page.locator("#step-list tbody tr").count()
        _fits(page, width)
        _fits_its_frame(page, "#compare")
        _shot(page, f"replay-occurred-{width}")
        _shot(page, f"replay-occurred-{width}", LAYOUT_SHOTS)

        page.click("a.axis-switch[data-axis=recorded]")
        assert page.locator("#report").get_attribute("data-axis") == "recorded"
        assert page.locator(f"#step-list tr[data-version='{served.late['version']}']").count() == 0
        assert page.locator("#step-list tbody tr").count() <= occurred_steps
        _shot(page, f"replay-recorded-{width}")

        link = page.locator("#step-list a.entry-link").last
        href = link.get_attribute("href") or ""
        assert href.startswith("/console/entries/")
        index = int(href.rsplit("/", 1)[1])
        version = int(link.locator("xpath=ancestor::tr").get_attribute("data-version") or 0)
        chain = served.city.node.chains().entries(f"elevator:{served.code}")
        assert chain[version - 1].index == index, "the link is to the step's own log entry"
        link.click()
        assert page.url == f"{served.base}{href}"


def test_the_printed_file_is_the_file_without_the_console(served: Served) -> None:
    for page in _pages(1280):
        page.goto(f"{served.base}/console/elevators/{served.code}")
        page.click("#print")
        assert "history=all" in page.url
        assert page.locator("#print-note").is_visible()
        page.emulate_media(media="print")
        for hidden in ("header.top", "#replay", "#print-note", ".file-actions"):
            assert not page.locator(hidden).first.is_visible(), hidden
        for shown in ("#status", "#identities", "#timeline", "#open-items", "#entries"):
            assert page.locator(shown).is_visible(), shown
        total = served.city.node.chains().entries(f"elevator:{served.code}")
        assert page.locator("#entries tbody tr").count() == len(total), "the whole history"
        breaks = page.evaluate(
            "[...document.querySelectorAll('.file-page > section.card')]"
            ".map(s => getComputedStyle(s).breakBefore)"
        )
        assert breaks[0] != "page" and "page" in breaks[1:], breaks
        _shot(page, "file-print")
