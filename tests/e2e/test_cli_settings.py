"""A bad setting is one line on stderr and a non-zero exit, before any command runs."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from api.cli.main import app


def test_an_unknown_time_zone_is_one_line_and_exit_2(tmp_path: Path) -> None:
    env = {"LEDGER_HOME": str(tmp_path), "LEDGER_TIME_ZONE": "Mars/Olympus"}
    result = CliRunner().invoke(app, ["projections", "status"], env=env)
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert "LEDGER_TIME_ZONE" in line and "unknown time zone 'Mars/Olympus'" in line
    assert not (tmp_path / "ledger.db").exists()  # nothing was opened or created


def test_a_database_the_ledger_does_not_run_on_is_one_line_and_exit_2(tmp_path: Path) -> None:
    env = {"LEDGER_HOME": str(tmp_path), "LEDGER_DATABASE_URL": "foo://x"}
    result = CliRunner().invoke(app, ["init"], env=env)
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert "LEDGER_DATABASE_URL" in line and "sqlite:///<path> or postgresql://" in line
    assert not (tmp_path / "keys").exists()  # nothing was opened or created
