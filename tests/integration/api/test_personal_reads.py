"""Reads of personal data are recorded durably: every answer of
``GET /v1/regulator/entries/{index}`` leaves a row naming the token, its holder and
organization, the instant and the log index, committed before the answer is sent; a read that
cannot be recorded is not answered; a refused or missing read records nothing; the operator
lists the record with ``elevator-ledger token reads``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.auth import TokenStore
from api.cli.main import app as cli_app
from api.personal_reads import PersonalReads, personal_reads
from projections import read
from tests.support.city import City
from tests.support.lift_states import Parties, in_service

CODE = "311023010201500098"
PROBLEM_JSON = "application/problem+json"


@dataclass
class Reading:
    city: City
    client: TestClient
    token: str
    token_id: str
    maintenance_index: int  # an entry with technicians' names and certificate numbers

    def read(self, index: int, token: str | None = None) -> tuple[int, bytes]:
        bearer = token if token is not None else self.token
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        response = self.client.get(f"/v1/regulator/entries/{index}", headers=headers)
        return response.status_code, response.content

    def recorded(self) -> list[tuple[str | None, str, str, int]]:
        return [
            (r.token_id, r.organization, r.name, r.log_index)
            for r in PersonalReads(self.city.node.engine).list()
        ]


@pytest.fixture
def reading(tmp_path: Path, database_url: str) -> Iterator[Reading]:
    city = City.open(tmp_path, database_url)
    try:
        in_service(city, Parties.onboard(city), CODE)
        city.node.projections.catch_up()
        _, entries = read.elevator_entries(city.node.engine, CODE, 0, 50)
        [index] = [e["log_index"] for e in entries if e["type"] == "maintenance.performed"]
        store = TokenStore.open(city.node.engine)
        token, record = store.issue(city.authority.uscc, "alice", timedelta(hours=1))
        with TestClient(create_app(node=city.node)) as client:
            yield Reading(city, client, token, record.id, index)
    finally:
        city.node.close()


def technicians(body: bytes) -> list[str]:
    data = orjson.loads(body)["statement"]["data"]
    return [t["name"] for t in data["technicians"]] + [
        t["certificate_number"] for t in data["technicians"]
    ]


def test_each_read_is_recorded_with_who_when_and_which_entry(reading: Reading) -> None:
    before = datetime.now(UTC)
    assert reading.read(reading.maintenance_index)[0] == 200
    assert reading.read(reading.maintenance_index)[0] == 200
    assert reading.read(0)[0] == 200
    after = datetime.now(UTC)
    who = (reading.token_id, reading.city.authority.uscc, "alice")
    assert reading.recorded() == [
        (*who, reading.maintenance_index),
        (*who, reading.maintenance_index),
        (*who, 0),
    ]
    for record in PersonalReads(reading.city.node.engine).list():
        assert before - timedelta(seconds=1) <= record.read_at <= after + timedelta(seconds=1)


def test_a_read_that_cannot_be_recorded_is_not_served(reading: Reading) -> None:
    status, body = reading.read(reading.maintenance_index)
    assert status == 200
    values = technicians(body)
    assert values and all(values)
    with reading.city.node.engine.begin() as conn:  # the record can no longer be written
        personal_reads.drop(conn)
    response = reading.client.get(
        f"/v1/regulator/entries/{reading.maintenance_index}",
        headers={"Authorization": f"Bearer {reading.token}"},
    )
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"].endswith("/read-not-recorded")
    assert not any(value in response.text for value in values)


def test_a_refused_or_missing_read_records_nothing(reading: Reading) -> None:
    assert reading.read(reading.maintenance_index, token="")[0] == 401
    assert (
        reading.read(reading.maintenance_index, token="elr_" + "0" * 16 + "_" + "A" * 43)[0] == 401
    )
    size = reading.city.node.log.latest_checkpoint().size
    assert reading.read(size + 10)[0] == 404
    assert reading.recorded() == []


def test_token_reads_lists_the_record(reading: Reading, tmp_path: Path, database_url: str) -> None:
    assert reading.read(reading.maintenance_index)[0] == 200
    assert reading.read(1)[0] == 200
    env: dict[str, str | None] = {
        "LEDGER_HOME": str(tmp_path),
        "LEDGER_DATABASE_URL": database_url,
        "LEDGER_ORIGIN": None,
        "COLUMNS": "250",
    }
    runner = CliRunner()
    listed = runner.invoke(cli_app, ["token", "reads", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    rows = [orjson.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["token_id"], r["name"], r["log_index"]) for r in rows] == [
        (reading.token_id, "alice", reading.maintenance_index),
        (reading.token_id, "alice", 1),
    ]
    assert all(r["organization"] == reading.city.authority.uscc for r in rows)
    assert reading.token not in listed.stdout
    one = runner.invoke(cli_app, ["token", "reads", "--json", "--entry", "1"], env=env)
    assert [orjson.loads(line)["log_index"] for line in one.stdout.splitlines()] == [1]
    table = runner.invoke(cli_app, ["token", "reads"], env=env)
    assert table.exit_code == 0 and reading.token_id in table.stdout and "alice" in table.stdout
    bad = runner.invoke(cli_app, ["token", "reads", "--entry", "-1"], env=env)
    assert bad.exit_code != 0 and bad.stdout == ""
