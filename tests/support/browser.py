"""Debian's chromium for the browser tests (driven by Playwright), or a skip with the reason —
a failure instead where CI requires the browser (``LEDGER_REQUIRE_BROWSER=1``)."""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def playwright_or_skip() -> Any:
    """Playwright's ``sync_playwright``, once chromium is known to be there."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("LEDGER_REQUIRE_BROWSER") == "1":
            pytest.fail(
                "LEDGER_REQUIRE_BROWSER=1 but chromium is missing (apt-get install chromium)"
            )
        pytest.skip("chromium is not installed (make test installs it; apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    return sync_playwright
