"""Personal data on the write path: signed concealed, sent beside the envelope, kept for
regulators, never in the public log; every mistake is a clear 4xx that stores nothing."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from domain.application.audit import verify_log
from domain.model.catalogue import example_statement
from domain.model.signing import sign_statement
from ledger.disclosure import CONCEALED, Disclosure
from ledger.note import open_checkpoint
from tests.support.city import NOW, City, new_uscc

NAME = "PIIrepresentativeWang"


class Desk:
    """The regulator's desk: registers organizations over HTTP."""

    def __init__(self, city: City, client: TestClient) -> None:
        self.city, self.client = city, client

    def registration(self, representative: Any = NAME) -> dict[str, Any]:
        stmt = example_statement("org.registered") | {
            "issuer": self.city.authority.uscc,
            "organization": new_uscc(),
            "occurred_at": (NOW - timedelta(days=1)).isoformat(),
        }
        stmt["data"] = stmt["data"] | {"legal_representative": representative}
        return stmt

    def submission(self, stmt: dict[str, Any]) -> dict[str, Any]:
        return sign_statement(stmt, [self.city.authority.key]).to_json()

    def post(self, body: Any) -> httpx.Response:
        response: httpx.Response = self.client.post("/v1/statements", json=body)
        return response

    def size(self) -> int:
        return self.city.node.log.size()


@pytest.fixture
def desk(tmp_path: Path, database_url: str) -> Iterator[Desk]:
    city = City.open(tmp_path, database_url)
    try:
        with TestClient(create_app(node=city.node)) as client:
            yield Desk(city, client)
    finally:
        city.node.close()


def refused(desk: Desk, body: Any, status: int, kind: str, fragment: str) -> None:
    before = desk.size()
    response = desk.post(body)
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["type"].endswith(f"/problems/{kind}"), problem
    assert fragment in response.text, problem
    assert desk.size() == before  # nothing stored


def test_a_concealed_statement_with_its_disclosures_is_accepted_and_logged_without_them(
    desk: Desk,
) -> None:
    body = desk.submission(desk.registration())
    response = desk.post(body)
    assert response.status_code == 201, response.text
    receipt = response.json()
    entry = desk.client.get(f"/v1/log/entries/{receipt['log_index']}").content
    payload = base64.b64decode(orjson.loads(entry)["envelope"]["payload"])
    assert NAME.encode() not in entry + payload
    [disclosure] = body["disclosures"]
    digest = orjson.loads(payload)["data"]["legal_representative"][CONCEALED]
    assert Disclosure.parse(disclosure).digest == digest
    assert desk.city.node.app.disclosures_of(receipt["subject"], receipt["version"]) == [disclosure]
    # the same submission again is a replay: the original receipt, nothing new
    again = desk.post(body)
    assert again.status_code == 200 and again.json()["entry_hash"] == receipt["entry_hash"]
    # the public log re-verifies in full without the values
    log = desk.city.node.log
    signed = log.latest_checkpoint()
    checkpoint = open_checkpoint(signed.note, log.signer.verifier)
    entries = enumerate(log.entries(0, checkpoint.size))
    assert verify_log(entries, checkpoint, desk.city.node.anchor).ok


def test_a_personal_value_signed_in_the_clear_is_refused(desk: Desk) -> None:
    stmt = desk.registration()
    envelope = sign_statement(stmt, [desk.city.authority.key]).envelope
    plain = envelope.__class__(
        envelope.payload_type,
        envelope.payload.replace(
            orjson.dumps(
                {
                    CONCEALED: orjson.loads(envelope.payload)["data"]["legal_representative"][
                        CONCEALED
                    ]
                }
            ),
            orjson.dumps(NAME),
        ),
        (),
    ).with_signature(desk.city.authority.key)
    refused(
        desk,
        plain.to_json(),
        422,
        "invalid-statement",
        "data.legal_representative: must be concealed",
    )


def test_a_concealed_field_without_its_disclosure_is_refused(desk: Desk) -> None:
    body = desk.submission(desk.registration())
    refused(desk, body["envelope"], 422, "invalid-statement", "no disclosure has this field")
    refused(desk, body | {"disclosures": []}, 422, "invalid-statement", "no disclosure")


def test_a_disclosure_that_does_not_match_is_refused(desk: Desk) -> None:
    body = desk.submission(desk.registration())
    other = desk.submission(desk.registration("PIIsomeoneElse"))["disclosures"]
    refused(desk, body | {"disclosures": other}, 422, "invalid-statement", "no disclosure")
    extra = [*body["disclosures"], Disclosure.make("name", "x").encoded]
    refused(desk, body | {"disclosures": extra}, 422, "invalid-statement", "matches no concealed")
    refused(desk, body | {"disclosures": ["not base64!"]}, 422, "invalid-statement", "base64url")


def test_a_disclosed_value_must_be_valid(desk: Desk) -> None:
    body = desk.submission(desk.registration("two\nlines"))
    refused(desk, body, 422, "invalid-statement", "data.legal_representative")


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"extra": 1}, "unknown submission field(s): extra"),
        ({"disclosures": "abc"}, "disclosures must be a JSON array"),
        ({"envelope": "abc"}, "envelope must be a JSON object"),
    ],
)
def test_a_malformed_submission_is_refused(
    desk: Desk, change: dict[str, Any], fragment: str
) -> None:
    body = desk.submission(desk.registration()) | change
    refused(desk, body, 400, "malformed-envelope", fragment)
