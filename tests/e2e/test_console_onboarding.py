"""Onboarding an enterprise in a real browser: a regulator fills the form, downloads the
statements, signs them away from the server with ``elevator-ledger sign`` (the authority's key
under the node's ``LEDGER_HOME``, where ``init`` made it), uploads the signed file and sees a
receipt for each; then the organization is in the ledger. Screenshots at 1280 and 390 px."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.app import create_app
from domain.model.identifiers import make_uscc
from domain.model.roles import Role
from ledger.keys import SigningKey
from tests.support.browser import ARGS, CHROMIUM, playwright_or_skip
from tests.support.city import City
from tests.support.servers import cli_command, in_thread, server_env
from tests.support.web import regulator_user, signed_in

SHOTS = Path(os.environ.get("LEDGER_SHOTS", "/tmp/shots-onboard"))
ENTERPRISE = make_uscc("91430900MA4L88801")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, City]]:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    city = City.open(tmp_path / "home", url)
    app = create_app(node=city.node)
    with (
        signed_in(app, regulator_user(city.authority.uscc, ("430900",))),
        in_thread(city.node, app) as base,
    ):
        yield base, city
    city.node.close()


def _sign_offline(city: City, statements: Path, signed: Path) -> None:
    """What the authority runs on its signing machine: the CLI, the key from its home."""
    settings = city.node.settings
    done = subprocess.run(
        cli_command(
            "sign", str(statements), "-k", str(settings.authority_key_path), "-o", str(signed)
        ),
        env=server_env(settings.home, settings.resolved_database_url),
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()


@pytest.mark.parametrize("width", [1280, 390])
def test_a_regulator_onboards_an_enterprise_signing_offline(
    served: tuple[str, City], tmp_path: Path, width: int
) -> None:
    base, city = served
    key = SigningKey.generate()
    sync_playwright = playwright_or_skip()
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": 900}, locale="zh-CN")
        page.goto(f"{base}/console/onboarding")
        page.fill("input[name=name]", "益阳市浏览器电梯维保有限公司")
        page.fill("input[name=uscc]", ENTERPRISE)
        page.fill("input[name=district]", "430903")
        page.fill("input[name=address]", "益阳市赫山区桃花仑路1号")
        page.fill("input[name=legal_representative]", "钱七")
        page.get_by_label("维保单位").check()
        page.get_by_label("许可种类 第 1 行").select_option("installation_repair")
        page.get_by_label("许可证编号 第 1 行").fill("TS3343088-2030")
        page.get_by_label("适用范围 第 1 行").fill("3110, 3310")
        page.get_by_label("有效期至 第 1 行").fill("2030-12-31")
        page.fill("textarea[name=public_key]", key.verifying_key.public_b64())
        page.screenshot(path=str(SHOTS / f"onboarding-form-{width}.png"), full_page=True)
        page.click("text=生成待签名声明")

        assert page.locator("#prepared tbody tr").count() == 4
        assert "elevator-ledger sign" in page.locator("#sign-command").inner_text()
        page.screenshot(path=str(SHOTS / f"onboarding-prepared-{width}.png"), full_page=True)
        with page.expect_download() as download:
            page.click("#download")
        statements = tmp_path / download.value.suggested_filename
        download.value.save_as(statements)
        assert statements.name == f"onboarding-{ENTERPRISE}.jsonl"

        signed = tmp_path / "signed.jsonl"
        _sign_offline(city, statements, signed)
        page.set_input_files("input[name=file]", str(signed))
        page.click("text=提交到账本")

        assert page.locator("#outcomes tr.accepted").count() == 4
        assert "4 个已写入账本" in page.locator("#summary").inner_text()
        page.screenshot(path=str(SHOTS / f"onboarding-results-{width}.png"), full_page=True)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, "the results fit the screen without sideways scrolling"
        browser.close()

    org = city.node.app.organization(ENTERPRISE)
    assert org is not None and org.state.registered
    assert set(org.state.roles) == {Role.MAINTENANCE_UNIT}
    assert org.state.key_ids == {key.key_id}


def test_a_private_key_pasted_in_the_browser_is_refused_with_a_warning(
    served: tuple[str, City],
) -> None:
    base, _ = served
    private = SigningKey.generate().to_pem().decode()
    sync_playwright = playwright_or_skip()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page.goto(f"{base}/console/onboarding")
        page.fill("input[name=name]", "益阳市误贴私钥有限公司")
        page.fill("input[name=uscc]", ENTERPRISE)
        page.fill("input[name=district]", "430903")
        page.fill("input[name=address]", "益阳市赫山区")
        page.fill("input[name=legal_representative]", "孙八")
        page.get_by_label("使用单位").check()
        page.fill("textarea[name=public_key]", private)
        page.click("text=生成待签名声明")
        assert page.locator("#private-key-warning").is_visible()
        assert page.input_value("textarea[name=public_key]") == ""
        assert "PRIVATE KEY" not in page.content()
        page.screenshot(path=str(SHOTS / "onboarding-private-key-1280.png"), full_page=True)
        browser.close()
