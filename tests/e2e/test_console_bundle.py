"""The elevator's file downloaded in a real browser (Debian's chromium driven by Playwright) and
checked offline: a signed-in regulator clicks the bundle link, the browser saves the ZIP, and
`elevator-ledger verify` on the saved file — another process, no server asked — says OK. The
pages for another district's elevator and an unknown one are shown at desktop and phone widths
(screenshots in /tmp/shots-bundle/)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.app import create_app
from projections.read import elevator
from tests.support.browser import ARGS, CHROMIUM, playwright_or_skip
from tests.support.seeded import PlannedCity
from tests.support.servers import cli_command, in_thread
from tests.support.web import regulator_user, signed_in

SHOTS = Path("/tmp/shots-bundle")


@pytest.fixture(scope="module")
def served(planned_city: PlannedCity) -> Iterator[tuple[str, PlannedCity, str]]:
    node = planned_city.city.node
    code = planned_city.plan.elevators[0]
    found = elevator(node.engine, code, node.today())
    assert found is not None and found.status.district is not None
    app = create_app(node=node)
    user = regulator_user(node.anchor.uscc, (found.status.district,))
    with signed_in(app, user), in_thread(node, app) as base:
        yield base, planned_city, code


def test_a_regulator_downloads_the_file_and_verify_checks_it_offline(
    served: tuple[str, PlannedCity, str], tmp_path: Path
) -> None:
    base, city, code = served
    sync_playwright = playwright_or_skip()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(accept_downloads=True, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{base}/console/elevators/311023010201599999/bundle")
        url = f"{base}/console/elevators/{code}/bundle"
        page.evaluate(
            "url => { const a = document.createElement('a'); a.id = 'download';"
            " a.href = url; a.textContent = '下载电子档案'; document.body.append(a); }",
            url,
        )
        with page.expect_download() as info:
            page.click("#download")
        download = info.value
        assert download.suggested_filename.startswith(f"elevator-{code}-log")
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
        browser.close()
    log_key = city.city.node.log.signer.verifier.text()
    env = {
        "LEDGER_HOME": str(tmp_path / "auditor"),
        "LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'auditor' / 'none.db'}",
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path / "auditor"),
    }
    done = subprocess.run(
        cli_command("verify", str(saved), "--log-key", log_key),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"verified the file of elevator {code}: ")
    assert ": OK" in done.stdout.splitlines()[0]


@pytest.mark.parametrize("width", [1280, 390])
def test_another_districts_elevator_and_an_unknown_one_are_clear_pages(
    planned_city: PlannedCity, width: int
) -> None:
    node = planned_city.city.node
    code = planned_city.plan.elevators[0]
    app = create_app(node=node)
    user = regulator_user(node.anchor.uscc, ("110101",))
    sync_playwright = playwright_or_skip()
    SHOTS.mkdir(exist_ok=True)
    with signed_in(app, user), in_thread(node, app) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": 800}, locale="zh-CN")
        answer = page.goto(f"{base}/console/elevators/{code}/bundle")
        assert answer is not None and answer.status == 403
        assert "不在您的辖区" in page.locator("#bundle-problem").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(SHOTS / f"bundle-403-{width}.png"), full_page=True)
        answer = page.goto(f"{base}/console/elevators/311023010201599999/bundle")
        assert answer is not None and answer.status == 404
        assert "没有这部电梯" in page.locator("#bundle-problem").inner_text()
        page.screenshot(path=str(SHOTS / f"bundle-404-{width}.png"), full_page=True)
        browser.close()
