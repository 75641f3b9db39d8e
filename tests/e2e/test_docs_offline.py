"""/docs and /redoc in a real browser with every request to another host refused: the API's
operations still render (their assets come from the app, api/docs_pages.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.support.browser import ARGS, CHROMIUM, playwright_or_skip
from tests.support.city import City
from tests.support.servers import in_thread

SHOTS = Path(os.environ.get("LEDGER_SHOTS", "/tmp/shots-onboard"))
LOCAL = {"127.0.0.1", "localhost", "::1", "[::1]"}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("docs")
    city = City.open(home, f"sqlite:///{home / 'ledger.db'}")
    with in_thread(city.node) as url:
        yield url
    city.node.close()


def _offline_page(base: str, path: str, width: int) -> Iterator[tuple[Any, list[str]]]:
    """The page at ``path`` with every request to a host other than this machine aborted;
    yields the page and the URLs refused."""
    sync_playwright = playwright_or_skip()
    refused: list[str] = []

    def only_local(route: Any) -> None:
        if urlparse(route.request.url).hostname in LOCAL:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.route("**/*", only_local)
        page.goto(f"{base}{path}")
        yield page, refused
        browser.close()


def test_swagger_ui_renders_the_operations_with_no_network(base: str) -> None:
    for page, refused in _offline_page(base, "/docs", 1280):
        page.wait_for_selector(".opblock-summary-path", timeout=15_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert any("/v1/statements/batch" in p for p in paths)
        assert page.locator(".swagger-ui .info .title").inner_text().startswith("elevator-ledger")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "docs-1280.png"))
        assert refused == [], f"the page asked other hosts for {refused}"


def test_redoc_renders_the_operations_with_no_network(base: str) -> None:
    for page, refused in _offline_page(base, "/redoc", 1280):
        page.wait_for_selector("[data-section-id^='operation/']", timeout=20_000)
        assert page.get_by_text("/v1/statements/batch").count() >= 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "redoc-1280.png"))
        assert refused == [], f"the page asked other hosts for {refused}"
