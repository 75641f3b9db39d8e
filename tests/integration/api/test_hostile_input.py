"""Hostile input over HTTP: oversized, malformed, ambiguous, non-canonical, absurd or forged
submissions each get a clear 4xx problem+json quickly, and change nothing (the log and the
elevator's chain stay as they were)."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import sql

from api.app import create_app
from api.auth import TokenStore
from domain.model.onboarding import key_registration
from domain.model.roles import Role
from domain.model.submission import STATEMENT_PAYLOAD_TYPE
from ledger.canonical import canonical_json
from ledger.dsse import MAX_SIGNATURES, Envelope, Signature, pae, sign
from ledger.keys import SigningKey
from tests.support.city import NOW, City, Org, statement
from tests.support.timeline import Days

CODE = "311023010201500098"
OTHER = "311023010201500099"
at = Days(NOW - timedelta(days=3)).at
PROBLEM_JSON = "application/problem+json"
QUICK = 0.5  # seconds: every refusal is answered well under a second
Body = bytes | dict[str, Any] | list[Any]


@dataclass
class Hostile:
    """A node over HTTP with an elevator manufactured by ``maker``; ``other`` is a second
    manufacturer."""

    city: City
    client: TestClient
    maker: Org
    other: Org
    made: dict[str, Any]  # the receipt of the manufacture

    def post(self, url: str, body: Body) -> tuple[httpx.Response, float]:
        content = body if isinstance(body, bytes) else orjson.dumps(body)
        start = time.perf_counter()
        response: httpx.Response = self.client.post(
            url, content=content, headers={"content-type": "application/json"}
        )
        return response, time.perf_counter() - start

    def snapshot(self) -> tuple[int, int | None, str | None]:
        chain = self.city.node.app.elevator(CODE)
        size = self.city.node.log.size()
        return (size, None, None) if chain is None else (size, chain.version, chain.head)

    def sold(self, days: float = 1, **extra: Any) -> dict[str, Any]:
        """An acceptable statement (``extra`` overrides envelope fields)."""
        return {
            **statement("elevator.sold", CODE, self.maker, at(days)),
            "nonce": "n-sold-1",
            **extra,
        }

    def signed(self, payload: bytes, key: SigningKey | None = None) -> dict[str, Any]:
        """``payload`` bytes exactly as given, signed (by the maker by default)."""
        return sign(STATEMENT_PAYLOAD_TYPE, payload, [key or self.maker.key]).to_json()

    def saying(self, stmt: dict[str, Any], key: SigningKey | None = None) -> dict[str, Any]:
        return self.signed(canonical_json(stmt), key)


@contextmanager
def _opened(home: Path, database_url: str) -> Iterator[Hostile]:
    city = City.open(home, database_url)
    maker, other = city.org(Role.MANUFACTURER), city.org(Role.MANUFACTURER)
    with TestClient(create_app(node=city.node)) as client:
        made = city.envelope(
            [maker],
            statement(
                "elevator.manufactured", CODE, maker, at(0), manufactured_on=str(at(0).date())
            ),
        )
        response = client.post("/v1/statements", content=orjson.dumps(made))
        assert response.status_code == 201, response.text
        yield Hostile(city, client, maker, other, response.json())
    city.node.close()


@pytest.fixture
def hostile(tmp_path: Path, database_url: str) -> Iterator[Hostile]:
    """A city of the test's own, for tests that change it."""
    with _opened(tmp_path, database_url) as h:
        yield h


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def shared(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Hostile]:
    """One city per backend for the refusals: each stores nothing (and checks so)."""
    home = tmp_path_factory.mktemp("hostile")
    url = f"sqlite:///{home / 'ledger.db'}"
    if request.param == "postgres":  # a schema of its own, as tests/conftest.py's postgres_url
        database = str(request.getfixturevalue("postgres_database"))
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(database, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        url = f"{database}?options={quote(f'-csearch_path={schema}')}"
    with _opened(home, url) as h:
        yield h


def refused(
    h: Hostile, body: Body, status: int, slug: str, url: str = "/v1/statements"
) -> dict[str, Any]:
    """Refused quickly with this problem, and nothing stored."""
    before = h.snapshot()
    response, took = h.post(url, body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    doc: dict[str, Any] = response.json()
    assert doc["type"].endswith("/problems/" + slug) and doc["status"] == status
    assert doc["title"] and doc["detail"]
    assert took < QUICK, f"answered in {took:.3f}s"
    assert h.snapshot() == before
    return doc


# --- envelopes --------------------------------------------------------------------------------


def _with_json(h: Hostile, text: str) -> bytes:
    """The sold envelope with ``text`` spliced in as its first member."""
    return b"{" + text.encode() + b"," + orjson.dumps(h.saying(h.sold()))[1:]


def _padded_to(size: int) -> Callable[[Hostile], bytes]:
    def make(h: Hostile) -> bytes:
        env = h.saying(h.sold())
        env["signatures"].append({"keyid": "", "sig": ""})
        overhead = len(orjson.dumps(env))
        env["signatures"][-1]["keyid"] = "k" * (size - overhead)
        data = orjson.dumps(env)
        assert len(data) == size
        return data

    return make


def _duplicate_key_in_payload(h: Hostile) -> dict[str, Any]:
    """Canonical but for a repeated key: the second "type" would win in orjson."""
    text = canonical_json(h.sold())
    return h.signed(text[:-1] + b',"type":"elevator.scrapped"}')


def _non_canonical(edit: Callable[[bytes], bytes]) -> Callable[[Hostile], dict[str, Any]]:
    def make(h: Hostile) -> dict[str, Any]:
        text = canonical_json(h.sold(data={**h.sold()["data"], "buyer_name": "张三物业"}))
        changed = edit(text)
        assert changed != text and orjson.loads(changed) == orjson.loads(text)
        return h.signed(changed)

    return make


def _reordered(text: bytes) -> bytes:
    doc = orjson.loads(text)
    return orjson.dumps(dict(reversed(list(doc.items()))))


def _sig(h: Hostile, sig: str) -> dict[str, Any]:
    env = h.saying(h.sold())
    return {**env, "signatures": [{"keyid": h.maker.key.key_id, "sig": sig}]}


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _many_signatures(h: Hostile) -> dict[str, Any]:
    """The maker's valid signature and then more than a statement could ever need."""
    env = h.saying(h.sold())
    more = [{"keyid": f"{i:064x}", "sig": "AA=="} for i in range(MAX_SIGNATURES)]
    return {**env, "signatures": env["signatures"] + more}


ENVELOPES: list[Any] = [
    pytest.param(_padded_to(64 * 1024 + 1), 413, "too-large", id="64KiB+1"),
    pytest.param(lambda h: b'{"payloadType": "app', 400, "malformed-envelope", id="truncated-json"),
    pytest.param(lambda h: b"", 400, "malformed-envelope", id="empty-body"),
    pytest.param(lambda h: b"[]", 400, "malformed-envelope", id="an-array"),
    pytest.param(lambda h: _nested(30_000), 400, "malformed-envelope", id="30k-nested-arrays"),
    pytest.param(
        lambda h: b'{"payload": ' + _nested(20_000) + b"}",
        400,
        "malformed-envelope",
        id="nested-member",
    ),
    pytest.param(
        lambda h: {**h.saying(h.sold()), "payload": "not*base64!"},
        400,
        "malformed-envelope",
        id="payload-not-base64",
    ),
    pytest.param(
        lambda h: {**h.saying(h.sold()), "payload": "QUJDR"},
        400,
        "malformed-envelope",
        id="payload-base64-bad-length",
    ),
    pytest.param(lambda h: _sig(h, "%%%%"), 400, "malformed-envelope", id="sig-not-base64"),
    pytest.param(_many_signatures, 400, "malformed-envelope", id="too-many-signatures"),
    pytest.param(lambda h: _sig(h, "QUJD\n"), 400, "malformed-envelope", id="sig-newline"),
    pytest.param(
        lambda h: _with_json(h, f'"payload":"{h.saying(h.sold(days=2))["payload"]}"'),
        400,
        "malformed-envelope",
        id="duplicate-payload-member",
    ),
    pytest.param(
        lambda h: _with_json(h, '"payloadType":"application/json"'),
        400,
        "malformed-envelope",
        id="duplicate-payloadType-member",
    ),
    pytest.param(
        lambda h: orjson.dumps(h.saying(h.sold())).replace(b'"sig":', b'"sig":"AA==","sig":'),
        400,
        "malformed-envelope",
        id="duplicate-sig-member",
    ),
    pytest.param(
        lambda h: orjson.dumps(h.saying(h.sold())).replace(b'"payloadType"', b'"\\ud800"'),
        400,
        "malformed-envelope",
        id="lone-surrogate-member",
    ),
    pytest.param(
        lambda h: orjson.dumps(h.saying(h.sold())).replace(b'"payloadType"', b'"payload\x00Type"'),
        400,
        "malformed-envelope",
        id="raw-nul-byte",
    ),
    pytest.param(
        lambda h: {**h.saying(h.sold()), "signatures": [{"keyid": "\u0000", "sig": "AA=="}]},
        401,
        "bad-signature",
        id="nul-keyid",
    ),
]


@pytest.mark.parametrize("make, status, slug", ENVELOPES)
def test_a_malformed_or_ambiguous_envelope_is_refused(
    shared: Hostile, make: Callable[[Hostile], Body], status: int, slug: str
) -> None:
    body = make(shared)
    doc = refused(shared, body, status, slug)
    if "duplicate" in doc["detail"]:
        assert "duplicate key" in doc["detail"]
    refused(shared, body, status, slug, url="/v1/envelopes/verify")


# --- payloads ---------------------------------------------------------------------------------

PAYLOADS: list[Any] = [
    pytest.param(_duplicate_key_in_payload, 400, "non-canonical-payload", id="duplicate-key"),
    pytest.param(_non_canonical(lambda t: t + b"\n"), 400, "non-canonical-payload", id="newline"),
    pytest.param(
        _non_canonical(lambda t: t.replace(b",", b", ")), 400, "non-canonical-payload", id="space"
    ),
    pytest.param(_non_canonical(_reordered), 400, "non-canonical-payload", id="key-order"),
    pytest.param(
        _non_canonical(lambda t: t.replace("张".encode(), b"\\u5f20")),
        400,
        "non-canonical-payload",
        id="escaped-unicode",
    ),
    pytest.param(
        lambda h: h.signed(canonical_json(h.sold())[:-1] + b',"x":"\\udc00"}'),
        400,
        "non-canonical-payload",
        id="lone-surrogate",
    ),
    pytest.param(lambda h: h.signed(_nested(20_000)), 400, "non-canonical-payload", id="nested"),
    pytest.param(
        lambda h: h.signed(canonical_json(h.sold())[:-1] + b',"n":10000000000000000000000}'),
        400,
        "non-canonical-payload",
        id="huge-integer",
    ),
]


@pytest.mark.parametrize("make, status, slug", PAYLOADS)
def test_a_payload_that_is_not_canonical_json_is_refused(
    shared: Hostile, make: Callable[[Hostile], Body], status: int, slug: str
) -> None:
    refused(shared, make(shared), status, slug)


def _data(**fields: Any) -> Callable[[Hostile], dict[str, Any]]:
    return lambda h: h.saying(h.sold(data={**h.sold()["data"], **fields}))


def _registration(**fields: Any) -> Callable[[Hostile], dict[str, Any]]:
    def make(h: Hostile) -> dict[str, Any]:
        stmt = statement("registration.issued", CODE, h.maker, at(2), **fields)
        return h.saying({**stmt, "nonce": "n-registration"})

    return make


STATEMENTS: list[Any] = [
    pytest.param(lambda h: h.saying(h.sold(type="elevator.teleported")), "type", id="unknown-type"),
    pytest.param(
        lambda h: h.saying(h.sold(issuer="91430900MA4L00006X")), "issuer", id="uscc-check"
    ),
    pytest.param(_data(buyer="91430900MA4L0000"), "data.buyer", id="uscc-length"),
    pytest.param(
        lambda h: h.saying(h.sold(elevator="999923010201500098")), "elevator", id="equipment-code"
    ),
    pytest.param(
        lambda h: h.saying(h.sold(elevator="3110abcde201500098")), "elevator", id="equipment-case"
    ),
    pytest.param(
        _registration(registration_code="31104309002016133337"),
        "data.registration_code",
        id="registration-month-13",
    ),
    pytest.param(
        _registration(certificate_number="梯11XH3622(16)"),
        "data.certificate_number",
        id="certificate-province",
    ),
    pytest.param(
        lambda h: h.saying(h.sold(occurred_at="0001-01-01T00:00:00+14:00")),
        "occurred_at",
        id="year-1",
    ),
    pytest.param(
        lambda h: h.saying(h.sold(occurred_at="9999-12-31T23:59:59-14:00")),
        "occurred_at",
        id="year-9999",
    ),
    pytest.param(
        lambda h: h.saying(h.sold(occurred_at="2026-02-30T10:00:00+08:00")),
        "occurred_at",
        id="february-30",
    ),
    pytest.param(
        lambda h: h.saying(h.sold(occurred_at="2025-06-01T10:00:00")), "occurred_at", id="naive"
    ),
    pytest.param(
        lambda h: h.saying(h.sold(occurred_at="2025-06-01")), "occurred_at", id="a-date-only"
    ),
    pytest.param(
        lambda h: h.saying(h.sold(occurred_at=1_750_000_000)), "occurred_at", id="unix-time"
    ),
    pytest.param(
        lambda h: h.saying(h.sold(occurred_at="1750000000")), "occurred_at", id="unix-time-text"
    ),
    pytest.param(
        lambda h: h.saying(
            {
                **statement("fault.reported", CODE, h.maker, at(1), detected_at="1750000000"),
                "nonce": "n-fault-unix",
            }
        ),
        "data.detected_at",
        id="data-instant-unix-time",
    ),
    pytest.param(
        lambda h: h.saying(
            {
                **statement(
                    "elevator.manufactured", OTHER, h.maker, at(0), manufactured_on="0001-01-01"
                ),
                "nonce": "n-made-0001",
            }
        ),
        "data.manufactured_on",
        id="data-date-year-1",
    ),
    pytest.param(_data(contract_number="XS\u00002015"), "data.contract_number", id="nul"),
    pytest.param(_data(buyer_name="物业\u001b[31m"), "data.buyer_name", id="escape-char"),
    pytest.param(lambda h: h.saying(h.sold(nonce="n-\u0000-00000")), "nonce", id="nul-in-nonce"),
]


@pytest.mark.parametrize("make, loc", STATEMENTS)
def test_a_statement_with_a_bad_identifier_date_or_character_is_invalid(
    shared: Hostile, make: Callable[[Hostile], Body], loc: str
) -> None:
    doc = refused(shared, make(shared), 422, "invalid-statement")
    assert loc in [error["loc"] for error in doc["errors"]], doc


def test_an_occurrence_far_in_the_future_breaks_a_rule(shared: Hostile) -> None:
    future = (NOW + timedelta(days=400)).isoformat()
    doc = refused(shared, shared.saying(shared.sold(occurred_at=future)), 422, "rule-violation")
    assert doc["rule"] == "occurred-in-the-future"


def test_tab_line_feed_and_carriage_return_are_text(hostile: Hostile) -> None:
    h, spare = hostile, SigningKey.generate()
    m = h.maker.uscc
    h.city.say(h.maker, key_registration(m, m, spare.verifying_key, at(0.5)))
    revoke = {
        "type": "key.revoked",
        "organization": m,
        "issuer": m,
        "occurred_at": at(0.6).isoformat(),
        "nonce": "n-revoke-spare",
        "data": {"key_id": spare.key_id, "reason": "备用\t钥匙\r\n未曾使用"},
    }
    response, _ = h.post("/v1/statements", h.saying(revoke))
    assert response.status_code == 201, response.text


# --- batches ----------------------------------------------------------------------------------


BATCHES: list[Any] = [
    pytest.param(lambda h: [h.saying(h.sold())] * 1001, 413, "batch-too-large", id="1001-items"),
    pytest.param(lambda h: b"[" + b" " * 20_000_000 + b"]", 413, "too-large", id="20MB"),
    # more JSON values than 1,000 envelopes hold: refused before parsing allocates for each
    pytest.param(lambda h: _nested(100_000), 413, "batch-too-large", id="100k-nested-arrays"),
    pytest.param(lambda h: _nested(1000), 400, "malformed-batch", id="1000-nested-arrays"),
    pytest.param(
        lambda h: b"[" + b"{}," * 5_000_000 + b"{}]", 413, "batch-too-large", id="5M-tiny-objects"
    ),
    pytest.param(
        lambda h: b"[" + _with_json(h, '"payloadType":"x"') + b"]",
        400,
        "malformed-batch",
        id="duplicate-member",
    ),
    pytest.param(lambda h: b"[{}, 1]", 400, "malformed-batch", id="not-objects"),
]


@pytest.mark.parametrize("make, status, slug", BATCHES)
def test_a_hostile_batch_is_refused_whole(
    shared: Hostile, make: Callable[[Hostile], Body], status: int, slug: str
) -> None:
    refused(shared, make(shared), status, slug, url="/v1/statements/batch")


def test_each_hostile_envelope_in_a_batch_is_refused_on_its_own(shared: Hostile) -> None:
    h = shared
    before = h.snapshot()
    others = [
        {**h.saying(h.sold()), "payload": "not*base64!"},
        _duplicate_key_in_payload(h),
        h.saying(h.sold(occurred_at="0001-01-01T00:00:00+14:00")),
        _data(contract_number="XS\u00002015")(h),
    ]
    deep = b'{"payload":' + _nested(300) + b"}"  # deeper than an entry could be written
    response, took = h.post("/v1/statements/batch", b"[" + deep + b"," + orjson.dumps(others)[1:])
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (0, 1 + len(others))
    slugs = [r["problem"]["type"].rsplit("/", 1)[1] for r in body["results"]]
    assert slugs == [
        "malformed-envelope",
        "malformed-envelope",
        "non-canonical-payload",
        "invalid-statement",
        "invalid-statement",
    ]
    assert took < QUICK and h.snapshot() == before


# --- keys and signatures ----------------------------------------------------------------------


def _another_organizations_key(h: Hostile) -> dict[str, Any]:
    return h.saying(h.sold(), h.other.key)


def _revoked_key(h: Hostile) -> dict[str, Any]:
    new = SigningKey.generate()
    m = h.maker.uscc
    h.city.say(h.maker, key_registration(m, m, new.verifying_key, at(0.5)))
    revoke = {
        "type": "key.revoked",
        "organization": m,
        "issuer": m,
        "occurred_at": at(0.6).isoformat(),
        "data": {"key_id": h.maker.key.key_id, "reason": "leaked"},
    }
    h.city.say(Org(m, new, h.maker.roles), revoke)
    return h.saying(h.sold())  # signed by the revoked key


def _terminal_of_another_elevator(h: Hostile) -> dict[str, Any]:
    h.city.say(
        h.maker,
        statement(
            "elevator.manufactured", OTHER, h.maker, at(0), manufactured_on=str(at(0).date())
        ),
    )
    # a terminal is bound by the elevator's contracted maintainer (or use unit)
    maintainer, owner = h.city.org(Role.MAINTENANCE_UNIT), h.city.org(Role.USE_UNIT)
    contract = statement(
        "maintenance_contract.signed",
        OTHER,
        maintainer,
        at(0.2),
        maintenance_unit=maintainer.uscc,
        use_unit=owner.uscc,
        valid_from=str(at(0).date()),
        valid_to="2099-12-31",
    )
    h.city.say(maintainer, contract, owner)
    terminal = SigningKey.generate()
    m = maintainer.uscc
    h.city.say(maintainer, key_registration(m, m, terminal.verifying_key, at(0.5), OTHER))
    fault = statement("fault.reported", CODE, maintainer, at(1), detected_at=at(1).isoformat())
    return h.saying({**fault, "nonce": "n-fault-terminal"}, terminal)


def _signed_as_another_payload_type(h: Hostile) -> dict[str, Any]:
    payload = canonical_json(h.sold())
    sig = h.maker.key.sign(pae("application/json", payload))
    envelope = Envelope(STATEMENT_PAYLOAD_TYPE, payload, (Signature(h.maker.key.key_id, sig),))
    return envelope.to_json()


FORGERIES: list[Any] = [
    pytest.param(
        _another_organizations_key, 403, "not-authorized", "signer-is-not-issuer", id="other-org"
    ),
    pytest.param(_revoked_key, 403, "not-authorized", "key-revoked", id="revoked"),
    pytest.param(
        _terminal_of_another_elevator, 403, "not-authorized", "terminal-not-bound", id="terminal"
    ),
    pytest.param(_signed_as_another_payload_type, 401, "bad-signature", None, id="payload-type"),
]


@pytest.mark.parametrize("forge, status, slug, rule", FORGERIES)
def test_a_signature_the_ledger_must_not_trust_is_refused(
    hostile: Hostile,
    forge: Callable[[Hostile], dict[str, Any]],
    status: int,
    slug: str,
    rule: str | None,
) -> None:
    doc = refused(hostile, forge(hostile), status, slug)
    assert doc.get("rule") == rule


def test_a_signature_that_does_not_verify_beside_a_valid_one_is_named(hostile: Hostile) -> None:
    """A junk co-signature makes the whole envelope refused, alone or in a batch: the problem
    names the signature (its index in ``signatures`` and its keyid) and why."""
    h = hostile
    envelope = h.saying(h.sold())
    junk = {"keyid": h.maker.key.key_id[::-1], "sig": base64.b64encode(bytes(64)).decode()}
    envelope["signatures"].append(junk)
    doc = refused(h, envelope, 401, "bad-signature")
    assert (doc["signature"], doc["keyid"]) == (1, junk["keyid"])
    assert doc["reason"] == "no registered key has this id" and "signatures[1]" in doc["detail"]
    before = h.snapshot()
    response, _ = h.post("/v1/statements/batch", [envelope])
    assert response.status_code == 200, response.text
    item = response.json()["results"][0]
    assert not item["accepted"] and item["problem"]["signature"] == 1
    assert item["problem"]["keyid"] == junk["keyid"]
    assert h.snapshot() == before


@pytest.mark.parametrize("encoding", ["as-sent", "url-safe-unpadded"])
def test_a_replayed_envelope_gets_its_original_receipt(hostile: Hostile, encoding: str) -> None:
    h = hostile
    envelope = h.saying(h.sold())
    first, _ = h.post("/v1/statements", envelope)
    assert first.status_code == 201, first.text
    h.city.say(h.maker, statement("elevator.sold", CODE, h.maker, at(2)))  # the chain moves on
    if encoding != "as-sent":
        text = base64.urlsafe_b64encode(base64.b64decode(envelope["payload"])).rstrip(b"=")
        envelope = {**envelope, "payload": text.decode()}
    before = h.snapshot()
    again, took = h.post("/v1/statements", envelope)
    assert again.status_code == 200, again.text
    original, replay = first.json(), again.json()
    assert replay["duplicate"] is True and original["duplicate"] is False
    same = ("entry_hash", "subject", "version", "log_index", "recorded_at", "type")
    assert {k: replay[k] for k in same} == {k: original[k] for k in same}
    assert took < QUICK and h.snapshot() == before


def test_a_re_signed_payload_with_another_prev_is_a_new_statement(hostile: Hostile) -> None:
    h = hostile
    sold, _ = h.post("/v1/statements", h.saying(h.sold()))
    assert sold.status_code == 201
    head = sold.json()["entry_hash"]
    stale = refused(h, h.saying(h.sold(prev=h.made["entry_hash"])), 409, "stale-prev")
    assert (stale["head"], stale["version"]) == (head, 2)
    current, _ = h.post("/v1/statements", h.saying(h.sold(prev=head)))
    assert current.status_code == 201, current.text
    receipt = current.json()
    assert receipt["duplicate"] is False and receipt["version"] == 3


# --- lookups ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/v1/elevators/%00",
        "/v1/elevators/31102301020150%0098/entries",
        "/v1/elevators/%1b/responsibility",
        "/v1/search?q=%00%00",
        "/v1/organizations/" + "%00" * 18,
    ],
)
def test_control_characters_in_a_lookup_are_an_invalid_request(shared: Hostile, url: str) -> None:
    response = shared.client.get(url)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON


def test_the_qr_page_of_an_identifier_with_nul_is_not_found(shared: Hostile) -> None:
    response = shared.client.get("/e/%00")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


def test_instants_at_the_ends_of_time_in_queries_are_answered(shared: Hostile) -> None:
    """Offsets at year 1 and year 9999 cannot be converted to UTC: still no server error."""
    h = shared
    h.city.node.projections.catch_up()
    token, _ = TokenStore.open(h.city.node.engine).issue(
        h.city.node.anchor.uscc, "hostile", timedelta(hours=1)
    )
    for instant in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
        for url, headers in [
            (f"/v1/elevators/{CODE}/responsibility?at={instant}", {}),
            (f"/v1/elevators/{CODE}/replay?as_of={instant}", {"Authorization": f"Bearer {token}"}),
        ]:
            start = time.perf_counter()
            response = h.client.get(url.replace("+", "%2B"), headers=headers)
            assert response.status_code == 200, response.text
            assert time.perf_counter() - start < QUICK


# --- text that could deceive ------------------------------------------------------------------


DECEPTIVE: list[Any] = [
    pytest.param("buyer_name", "物业\u202e司公", "U+202E", id="right-to-left-override"),
    pytest.param("contract_number", "XS-\u2066-2015", "U+2066", id="left-to-right-isolate"),
    pytest.param("contract_number", "XS\u200b2015", "U+200B", id="zero-width-space"),
    pytest.param("buyer_name", "\ufeff物业公司", "U+FEFF", id="byte-order-mark"),
    pytest.param("buyer_name", "物业\u009b31m公司", "U+009B", id="c1-control"),
]


@pytest.mark.parametrize("field, text, code_point", DECEPTIVE)
def test_text_that_could_deceive_is_refused_naming_the_field_and_the_code_point(
    shared: Hostile, field: str, text: str, code_point: str
) -> None:
    doc = refused(shared, _data(**{field: text})(shared), 422, "invalid-statement")
    assert [e["loc"] for e in doc["errors"]] == [f"data.{field}"], doc
    assert code_point in doc["errors"][0]["msg"] and code_point in doc["detail"], doc


# --- malformed requests -----------------------------------------------------------------------


def answered(
    h: Hostile, method: str, url: str, status: int, slug: str, **kw: Any
) -> httpx.Response:
    """A problem document with this status and type, and nothing stored."""
    before = h.snapshot()
    response: httpx.Response = h.client.request(method, url, **kw)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"].endswith("/problems/" + slug), response.json()
    assert h.snapshot() == before
    return response


@pytest.mark.parametrize(
    "method, url, allow",
    [
        ("GET", "/v1/statements", {"POST"}),
        ("DELETE", "/v1/statements/batch", {"POST"}),
        ("POST", "/v1/log/checkpoint", {"GET"}),
        ("PUT", "/v1/elevators/311023010201500098", {"GET"}),
    ],
)
def test_a_method_the_path_does_not_take_is_405_naming_the_ones_it_does(
    shared: Hostile, method: str, url: str, allow: set[str]
) -> None:
    response = answered(shared, method, url, 405, "method-not-allowed")
    assert {m.strip() for m in response.headers["allow"].split(",")} == allow


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
@pytest.mark.parametrize("url", ["/v1/statements", "/v1/statements/batch", "/v1/envelopes/verify"])
def test_a_body_that_says_it_is_not_json_is_415(
    shared: Hostile, url: str, content_type: str
) -> None:
    body = orjson.dumps(shared.saying(shared.sold()))
    kw: dict[str, Any] = {"content": body, "headers": {"content-type": content_type}}
    response = answered(shared, "POST", url, 415, "unsupported-media-type", **kw)
    assert content_type in response.json()["detail"]


def test_json_with_parameters_or_a_json_suffix_is_json(shared: Hostile) -> None:
    for content_type in ["application/json; charset=utf-8", "application/vnd.dsse+json"]:
        headers = {"content-type": content_type}
        response = shared.client.post("/v1/envelopes/verify", content=b"{", headers=headers)
        assert response.status_code == 400, response.text  # read as JSON: a malformed one


@pytest.mark.parametrize(
    "url, slug",
    [("/v1/statements", "malformed-envelope"), ("/v1/statements/batch", "malformed-batch")],
)
def test_a_body_that_is_not_json_is_400(shared: Hostile, url: str, slug: str) -> None:
    kw: dict[str, Any] = {
        "content": b'{"payloadType": ',
        "headers": {"content-type": "application/json"},
    }
    answered(shared, "POST", url, 400, slug, **kw)


@pytest.mark.parametrize(
    "url",
    [
        "/v1/log/entries/abc",  # a path parameter of the wrong type
        "/v1/log/entries/1e3",
        "/v1/log/proof/inclusion?index=one&size=2",  # query parameters of the wrong type
        "/v1/log/proof/consistency?old=1&size=",
        "/v1/log/proof/inclusion",  # missing
    ],
)
def test_parameters_of_the_wrong_type_are_422(shared: Hostile, url: str) -> None:
    response = answered(shared, "GET", url, 422, "invalid-request")
    assert response.json()["errors"], response.json()
