"""Signing in to the console in a real browser (Debian's chromium driven by Playwright): the
sign-in page, a wrong password, the accounts page showing who is signed in and their districts,
signing out, and the page sending the browser back to sign-in afterwards — at desktop and
phone widths, screenshots in /tmp/shots-auth/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.web.accounts import AccountStore
from tests.support.browser import ARGS, CHROMIUM, playwright_or_skip
from tests.support.city import City
from tests.support.servers import in_thread

SHOTS = Path("/tmp/shots-auth")
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("console-sign-in")
    city = City.open(tmp / "home", f"sqlite:///{tmp}/ledger.db")
    try:
        city.node.projections.catch_up()
        AccountStore.open(city.node.engine).add(
            organization=city.authority.uscc,
            name="陈静",
            login="chenjing",
            desk="console",
            password=PASSWORD,
            created_by="test",
            districts=("430903", "430902"),
        )
        with in_thread(city.node) as base:
            yield base
    finally:
        city.node.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_sign_in_see_who_and_where_sign_out_and_be_sent_back(served: str, width: int) -> None:
    sync_playwright = playwright_or_skip()
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_context(
            viewport={"width": width, "height": 800}, locale="zh-CN", java_script_enabled=False
        ).new_page()
        page.goto(f"{served}/console/accounts")
        assert page.url == f"{served}/console/sign-in?next=/console/accounts"
        page.screenshot(path=str(SHOTS / f"e2e-sign-in-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width

        page.fill("#login", "chenjing")
        page.fill("#password", "not the password")
        page.click("#sign-in-button")
        assert "登录名或密码错误" in page.locator("#sign-in-error").inner_text()
        assert page.input_value("#login") == "chenjing"

        page.fill("#password", PASSWORD)
        page.click("#sign-in-button")
        assert page.url == f"{served}/console/accounts"
        assert page.locator("#me-name").inner_text() == "陈静"
        assert page.locator("#me-districts").inner_text() == "赫山区（430903）、资阳区（430902）"
        assert "陈静" in page.locator("#signed-in-as").inner_text()
        page.screenshot(path=str(SHOTS / f"e2e-accounts-{width}.png"), full_page=True)

        page.click("header .who button")
        assert page.url == f"{served}/console/sign-in?signed_out=1"
        assert "您已退出登录" in page.locator("#sign-in-notice").inner_text()
        page.goto(f"{served}/console/accounts")
        assert page.url.startswith(f"{served}/console/sign-in?next=")
        assert page.locator("#sign-in").is_visible()
        browser.close()
