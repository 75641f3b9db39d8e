"""The HTTP write API: signed statements in, signed receipts out; every refusal is RFC 9457
problem+json with its own problem type, and stores nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from domain.model.catalogue import CATALOGUE
from domain.model.roles import Role
from domain.model.submission import STATEMENT_PAYLOAD_TYPE
from ledger import merkle
from ledger.canonical import canonical_json
from ledger.dsse import sign
from ledger.keys import SigningKey
from ledger.note import NoteVerifier, open_checkpoint
from ledger.receipt import Promise, verify_inclusion
from tests.support.city import NOW, City, Org, statement
from tests.support.timeline import Days

CODE = "311023010201500098"
OTHER = "311023010201500099"
HISTORY = Days(NOW - timedelta(days=3))
at, day = HISTORY.at, HISTORY.day
PROBLEM_JSON = "application/problem+json"
RECEIPT_FIELDS = {
    "entry_hash",
    "subject",
    "version",
    "log_index",
    "recorded_at",
    "type",
    "late",
    "duplicate",
    "promise",
    "inclusion_proof",
}
Body = bytes | dict[str, Any] | list[Any]


@dataclass
class Api:
    """A ledger node served over HTTP, with a manufacturer and a regulator onboarded."""

    city: City
    client: TestClient
    verifier: NoteVerifier
    maker: Org
    bureau: Org

    def envelope(self, signers: list[Org | SigningKey], stmt: dict[str, Any]) -> dict[str, Any]:
        return self.city.envelope(signers, stmt)

    def post(self, url: str, body: Body) -> httpx.Response:
        content = body if isinstance(body, bytes) else orjson.dumps(body)
        headers = {"content-type": "application/json"}
        response: httpx.Response = self.client.post(url, content=content, headers=headers)
        return response

    def submit(self, body: Body) -> httpx.Response:
        return self.post("/v1/statements", body)

    def manufactured(self, code: str = CODE) -> dict[str, Any]:
        return self.envelope(
            [self.maker],
            statement("elevator.manufactured", code, self.maker, at(0), manufactured_on=day(0)),
        )

    def sold(self, code: str = CODE, days: float = 1) -> dict[str, Any]:
        return self.envelope([self.maker], statement("elevator.sold", code, self.maker, at(days)))

    def accepted(self, envelope: dict[str, Any]) -> dict[str, Any]:
        response = self.submit(envelope)
        assert response.status_code == 201, response.text
        receipt: dict[str, Any] = response.json()
        return receipt

    def log_size(self) -> int:
        """The size of the latest signed checkpoint, as a client sees it (and as stored)."""
        note = self.client.get("/v1/log/checkpoint").text
        size = open_checkpoint(note, self.verifier).size
        assert size == self.city.node.log.size()
        return size

    def snapshot(self, code: str = CODE) -> tuple[int, int | None, str | None]:
        chain = self.city.node.app.elevator(code)
        if chain is None:
            return self.log_size(), None, None
        return self.log_size(), chain.version, chain.head

    def entry(self, index: int) -> bytes:
        response: httpx.Response = self.client.get(f"/v1/log/entries/{index}")
        assert response.status_code == 200
        return response.content


@pytest.fixture
def api(tmp_path: Path, database_url: str) -> Iterator[Api]:
    city = City.open(tmp_path, database_url)
    maker, bureau = city.org(Role.MANUFACTURER), city.org(Role.REGULATOR)
    with TestClient(create_app(node=city.node)) as client:
        verifier = NoteVerifier.parse(client.get("/v1/log/key").text)
        yield Api(city, client, verifier, maker, bureau)
    city.node.close()


def problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    """The response is a problem document of this type and status."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["type"].endswith("/problems/" + slug)
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def check_receipt(api: Api, receipt: dict[str, Any]) -> None:
    """A receipt verifies offline with the log's published key against the served entry."""
    entry = api.entry(receipt["log_index"])
    assert merkle.leaf_hash(entry).hex() == receipt["entry_hash"]
    proof = verify_inclusion(entry, receipt["inclusion_proof"], api.verifier)
    assert proof.index == receipt["log_index"]
    promise = Promise.open(receipt["promise"], api.verifier)
    assert (
        promise.entry_hash,
        promise.index,
        promise.subject,
        promise.version,
        promise.recorded_at,
    ) == (
        receipt["entry_hash"],
        receipt["log_index"],
        receipt["subject"],
        receipt["version"],
        receipt["recorded_at"],
    )


# --- POST /v1/statements ----------------------------------------------------------------------


def test_an_accepted_statement_gets_201_and_a_receipt_a_replay_200_and_the_same_one(
    api: Api,
) -> None:
    envelope = api.manufactured()
    size = api.log_size()
    response = api.submit(envelope)
    assert response.status_code == 201 and response.headers["content-type"] == "application/json"
    first = response.json()
    assert set(first) == RECEIPT_FIELDS
    assert first["subject"] == f"elevator:{CODE}" and first["version"] == 1
    assert first["type"] == "elevator.manufactured"
    assert first["log_index"] == size and api.log_size() == size + 1
    assert first["late"] is False and first["duplicate"] is False
    check_receipt(api, first)

    response = api.submit(envelope)
    assert response.status_code == 200
    again = response.json()
    assert again["duplicate"] is True
    assert {k: again[k] for k in RECEIPT_FIELDS - {"duplicate", "promise", "inclusion_proof"}} == {
        k: first[k] for k in RECEIPT_FIELDS - {"duplicate", "promise", "inclusion_proof"}
    }
    assert api.log_size() == size + 1
    check_receipt(api, again)


Mangle = Callable[[Api], bytes | dict[str, Any]]


def _impostor(api: Api) -> dict[str, Any]:
    stranger = SigningKey.generate()  # never registered
    return api.envelope([stranger], statement("elevator.sold", CODE, api.maker, at(1)))


def _non_canonical(api: Api) -> dict[str, Any]:
    stmt = {**statement("elevator.sold", CODE, api.maker, at(1)), "nonce": "n-0000001"}
    return sign(STATEMENT_PAYLOAD_TYPE, b" " + canonical_json(stmt), [api.maker.key]).to_json()


def _too_large(api: Api) -> bytes:
    return orjson.dumps({**api.sold(), "payload": "A" * 70_000})


FAILURES: list[Any] = [
    pytest.param(lambda a: b"{not json", 400, "malformed-envelope", {}, id="not-json"),
    pytest.param(
        lambda a: {**a.sold(), "payloadType": "application/json"},
        400,
        "malformed-envelope",
        {},
        id="wrong-payload-type",
    ),
    pytest.param(
        lambda a: {**a.sold(), "signatures": []}, 400, "malformed-envelope", {}, id="unsigned"
    ),
    pytest.param(_non_canonical, 400, "non-canonical-payload", {}, id="non-canonical"),
    pytest.param(_impostor, 401, "bad-signature", {}, id="unregistered-key"),
    pytest.param(
        lambda a: a.envelope(
            [a.maker], statement("supervision.checked", CODE, a.bureau, at(2))
        ),  # the maker's key signing the bureau's words
        403,
        "not-authorized",
        {"rule": "signer-is-not-issuer"},
        id="not-authorized",
    ),
    pytest.param(
        lambda a: a.envelope([a.bureau], statement("supervision.checked", CODE, a.bureau, at(-1))),
        422,
        "rule-violation",
        {"rule": "before-manufacture"},
        id="rule-violation",
    ),
    pytest.param(_too_large, 413, "too-large", {}, id="too-large"),
]


@pytest.mark.parametrize("make, status, slug, extra", FAILURES)
def test_each_failure_class_is_its_own_problem_and_stores_nothing(
    api: Api, make: Mangle, status: int, slug: str, extra: dict[str, Any]
) -> None:
    api.accepted(api.manufactured())
    before = api.snapshot()
    body = problem(api.submit(make(api)), status, slug)
    assert body["instance"] == "/v1/statements"
    assert {k: body.get(k) for k in extra} == extra
    assert api.snapshot() == before


def test_a_body_over_64_kib_without_a_length_header_is_too_large(api: Api) -> None:
    before = api.log_size()
    chunks = iter([orjson.dumps({**api.sold(), "payload": "A" * 70_000})])  # sent chunked
    response = api.client.post("/v1/statements", content=chunks)
    assert "content-length" not in response.request.headers
    problem(response, 413, "too-large")
    assert api.log_size() == before


def test_an_invalid_statement_gets_422_listing_each_field_error(api: Api) -> None:
    api.accepted(api.manufactured())
    before = api.snapshot()
    stmt = statement(
        "elevator.sold", CODE, api.maker, at(1), buyer="91430900MA4L00006X", contract_number=""
    )
    body = problem(api.submit(api.envelope([api.maker], stmt)), 422, "invalid-statement")
    locs = [error["loc"] for error in body["errors"]]
    assert any("buyer" in loc for loc in locs) and any("contract_number" in loc for loc in locs)
    assert all(error["msg"] for error in body["errors"])
    assert api.snapshot() == before


def test_a_stale_prev_gets_409_with_the_current_head_and_version(api: Api) -> None:
    made = api.accepted(api.manufactured())
    sold = api.accepted(api.sold())
    before = api.snapshot()
    stmt = {**statement("elevator.sold", CODE, api.maker, at(2)), "prev": made["entry_hash"]}
    body = problem(api.submit(api.envelope([api.maker], stmt)), 409, "stale-prev")
    assert (body["head"], body["version"]) == (sold["entry_hash"], 2)
    assert api.snapshot() == before
    stmt["prev"] = body["head"]  # retry on the head the problem names
    assert api.accepted(api.envelope([api.maker], stmt))["version"] == 3


# --- POST /v1/statements/batch ----------------------------------------------------------------


def test_a_batch_judges_each_envelope_on_its_own_and_stores_only_the_accepted(api: Api) -> None:
    api.accepted(api.manufactured())
    size = api.log_size()
    batch = [
        api.sold(),
        _impostor(api),
        api.manufactured(OTHER),
        api.envelope([api.bureau], statement("supervision.checked", CODE, api.bureau, at(-1))),
        {**api.sold(OTHER, 2), "signatures": []},
    ]
    response = api.post("/v1/statements/batch", batch)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (2, 3)
    results = body["results"]
    assert [r["accepted"] for r in results] == [True, False, True, False, False]
    for r, slug, status in [
        (results[1], "bad-signature", 401),
        (results[3], "rule-violation", 422),
        (results[4], "malformed-envelope", 400),
    ]:
        assert r["receipt"] is None
        assert r["problem"]["type"].endswith("/problems/" + slug)
        assert r["problem"]["status"] == status
    assert results[3]["problem"]["rule"] == "before-manufacture"
    assert all(r["problem"] is None for r in (results[0], results[2]))
    receipts = [results[0]["receipt"], results[2]["receipt"]]
    assert all(set(r) == RECEIPT_FIELDS for r in receipts)
    assert [(r["subject"], r["version"]) for r in receipts] == [
        (f"elevator:{CODE}", 2),
        (f"elevator:{OTHER}", 1),
    ]
    assert api.log_size() == size + 2  # exactly the accepted ones are in the log
    new = [merkle.leaf_hash(api.entry(i)).hex() for i in range(size, size + 2)]
    assert sorted(new) == sorted(r["entry_hash"] for r in receipts)
    for receipt in receipts:
        check_receipt(api, receipt)


def test_statements_about_one_elevator_in_one_batch_get_consecutive_versions(api: Api) -> None:
    size = api.log_size()
    batch = [api.manufactured(), api.sold(days=1), api.sold(days=2)]
    response = api.post("/v1/statements/batch", batch)
    assert response.status_code == 200, response.text
    receipts = [r["receipt"] for r in response.json()["results"]]
    assert [r["version"] for r in receipts] == [1, 2, 3]
    assert [r["log_index"] for r in receipts] == [size, size + 1, size + 2]
    assert api.log_size() == size + 3


def test_the_same_envelope_twice_in_one_batch_is_stored_once(api: Api) -> None:
    size = api.log_size()
    envelope = api.manufactured()
    response = api.post("/v1/statements/batch", [envelope, envelope])
    assert response.status_code == 200, response.text
    first, again = (r["receipt"] for r in response.json()["results"])
    assert (first["duplicate"], again["duplicate"]) == (False, True)
    assert (again["entry_hash"], again["log_index"]) == (first["entry_hash"], first["log_index"])
    assert api.log_size() == size + 1


@pytest.mark.parametrize(
    "make, status, slug",
    [
        pytest.param(lambda a: [], 413, "batch-too-large", id="empty"),
        pytest.param(lambda a: [a.manufactured()] * 1001, 413, "batch-too-large", id="1001"),
        pytest.param(lambda a: b"[not json", 400, "malformed-batch", id="not-json"),
        pytest.param(lambda a: a.manufactured(), 400, "malformed-batch", id="an-object"),
        pytest.param(lambda a: [a.manufactured(), "x"], 400, "malformed-batch", id="not-objects"),
    ],
)
def test_a_batch_that_is_not_1_to_1000_envelopes_is_refused_whole(
    api: Api, make: Callable[[Api], Body], status: int, slug: str
) -> None:
    before = api.snapshot()
    problem(api.post("/v1/statements/batch", make(api)), status, slug)
    assert api.snapshot() == before


# --- POST /v1/envelopes/verify ----------------------------------------------------------------


def test_verify_names_the_signers_and_stores_nothing(api: Api) -> None:
    size = api.log_size()
    # signatures only: this statement would break a rule (the elevator is unknown)
    stmt = statement("supervision.checked", CODE, api.bureau, at(1))
    envelope = api.envelope([api.bureau, api.maker], stmt)
    response = api.post("/v1/envelopes/verify", envelope)
    assert response.status_code == 200, response.text
    assert response.json()["signers"] == [
        {"key_id": org.key.key_id, "owner": org.uscc, "bound_elevator": None, "revoked_at": None}
        for org in (api.bureau, api.maker)
    ]

    body = problem(api.post("/v1/envelopes/verify", _impostor(api)), 401, "bad-signature")
    assert body["instance"] == "/v1/envelopes/verify"
    problem(api.post("/v1/envelopes/verify", b"{not json"), 400, "malformed-envelope")
    assert api.log_size() == size

    made = api.manufactured()
    assert api.post("/v1/envelopes/verify", made).status_code == 200
    assert api.log_size() == size
    assert api.accepted(made)["duplicate"] is False  # verifying recorded nothing to replay


# --- GET /openapi.json ------------------------------------------------------------------------


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_the_openapi_document_describes_every_statement_type(tmp_path: Path) -> None:
    client = TestClient(create_app(Settings(home=tmp_path)))  # no lifespan: no node is opened
    response = client.get("/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    schemas = doc["components"]["schemas"]

    variants = schemas["AnyStatement"]["oneOf"]
    assert len(variants) == len(CATALOGUE)
    by_type = {v["properties"]["type"]["const"]: v for v in variants}
    assert set(by_type) == set(CATALOGUE)
    for name, st in CATALOGUE.items():
        model = st.data_model.__name__
        assert by_type[name]["properties"]["data"] == {"$ref": f"#/components/schemas/{model}"}
        assert by_type[name]["allOf"] == [{"$ref": "#/components/schemas/Statement"}]
        assert schemas[model]["type"] == "object" and f"`{name}`" in schemas[model]["description"]
    assert "visit_id" in schemas["MaintenancePerformed"]["properties"]

    envelope = schemas["EnvelopeModel"]
    assert set(envelope["required"]) == {"payloadType", "payload", "signatures"}
    ref = {"$ref": "#/components/schemas/EnvelopeModel"}
    submission = schemas["SubmissionModel"]
    assert set(submission["required"]) == {"envelope", "disclosures"}
    assert submission["properties"]["envelope"] == ref
    submitted = {"oneOf": [ref, {"$ref": "#/components/schemas/SubmissionModel"}]}
    paths = doc["paths"]
    body = "requestBody", "content", "application/json", "schema"

    def schema_of(path: str) -> Any:
        node = paths[path]["post"]
        for key in body:
            node = node[key]
        return node

    assert schema_of("/v1/statements") == submitted
    assert schema_of("/v1/envelopes/verify") == ref
    batch = schema_of("/v1/statements/batch")
    assert batch["items"] == submitted and batch["maxItems"] == 1000

    prefix = "#/components/schemas/"
    dangling = {r for r in _refs(doc) if not (r.startswith(prefix) and r[len(prefix) :] in schemas)}
    assert not dangling
