"""The QR page in a real browser (Debian's chromium driven by Playwright), on a phone-sized
screen, with and without JavaScript: what a passenger sees, and that it is what the log holds."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from ledger import merkle
from ledger.note import open_checkpoint
from tests.support.browser import ARGS, CHROMIUM, playwright_or_skip
from tests.support.city import City
from tests.support.seeded import PlannedCity
from tests.support.servers import in_thread


@pytest.fixture(scope="module")
def served(planned_city: PlannedCity) -> Iterator[tuple[str, City, list[str]]]:
    city = planned_city.city
    with in_thread(city.node) as base:
        yield base, city, list(planned_city.plan.elevators)


def _open(url: str, javascript: bool = True) -> Iterator[Any]:
    sync_playwright = playwright_or_skip()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(
            viewport={"width": 375, "height": 812}, java_script_enabled=javascript, locale="zh-CN"
        )
        page = context.new_page()
        page.goto(url)
        yield page
        browser.close()


def test_a_passenger_sees_status_rescue_code_and_responsible_parties(
    served: tuple[str, City, list[str]],
) -> None:
    base, city, codes = served
    status = city.node.app.elevator(codes[0])
    assert status is not None and status.state.registration is not None
    registration = status.state.registration.registration_code
    for page in _open(f"{base}/e/{registration}", javascript=False):
        assert page.locator("#status-badge").inner_text().strip() in {
            "困人救援中",
            "禁止使用",
            "停用",
            "挂牌督办",
            "检验逾期",
            "检测逾期",
            "维保逾期",
            "正常使用",
        }
        assert page.locator("#equipment-code").inner_text() == codes[0]
        assert page.locator("#rescue").inner_text().count("96333") >= 1
        assert "维保单位" in page.locator("#parties").inner_text()
        assert "最近维保" in page.locator("#maintenance").inner_text()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, "the page fits a phone screen without sideways scrolling"


def test_what_the_page_shows_is_what_the_log_holds(served: tuple[str, City, list[str]]) -> None:
    base, city, codes = served
    verifier = city.node.log.signer.verifier
    for page in _open(f"{base}/e/{codes[0]}"):
        checkpoint = open_checkpoint(page.locator("#checkpoint").text_content() or "", verifier)
        details = page.locator("#verify details").all()[1:]
        assert details, "recent entries carry proofs"
        for item in details:
            item.locator("summary").click()
            codes_ = item.locator("code").all_inner_texts()
            entry_hash, proof = codes_[0], [base64.b64decode(c) for c in codes_[2:]]
            index = int(item.locator("summary").inner_text().split("序号")[1])
            assert city.node.log.leaf_hash(index).hex() == entry_hash
            merkle.verify_inclusion(
                index, checkpoint.size, bytes.fromhex(entry_hash), proof, checkpoint.root
            )


def test_an_unknown_code_gets_a_friendly_404(served: tuple[str, City, list[str]]) -> None:
    base, _, _ = served
    for page in _open(f"{base}/e/999999999999999999"):
        assert "未找到该电梯" in page.content() and "96333" in page.content()
