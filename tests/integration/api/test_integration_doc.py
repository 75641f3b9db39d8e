"""docs/integration.md is generated from the catalogue, and its scripts work as printed."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from api.integration_doc import CHECK_SCRIPT, SIGN_SCRIPT, render
from domain.model.catalogue import example_statement
from domain.model.roles import Role
from ledger.keys import save_signing_key
from tests.support.city import NOW, City, new_uscc, statement

ROOT = Path(__file__).resolve().parents[3]


def test_the_committed_document_is_what_the_catalogue_generates() -> None:
    committed = (ROOT / "docs" / "integration.md").read_text(encoding="utf-8")
    assert committed == render(), "run: python -m api.integration_doc > docs/integration.md"


def test_the_stand_alone_signing_script_produces_an_accepted_envelope(
    tmp_path: Path, sqlite_url: str
) -> None:
    city = City.open(tmp_path / "home", sqlite_url)
    maker = city.org(Role.MANUFACTURER)
    save_signing_key(maker.key, tmp_path / "maker.pem")
    when = NOW - timedelta(days=3)
    stmt = statement(
        "elevator.manufactured",
        "311023010201500098",
        maker,
        when,
        manufactured_on=when.date().isoformat(),
    )
    (tmp_path / "statement.json").write_text(json.dumps(stmt, ensure_ascii=False), "utf-8")
    (tmp_path / "sign.py").write_text(SIGN_SCRIPT)
    signed = subprocess.run(
        [
            sys.executable,
            str(tmp_path / "sign.py"),
            str(tmp_path / "statement.json"),
            str(tmp_path / "maker.pem"),
        ],
        capture_output=True,
        check=True,
        text=True,
    )
    receipt = city.node.service.submit(json.loads(signed.stdout))
    assert receipt.version == 1 and receipt.type == "elevator.manufactured"

    (tmp_path / "receipt.json").write_text(json.dumps(receipt.to_json()))
    (tmp_path / "entry").write_bytes(city.node.log.entry(receipt.log_index))
    (tmp_path / "log.key").write_text(city.node.log.signer.verifier.text())
    (tmp_path / "check.py").write_text(CHECK_SCRIPT)
    checked = subprocess.run(
        [
            sys.executable,
            str(tmp_path / "check.py"),
            str(tmp_path / "receipt.json"),
            str(tmp_path / "entry"),
            str(tmp_path / "log.key"),
        ],
        capture_output=True,
        check=True,
        text=True,
        cwd=ROOT,
    )
    assert f"is leaf {receipt.log_index} of the signed tree" in checked.stdout
    city.node.close()


def test_the_signing_script_conceals_personal_fields_and_the_ledger_keeps_their_values(
    tmp_path: Path, sqlite_url: str
) -> None:
    city = City.open(tmp_path / "home", sqlite_url)
    save_signing_key(city.authority.key, tmp_path / "authority.pem")
    stmt = example_statement("org.registered") | {
        "issuer": city.authority.uscc,
        "organization": new_uscc(),
        "occurred_at": (NOW - timedelta(days=1)).isoformat(),
    }
    stmt["data"] = stmt["data"] | {"legal_representative": "PIIrepresentativeZhang"}
    (tmp_path / "statement.json").write_text(json.dumps(stmt, ensure_ascii=False), "utf-8")
    (tmp_path / "sign.py").write_text(SIGN_SCRIPT)
    signed = subprocess.run(
        [
            sys.executable,
            *(str(tmp_path / f) for f in ("sign.py", "statement.json", "authority.pem")),
        ],
        capture_output=True,
        check=True,
        text=True,
    )
    submission = json.loads(signed.stdout)
    assert set(submission) == {"envelope", "disclosures"} and len(submission["disclosures"]) == 1
    receipt = city.node.service.submit(submission)
    entry = city.node.log.entry(receipt.log_index)
    payload = base64.b64decode(json.loads(entry)["envelope"]["payload"]).decode()
    assert "PIIrepresentativeZhang" not in entry.decode() + payload
    assert '"legal_representative":{"concealed":' in payload
    kept = city.node.app.disclosures_of(receipt.subject, receipt.version)
    assert kept == submission["disclosures"]
    city.node.close()
