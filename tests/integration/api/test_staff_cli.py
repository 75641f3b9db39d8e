"""``elevator-ledger staff add|list|disable|reset-password``: accounts made on the server's host,
a password printed once, districts within the organization's own, one line and a non-zero exit
on bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli.main import app as cli_app
from api.web.accounts import AccountStore
from api.web.passwords import verify_password
from domain.model.roles import Role
from tests.support.city import City


@pytest.fixture
def ledger(tmp_path: Path, sqlite_url: str) -> tuple[dict[str, str], str, str]:
    city = City.open(tmp_path, sqlite_url)
    maintainer = city.org(Role.MAINTENANCE_UNIT).uscc
    city.node.close()
    env = {"LEDGER_HOME": str(tmp_path), "LEDGER_DATABASE_URL": sqlite_url}
    return env, city.authority.uscc, maintainer


def _run(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(cli_app, list(args), env=env)


def _hash(env: dict[str, str], login: str) -> str:
    from sqlalchemy import create_engine, select

    from api.web.accounts import staff_accounts

    engine = create_engine(env["LEDGER_DATABASE_URL"])
    with engine.connect() as conn:
        return str(
            conn.execute(
                select(staff_accounts.c.password_hash).where(staff_accounts.c.login == login)
            ).scalar_one()
        )


def test_staff_add_prints_a_random_password_once_and_defaults_to_the_orgs_district(
    ledger: tuple[dict[str, str], str, str],
) -> None:
    env, bureau, maintainer = ledger
    added = _run(
        env, "staff", "add", "--organization", bureau, "--name", "周敏", "--login", "zhoumin"
    )
    assert added.exit_code == 0, added.output
    password = added.stdout.strip()
    assert len(password) == 19 and "console account zhoumin" in added.stderr
    assert "430900" in added.stderr
    assert verify_password(_hash(env, "zhoumin"), password)[0]
    county = _run(
        env,
        "staff",
        "add",
        "--organization",
        bureau,
        "--name",
        "陈静",
        "--login",
        "chenjing",
        "--district",
        "430903",
        "--admin",
    )
    assert county.exit_code == 0, county.output
    desk = _run(
        env, "staff", "add", "--organization", maintainer, "--name", "刘洋", "--login", "liuyang"
    )
    assert desk.exit_code == 0 and "desk account liuyang" in desk.stderr
    rows = [json.loads(line) for line in _run(env, "staff", "list", "--json").stdout.splitlines()]
    assert [(r["login"], r["desk"], r["districts"], r["admin"]) for r in rows] == [
        ("zhoumin", "console", ["430900"], False),
        ("chenjing", "console", ["430903"], True),
        ("liuyang", "desk", [], False),
    ]
    assert all("password" not in json.dumps(r) for r in rows)
    table = _run(env, "staff", "list")
    assert "chenjing" in table.stdout and "陈静" in table.stdout


def test_staff_add_refuses_bad_input_with_one_line(
    ledger: tuple[dict[str, str], str, str], tmp_path: Path
) -> None:
    env, bureau, maintainer = ledger
    short = tmp_path / "short.txt"
    short.write_text("tooshort\n")
    base = ("staff", "add", "--name", "某人", "--login")
    for args, words in (
        ((*base, "someone", "--organization", "nonsense"), "--organization"),
        ((*base, "someone", "--organization", "91430900MA4L99999A"), None),
        ((*base, "someone", "--organization", bureau, "--district", "430100"), "outside"),
        ((*base, "someone", "--organization", maintainer, "--district", "430903"), "desk account"),
        ((*base, "Bad Login!", "--organization", bureau), "login"),
        ((*base, "someone", "--organization", bureau, "--password-file", str(short)), "at least"),
    ):
        answer = _run(env, *args)
        assert answer.exit_code != 0, args
        assert len(answer.stderr.strip().splitlines()) == 1 and answer.stderr.startswith("error:")
        assert words is None or words in answer.stderr, answer.stderr
        assert answer.stdout == ""
    _run(env, *base, "someone", "--organization", bureau)
    taken = _run(env, *base, "someone", "--organization", bureau)
    assert taken.exit_code == 1 and "taken" in taken.stderr


def test_disable_and_reset_password_end_the_accounts_sessions(
    ledger: tuple[dict[str, str], str, str], tmp_path: Path
) -> None:
    env, bureau, _ = ledger
    chosen = tmp_path / "pw.txt"
    chosen.write_text("a chosen passphrase\n")
    added = _run(
        env,
        "staff",
        "add",
        "--organization",
        bureau,
        "--name",
        "周敏",
        "--login",
        "zhoumin",
        "--password-file",
        str(chosen),
    )
    assert added.exit_code == 0 and added.stdout == ""  # nothing to print: it was given
    from sqlalchemy import create_engine

    store = AccountStore(create_engine(env["LEDGER_DATABASE_URL"]))
    account = store.by_login("zhoumin")
    assert account is not None
    _, session = store.start_session(account)
    reset = _run(env, "staff", "reset-password", "zhoumin")
    assert reset.exit_code == 0 and verify_password(_hash(env, "zhoumin"), reset.stdout.strip())[0]
    found = store.session_by_id(session.id)
    assert found is not None and found.ended_reason == "password-reset"
    _, session = store.start_session(account)
    assert _run(env, "staff", "disable", "zhoumin").exit_code == 0
    found = store.session_by_id(session.id)
    assert found is not None and found.ended_reason == "disabled"
    again = _run(env, "staff", "disable", "zhoumin")
    assert again.exit_code == 0 and "already disabled" in again.stderr
    for command in ("disable", "reset-password"):
        unknown = _run(env, "staff", command, "nobody")
        assert unknown.exit_code == 1 and "no staff account" in unknown.stderr
