"""The enterprise desk in a real browser (Debian's chromium driven by Playwright), at desktop
and phone widths: a maintenance company's staff sees its elevators and the day's work, a
submission refused over HTTP then on its rejected list with its rule, its statements with a
receipt downloaded and checked with ``ledger.merkle``, and another company's elevator refused.

Screenshots go to ``$DESK_SHOTS`` when it is set (to look at), else to the test's tmp dir."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from api.app import create_app
from ledger import merkle
from ledger.note import NoteVerifier
from ledger.receipt import Promise, open_tlog_proof
from tests.support.browser import ARGS, CHROMIUM, playwright_or_skip
from tests.support.city import NOW, City, Org, statement
from tests.support.lift_states import Parties, build, in_service
from tests.support.servers import in_thread
from tests.support.web import enterprise_user, signed_in

OTHERS_LIFT = "311023010201500199"
WIDTHS = {"desktop": 1280, "phone": 390}


class Served:
    def __init__(self, base: str, city: City, ours: Parties, codes: dict[str, str], shots: Path):
        self.base, self.city, self.ours, self.codes, self.shots = base, city, ours, codes, shots

    @property
    def maintainer(self) -> Org:
        return self.ours.maintainer


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    playwright_or_skip()  # skip before seeding a city no browser will see
    tmp = tmp_path_factory.mktemp("desk")
    city = City.open(tmp / "home", f"sqlite:///{tmp}/ledger.db")
    ours, others = Parties.onboard(city), Parties.onboard(city)
    codes = build(city, ("normal", "rescue", "hazard", "stopped"), ours)
    in_service(city, others, OTHERS_LIFT)
    city.node.projections.catch_up()
    shots = Path(os.environ.get("DESK_SHOTS") or tmp / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    app = create_app(node=city.node)
    try:
        with (
            signed_in(app, enterprise_user(ours.maintainer.uscc, "李维保")),
            in_thread(city.node, app) as base,
        ):
            yield Served(base, city, ours, codes, shots)
    finally:
        city.node.close()


def _pages(served: Served) -> Iterator[tuple[str, Any]]:
    """A browser page per width (desktop, phone), without JavaScript: the desk needs none."""
    with playwright_or_skip()() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for name, width in WIDTHS.items():
                context = browser.new_context(
                    viewport={"width": width, "height": 900},
                    java_script_enabled=False,
                    locale="zh-CN",
                    accept_downloads=True,
                )
                yield name, context.new_page()
                context.close()
        finally:
            browser.close()


def _shoot(served: Served, page: Any, name: str, width: str) -> None:
    page.screenshot(path=str(served.shots / f"{name}-{width}.png"), full_page=True)


def _fits(page: Any, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the page scrolls sideways at {width} px ({scroll})"


def test_my_elevators_and_the_days_work(served: Served) -> None:
    for width, page in _pages(served):
        page.goto(f"{served.base}/desk")
        assert page.locator("#count-elevators").inner_text() == "4"
        assert page.locator("#count-rescues").inner_text() == "1"
        assert page.locator("#count-hazards").inner_text() == "1"
        assert served.codes["rescue"] in page.locator("#rescues").inner_text()
        rows = page.locator("#elevators tbody tr")
        assert rows.count() == 4
        assert "赫山花园物业服务有限公司" in rows.first.inner_text()
        assert OTHERS_LIFT not in page.content()
        _fits(page, WIDTHS[width])
        _shoot(served, page, "desk-home", width)
        page.locator(f"#elevators a[href='/desk/elevators/{served.codes['hazard']}']").click()
        assert page.locator("#status-badge").inner_text() == "挂牌督办"
        assert "曳引钢丝绳断丝超标" in page.locator("#open-items").inner_text()
        _shoot(served, page, "desk-elevator", width)


def test_a_refused_submission_is_on_the_rejected_list_with_its_rule(served: Served) -> None:
    maintainer = served.maintainer
    refused = statement(
        "fault.cleared",
        served.codes["normal"],
        maintainer,
        NOW - timedelta(minutes=3),
        fault_id="F-E2E-NEVER",
    )
    answer = httpx.post(
        f"{served.base}/v1/statements", json=served.city.envelope([maintainer], refused)
    )
    assert answer.status_code == 422 and answer.json()["rule"] == "fault-not-open"
    for width, page in _pages(served):
        page.goto(f"{served.base}/desk")
        page.locator("header nav a[href='/desk/rejected']").click()
        table = page.locator("#rejections").inner_text()
        assert "fault-not-open" in table and "F-E2E-NEVER" in table and "故障排除" in table
        assert "签名无法验证" in page.locator("#what-is-listed").inner_text()
        assert "违反业务规则：没有该编号的未排除故障" in table and "原文（英文）" in table
        _fits(page, WIDTHS[width])
        message = page.locator("#rejections td.why .detail").first.bounding_box()
        assert message["x"] + message["width"] <= WIDTHS[width], "the message is off-screen"
        _shoot(served, page, "desk-rejected", width)


def test_a_receipt_downloaded_from_our_statements_verifies(served: Served, tmp_path: Path) -> None:
    verifier = NoteVerifier.parse(httpx.get(f"{served.base}/v1/log/key").text)
    for width, page in _pages(served):
        page.goto(f"{served.base}/desk/statements")
        assert "不保存、不接收任何私钥" in page.locator("#signing").inner_text()
        row = page.locator("#statements tbody tr").first
        index = int(row.get_attribute("data-log-index") or "-1")
        with page.expect_download() as download:
            row.locator("a.receipt-json").click()
        saved = tmp_path / f"receipt-{width}.json"
        download.value.save_as(saved)
        receipt = orjson.loads(saved.read_bytes())
        assert receipt["log_index"] == index and receipt["duplicate"] is False
        entry = httpx.get(f"{served.base}/v1/log/entries/{index}").content
        proof = open_tlog_proof(receipt["inclusion_proof"], verifier)
        merkle.verify_inclusion(
            proof.index,
            proof.checkpoint.size,
            merkle.leaf_hash(entry),
            proof.proof,
            proof.checkpoint.root,
        )
        assert merkle.leaf_hash(entry).hex() == receipt["entry_hash"]
        assert Promise.open(receipt["promise"], verifier).index == index
        _fits(page, WIDTHS[width])
        _shoot(served, page, "desk-statements", width)
        page.goto(f"{served.base}/desk/keys")
        assert served.maintainer.key.verifying_key.key_id in page.locator("#keys").inner_text()
        _shoot(served, page, "desk-keys", width)


def test_another_organizations_elevator_is_refused(served: Served) -> None:
    for width, page in _pages(served):
        response = page.goto(f"{served.base}/desk/elevators/{OTHERS_LIFT}")
        assert response is not None and response.status == 404
        assert "与贵单位无关" in page.locator("#desk-error").inner_text()
        assert "维保单位" not in page.content()
        _shoot(served, page, "desk-not-ours", width)
