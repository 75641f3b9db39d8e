"""District scoping of the regulator API: a token scoped to 赫山区 (430903) sees only 赫山区's
elevators — work lists filtered, another district asked for refused, another district's entries
and replay refused (nothing personal read, nothing recorded); a token with no district sees its
organization's registered district; ``token issue --district`` checks the districts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from api.app import create_app
from api.auth import TokenStore
from api.cli.main import app as cli_app
from api.personal_reads import personal_reads
from domain.model.roles import Role
from tests.support.city import NOW, City, statement
from tests.support.lift_states import Commissioners, commissioned, tell
from tests.support.timeline import Days

HESHAN, ZIYANG = "311023010201500301", "311023010201500302"
LIFE = Days(NOW - timedelta(days=400))


@dataclass
class Scoped:
    city: City
    client: TestClient
    entries: dict[str, int]  # a maintenance visit's log index per elevator

    def token(self, districts: tuple[str, ...] | None) -> dict[str, str]:
        store = TokenStore.open(self.city.node.engine)
        token, _ = store.issue(
            self.city.authority.uscc, "alice", timedelta(hours=1), districts=districts
        )
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def scoped(tmp_path: Path, database_url: str) -> Iterator[Scoped]:
    city = City.open(tmp_path, database_url)
    try:
        crew = Commissioners(
            city.org(Role.MANUFACTURER),
            city.org(Role.CONSTRUCTION_UNIT),
            city.org(Role.INSPECTION_INSTITUTE),
            city.org(Role.USE_UNIT),
            city.org(Role.MAINTENANCE_UNIT),
            city.authority,
        )
        entries = {}
        for code, district in ((HESHAN, "430903"), (ZIYANG, "430902")):
            tell(city, commissioned(crew, code, LIFE, registration_fields={"district": district}))
            visit = statement(
                "maintenance.performed",
                code,
                crew.maintainer,
                LIFE.at(380),
                visit_id=f"V-{code[-3:]}",
                arrived_at=LIFE.at(379.99).isoformat(),
                departed_at=LIFE.at(379.995).isoformat(),  # a few minutes: suspicious
            )
            entries[code] = city.say(crew.maintainer, visit).log_index
        city.node.projections.catch_up()
        with TestClient(create_app(node=city.node)) as client:
            yield Scoped(city, client, entries)
    finally:
        city.node.close()


def _codes(answer: Any) -> set[str]:
    assert answer.status_code == 200, answer.text
    return {row["equipment_code"] for row in answer.json()["items"]}


def test_a_county_token_lists_only_its_countys_elevators(scoped: Scoped) -> None:
    county, city = scoped.token(("430903",)), scoped.token(None)  # None: the authority's 430900
    for name in ("suspicious-maintenance", "uninsured"):
        url = f"/v1/regulator/worklists/{name}"
        everything = _codes(scoped.client.get(url, headers=city))
        assert {HESHAN, ZIYANG} <= everything, name
        assert _codes(scoped.client.get(url, headers=county)) == everything - {ZIYANG}
        answer = scoped.client.get(url, headers=county, params={"district": "430903"})
        assert _codes(answer) == {HESHAN} and answer.json()["scope"] == ["430903"]


def test_another_district_asked_for_is_out_of_scope(scoped: Scoped) -> None:
    county = scoped.token(("430903",))
    for district in ("430902", "430900"):
        answer = scoped.client.get(
            "/v1/regulator/worklists/uninsured", headers=county, params={"district": district}
        )
        assert answer.status_code == 403
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["type"].endswith("/out-of-scope")


def test_another_districts_entry_and_replay_are_refused_and_nothing_is_recorded(
    scoped: Scoped,
) -> None:
    county = scoped.token(("430903",))
    engine = scoped.city.node.engine

    def reads() -> int:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(personal_reads)).scalar_one())

    refused = scoped.client.get(f"/v1/regulator/entries/{scoped.entries[ZIYANG]}", headers=county)
    assert refused.status_code == 403 and refused.json()["type"].endswith("/out-of-scope")
    assert "technicians" not in refused.text and reads() == 0
    opened = scoped.client.get(f"/v1/regulator/entries/{scoped.entries[HESHAN]}", headers=county)
    assert opened.status_code == 200 and reads() == 1
    as_of = NOW.isoformat()
    replay = scoped.client.get(
        f"/v1/elevators/{ZIYANG}/replay", headers=county, params={"as_of": as_of}
    )
    assert replay.status_code == 403 and replay.json()["type"].endswith("/out-of-scope")
    own = scoped.client.get(
        f"/v1/elevators/{HESHAN}/replay", headers=county, params={"as_of": as_of}
    )
    assert own.status_code == 200
    unknown = scoped.client.get(
        "/v1/elevators/311023010201599999/replay", headers=county, params={"as_of": as_of}
    )
    assert unknown.status_code == 404


def test_token_issue_checks_the_districts_against_the_organizations_own(
    tmp_path: Path, sqlite_url: str
) -> None:
    city = City.open(tmp_path, sqlite_url)
    city.node.close()
    env = {"LEDGER_HOME": str(tmp_path), "LEDGER_DATABASE_URL": sqlite_url}
    runner = CliRunner()
    uscc = city.authority.uscc

    def run(*args: str) -> Any:
        return runner.invoke(cli_app, list(args), env=env)

    ok = run("token", "issue", "--organization", uscc, "--name", "bob", "--district", "430903")
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.startswith("elr_")
    listed = run("token", "list", "--json")
    assert '"districts":["430903"]' in listed.stdout
    for bad, words in (("430100", "outside the organization's district 430900"), ("43", "6-digit")):
        answer = run("token", "issue", "--organization", uscc, "--name", "bob", "--district", bad)
        assert answer.exit_code == 1 and words in answer.output, answer.output
