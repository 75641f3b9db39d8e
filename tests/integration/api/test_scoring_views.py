"""Where a maintainer's score is shown: the QR page shows none where no scheme is adopted (a
Yiyang ledger), and under an adopted one only an indicator labelled 参考 with its period; the
regulator's scorecard is an indicator labelled 参考, never a grade."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.auth import TokenStore
from api.cli import app as cli_app
from domain.model import scoring
from domain.model.scoring import FUJIAN_2024, Period
from tests.integration.api.test_qr_page_states import page_of
from tests.support import lift_states as ls
from tests.support.city import City

YIYANG_TEST = replace(
    FUJIAN_2024,
    id="test-yiyang",
    name_zh="测试方案",
    jurisdiction="4309",
    effective_from=date(2000, 1, 1),
)


@pytest.fixture
def city(tmp_path: Path, database_url: str) -> Iterator[City]:
    city = City.open(tmp_path, database_url)
    yield city
    city.node.close()


def test_the_qr_page_shows_no_grade_where_no_scheme_is_adopted(city: City) -> None:
    [code] = ls.build(city, ("rescue",)).values()  # an alarm 40 minutes ago, nobody there yet
    with TestClient(create_app(node=city.node)) as client:
        page = page_of(client, f"/e/{code}")
    assert page.status == 200 and "维保单位" in page.section("parties")
    assert "信用等级" not in page.text and "maintainer-score" not in page.html
    assert "记分" not in page.text


def test_under_an_adopted_scheme_the_qr_page_shows_an_indicator_labelled_reference(
    city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(scoring.SCHEMES, YIYANG_TEST.id, YIYANG_TEST)
    [code] = ls.build(city, ("rescue",)).values()
    with TestClient(create_app(node=city.node)) as client:
        page = page_of(client, f"/e/{code}")
    parties = page.section("parties")
    assert "维保记分参考 A" in parties and "测试方案" in parties
    assert "非监管部门评定的信用等级" in parties and "信用等级 A" not in page.text
    today = city.node.today()
    assert Period.of(today.year, today).label_zh in parties  # a partial year says so


def test_the_regulators_scorecard_is_an_indicator_labelled_reference(city: City) -> None:
    p = ls.Parties.onboard(city)
    ls.build(city, ("rescue",), p)
    token, _ = TokenStore.open(city.node.engine).issue(p.bureau.uscc, "alice", timedelta(hours=1))
    auth = {"Authorization": f"Bearer {token}"}
    url = f"/v1/regulator/organizations/{p.maintainer.uscc}/scorecard"
    with TestClient(create_app(node=city.node)) as client:
        body = client.get(url, headers=auth).json()
        unknown = client.get(url, params={"scheme": "hunan-2099"}, headers=auth)
        future = client.get(url, params={"year": city.node.today().year + 1}, headers=auth)
        anonymous = client.get(url)
    assert body["label"] == "参考" and body["kind"] == "indicator" and "grade" not in body
    assert body["scheme"]["id"] == "fujian-2024" and body["reference"] is True
    [point] = body["points"]  # the open rescue past Heshan's 30 minutes, out of Fujian's force
    assert point["item"] == "rescue-arrival-missing" and point["in_force"] is False
    assert body["period"]["complete"] is (body["period"]["through"].endswith("12-31"))
    assert unknown.status_code == 422 and future.status_code == 422
    assert anonymous.status_code == 401


def test_the_scorecard_command_prints_the_indicator_labelled_reference(
    city: City, tmp_path: Path, database_url: str
) -> None:
    p = ls.Parties.onboard(city)
    ls.build(city, ("rescue",), p)
    env: dict[str, str | None] = {
        "LEDGER_HOME": str(tmp_path),
        "LEDGER_DATABASE_URL": database_url,
        "LEDGER_ORIGIN": None,
        "COLUMNS": "250",
    }
    result = CliRunner().invoke(cli_app, ["scorecard", p.maintainer.uscc], env=env)
    assert result.exit_code == 0, result.output
    body = orjson.loads(result.stdout)
    assert body["label"] == "参考" and "grade" not in body
    assert [pt["item"] for pt in body["points"]] == ["rescue-arrival-missing"]
    unknown = CliRunner().invoke(
        cli_app, ["scorecard", p.maintainer.uscc, "--scheme", "x"], env=env
    )
    assert unknown.exit_code == 1
