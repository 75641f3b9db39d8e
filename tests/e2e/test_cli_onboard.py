"""``elevator-ledger onboard`` from the shell: ``prepare`` writes the statements (no database,
no key needed), ``sign`` signs the whole file offline with the authority's key, ``onboard
submit`` logs them; bad input is one line and a non-zero exit, and no file."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from api.bootstrap import initialise
from api.settings import Settings
from domain.model.identifiers import make_uscc
from domain.model.roles import Role
from ledger.keys import SigningKey, save_signing_key
from tests.e2e.test_cli import cli, database_url, one_line_error, succeeded

ENTERPRISE = make_uscc("91430900MA4L99901")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "ledger-home"


def public_key_file(tmp_path: Path, key: SigningKey) -> Path:
    path = tmp_path / "enterprise.pub"
    path.write_bytes(key.verifying_key.to_pem())
    return path


def prepare_args(out: Path, public_key: Path, *extra: str) -> list[str | Path]:
    return [
        "onboard", "prepare", "--name", "益阳市命令行电梯维保有限公司", "--uscc", ENTERPRISE,
        "--district", "430903", "--address", "益阳市赫山区", "--legal-representative", "周九",
        "--role", "maintenance_unit", "--role", "construction_unit",
        "--licence", "installation_repair:TS3343077-2030:3110,3310:2020-01-01:2030-12-31",
        "--public-key", public_key, "--out", out, *extra,
    ]  # fmt: skip


def test_prepare_sign_and_submit_onboard_the_enterprise(tmp_path: Path, home: Path) -> None:
    node, _ = initialise(Settings(home=home, database_url=database_url(home)))
    node.close()
    key = SigningKey.generate()
    statements, signed = tmp_path / "statements.jsonl", tmp_path / "signed.jsonl"

    done = succeeded(cli(home, *prepare_args(statements, public_key_file(tmp_path, key))))
    assert "elevator-ledger sign" in done.stderr
    lines = [orjson.loads(line) for line in statements.read_bytes().splitlines()]
    assert [s["type"] for s in lines] == [
        "org.registered",
        "org.role_granted",
        "org.role_granted",
        "org.licence_granted",
        "key.registered",
    ]
    authority = Settings(home=home).authority_key_path
    succeeded(cli(home, "sign", statements, "-k", authority, "-o", signed))
    assert len(signed.read_bytes().splitlines()) == 5
    result = succeeded(cli(home, "onboard", "submit", signed))
    assert "5 accepted, 0 rejected" in result.stderr

    node, _ = initialise(Settings(home=home, database_url=database_url(home)))
    try:
        org = node.app.organization(ENTERPRISE)
        assert org is not None and org.state.registered
        assert set(org.state.roles) == {Role.MAINTENANCE_UNIT, Role.CONSTRUCTION_UNIT}
        assert org.state.key_ids == {key.key_id}
    finally:
        node.close()


def test_a_private_key_given_as_the_public_key_is_refused_in_one_line(
    tmp_path: Path, home: Path
) -> None:
    private = tmp_path / "enterprise.pem"
    save_signing_key(SigningKey.generate(), private)
    out = tmp_path / "statements.jsonl"
    line = one_line_error(cli(home, *prepare_args(out, private)), "is a private key")
    assert "BEGIN" not in line
    assert not out.exists()


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--uscc", ENTERPRISE[:-1] + "0"], "uscc: check character"),
        (["--role", "wizard"], "unknown role"),
        (["--licence", "installation_repair:3110"], "KIND:NUMBER:SCOPE:FROM:TO"),
    ],
    ids=["bad-check-character", "unknown-role", "bad-licence"],
)
def test_bad_input_is_one_line_and_no_file(
    tmp_path: Path, home: Path, extra: list[str], expected: str
) -> None:
    out = tmp_path / "statements.jsonl"
    one_line_error(
        cli(home, *prepare_args(out, public_key_file(tmp_path, SigningKey.generate()), *extra)),
        expected,
    )
    assert not out.exists()


def test_sign_refuses_a_file_of_statements_if_any_is_invalid_and_writes_nothing(
    tmp_path: Path, home: Path
) -> None:
    statements, signed = tmp_path / "statements.jsonl", tmp_path / "signed.jsonl"
    succeeded(
        cli(home, *prepare_args(statements, public_key_file(tmp_path, SigningKey.generate())))
    )
    lines = statements.read_bytes().splitlines()
    broken = orjson.loads(lines[2])
    broken["data"]["role"] = "wizard"
    statements.write_bytes(b"\n".join([lines[0], lines[1], orjson.dumps(broken)]) + b"\n")
    key = tmp_path / "authority.pem"
    save_signing_key(SigningKey.generate(), key)
    one_line_error(cli(home, "sign", statements, "-k", key, "-o", signed), "statement 3: invalid")
    assert not signed.exists()


def test_sign_takes_a_json_array_of_statements_too(tmp_path: Path, home: Path) -> None:
    statements = tmp_path / "statements.jsonl"
    succeeded(
        cli(home, *prepare_args(statements, public_key_file(tmp_path, SigningKey.generate())))
    )
    docs = [orjson.loads(line) for line in statements.read_bytes().splitlines()]
    as_array = tmp_path / "statements.json"
    as_array.write_bytes(orjson.dumps(docs))
    key = tmp_path / "authority.pem"
    save_signing_key(SigningKey.generate(), key)
    out = succeeded(cli(home, "sign", as_array, "-k", key)).stdout_bytes.splitlines()
    assert len(out) == len(docs)
    (tmp_path / "empty.json").write_bytes(b"[]")
    one_line_error(cli(home, "sign", tmp_path / "empty.json", "-k", key), "holds no statements")
