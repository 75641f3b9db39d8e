"""Under ``elevator-ledger serve`` (a real server process, on SQLite and on PostgreSQL) a
regulator's read of personal data is on record once the answer has arrived: the operator's
``token reads`` (another process) lists who read which entry and when."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson

from projections import read
from tests.support.city import City
from tests.support.lift_states import Parties, in_service
from tests.support.servers import REPO, cli_command, running, server_env

CODE = "311023010201500098"


def cli(home: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_command(*args),
        env=server_env(home, database_url),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_read_under_serve_is_listed_by_token_reads(tmp_path: Path, database_url: str) -> None:
    home = tmp_path / "home"
    city = City.open(home, database_url)
    try:
        in_service(city, Parties.onboard(city), CODE)
        city.node.projections.catch_up()
        _, entries = read.elevator_entries(city.node.engine, CODE, 0, 50)
        [index] = [e["log_index"] for e in entries if e["type"] == "maintenance.performed"]
        authority = city.authority.uscc
    finally:
        city.node.close()
    issued = cli(home, database_url, "token", "issue", "--organization", authority, "--name", "li")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    token_id = token.split("_")[1]
    before = datetime.now(UTC)
    with running(home, database_url) as [server]:
        response = httpx.get(
            f"{server.url}/v1/regulator/entries/{index}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        assert response.json()["statement"]["data"]["technicians"][0]["name"]
        # on record while the server still runs: written before the answer, not at shutdown
        listed = cli(home, database_url, "token", "reads", "--json")
    after = datetime.now(UTC)
    assert listed.returncode == 0, listed.stderr
    [row] = [orjson.loads(line) for line in listed.stdout.splitlines()]
    assert (row["token_id"], row["organization"], row["name"], row["log_index"]) == (
        token_id,
        authority,
        "li",
        index,
    )
    read_at = datetime.fromisoformat(row["read_at"])
    assert before - timedelta(seconds=1) <= read_at <= after + timedelta(seconds=1)
