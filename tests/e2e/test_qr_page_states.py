"""The QR page in each state a passenger must be warned of, in a real browser (Debian's chromium
driven by Playwright) on a 390 px wide phone screen without JavaScript: what is seen first,
what it says, that it fits the screen — and a full-page screenshot of each, for a person to
look at (saved under the test's tmp dir, or ``$LEDGER_SCREENSHOTS``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import lift_states as ls
from tests.support.browser import ARGS, CHROMIUM, playwright_or_skip
from tests.support.city import City
from tests.support.servers import in_thread

WIDTH = 390


@dataclass
class Served:
    base: str
    codes: dict[str, str]
    shots: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("qr-states")
    city = City.open(tmp / "home", f"sqlite:///{tmp}/ledger.db")
    codes = ls.build(city)
    shots = Path(os.environ.get("LEDGER_SCREENSHOTS") or tmp / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    with in_thread(city.node) as base:
        yield Served(base, codes, shots)
    city.node.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_playwright = playwright_or_skip()
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def visit(browser: Any, served: Served, path: str, shot: str, status: int = 200) -> Any:
    """The page at ``path`` on a phone, JavaScript off, answered with ``status``, after its
    screenshot is saved."""
    context = browser.new_context(
        viewport={"width": WIDTH, "height": 844},
        java_script_enabled=False,
        locale="zh-CN",
        extra_http_headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
    )
    page = context.new_page()
    response = page.goto(served.base + path)
    page.screenshot(path=str(served.shots / f"{shot}.png"), full_page=True)
    page.screenshot(path=str(served.shots / f"{shot}-first-screen.png"))  # what is seen first
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{path} scrolls sideways on a phone ({width} px)"
    assert response.status == status, path
    return page


def badge_and_details(page: Any) -> tuple[str, str]:
    return (
        page.locator("#status-badge").inner_text().strip(),
        page.locator("#safety").inner_text(),
    )


def test_an_open_rescue(browser: Any, served: Served) -> None:
    page = visit(browser, served, f"/e/{served.codes['rescue']}", "rescue")
    badge, details = badge_and_details(page)
    assert badge == "困人救援中"
    assert f"{ls.TRAPPED} 人被困" in details and "报警于" in details
    assert page.locator("a.call").get_attribute("href") == "tel:96333"


def test_a_stopped_lift(browser: Any, served: Served) -> None:
    page = visit(browser, served, f"/e/{served.codes['stopped']}", "stopped")
    badge, details = badge_and_details(page)
    assert badge == "停用" and ls.STOP_REASON in details and "停用自" in details
    assert "请勿乘坐" in details


def test_a_hazard_under_supervision(browser: Any, served: Served) -> None:
    page = visit(browser, served, f"/e/{served.codes['hazard']}", "hazard")
    badge, details = badge_and_details(page)
    assert badge == "挂牌督办" and ls.HAZARD in details
    assert ls.HAZARD_DEADLINE.isoformat() in details


def test_a_scrapped_lift(browser: Any, served: Served) -> None:
    page = visit(browser, served, f"/e/{served.codes['scrapped']}", "scrapped")
    badge, details = badge_and_details(page)
    assert badge == "禁止使用" and ls.SCRAP_REASON in details
    assert page.locator("a.call").count() == 0, "no rescue button"
    assert "保险公司" not in page.locator("#parties").inner_text()


def test_a_cancelled_lift(browser: Any, served: Served) -> None:
    page = visit(browser, served, f"/e/{served.codes['cancelled']}", "cancelled")
    badge, details = badge_and_details(page)
    assert badge == "禁止使用" and ls.CANCEL_REASON in details
    assert page.locator("a.call").count() == 0
    assert "保险公司" not in page.locator("#parties").inner_text()


def test_a_failed_inspection(browser: Any, served: Served) -> None:
    page = visit(browser, served, f"/e/{served.codes['failed']}", "failed-inspection")
    badge, details = badge_and_details(page)
    assert badge == "禁止使用" and "检验不合格" in details and ls.FINDING in details
    assert details.index("定期检验不合格，禁止使用") < details.index(ls.FINDING)  # said first
    assert "禁止使用（定期检验不合格）" in page.locator("section dl").first.inner_text()
    assert "复检合格前禁止使用" in page.locator("#must-not-run").inner_text()


def test_a_lift_in_normal_use(browser: Any, served: Served) -> None:
    page = visit(browser, served, f"/e/{served.codes['normal']}", "normal")
    badge, details = badge_and_details(page)
    assert badge == "正常使用" and "数据截至" in details


def test_an_unknown_code(browser: Any, served: Served) -> None:
    page = visit(browser, served, "/e/999999999999999999", "unknown-code", 404)
    text = page.locator("main").inner_text()
    assert "未找到该电梯" in text and "96333" in text and "12315" in text and "12345" in text
    assert page.locator("a.call").get_attribute("href") == "tel:96333"


def test_a_bad_path(browser: Any, served: Served) -> None:
    for n, path in enumerate(["/e/", "/e/a/b", "/e/" + "9" * 80]):
        page = visit(browser, served, path, f"bad-path-{n}", 404)
        text = page.locator("main").inner_text()
        assert "96333" in text and "12315" in text, path
