"""Preparing an onboarding: the request checked field by field, the statements the authority
signs offline valid against the catalogue, and a private key never taken for a public one."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC, datetime

import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.model.catalogue import Statement
from domain.model.identifiers import make_uscc
from domain.model.onboarding_request import (
    ONBOARDING_TYPES,
    KeyRefused,
    LicenceFields,
    OnboardingFields,
    OnboardingInvalid,
    PrivateKeyGiven,
    check_request,
    missing_licences,
    parse_licence_spec,
    parse_public_key,
    prepare,
    to_json_lines,
)
from domain.model.roles import LicenceKind, Role
from ledger.keys import SigningKey

AUTHORITY = "11430900MB1C2D3E45"
ENTERPRISE = make_uscc("91430900MA4L00003")
KEY = SigningKey.generate()
AT = datetime(2026, 5, 6, 10, 30, tzinfo=UTC)


def fields(**changes: object) -> OnboardingFields:
    base = OnboardingFields(
        issuer=AUTHORITY,
        uscc=ENTERPRISE,
        name="益阳市安顺电梯维保有限公司",
        district="430903",
        address="益阳市赫山区龙岭大道88号",
        legal_representative="张三",
        roles=["maintenance_unit", "construction_unit"],
        licences=[
            LicenceFields(
                "installation_repair", "TS3343001-2027", "3110, 3120", "2026-01-01", "2030-12-31"
            )
        ],
        public_key=KEY.verifying_key.public_b64(),
        valid_from="2026-05-06",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_the_prepared_statements_are_valid_statements_in_the_order_they_must_be_logged() -> None:
    statements = prepare(check_request(fields()), AT)

    assert [s["type"] for s in statements] == [
        "org.registered",
        "org.role_granted",
        "org.role_granted",
        "org.licence_granted",
        "key.registered",
    ]
    for s in statements:
        Statement.model_validate(s)  # the catalogue takes each as it stands
        assert s["issuer"] == AUTHORITY and s["organization"] == ENTERPRISE
        assert "prev" not in s, "the chain does not exist yet: no head to name"
    nonces = [s["nonce"] for s in statements]
    assert len(set(nonces)) == len(nonces), "each statement its own nonce"
    assert statements[-1]["data"]["key_id"] == KEY.key_id
    assert statements[3]["data"]["scope"] == ["3110", "3120"]
    lines = to_json_lines(statements).splitlines()
    assert [orjson.loads(line) for line in lines] == statements
    assert set(ONBOARDING_TYPES) == {s["type"] for s in statements}


@pytest.mark.parametrize(
    "given",
    [
        KEY.verifying_key.public_b64(),
        KEY.verifying_key.to_pem().decode(),
        orjson.dumps(
            {
                "key_id": KEY.key_id,
                "algorithm": "ed25519",
                "public_key": KEY.verifying_key.public_b64(),
            }
        ).decode(),
    ],
    ids=["raw-base64", "pem", "keygen-json"],
)
def test_a_public_key_is_read_as_keygen_prints_it_or_as_pem(given: str) -> None:
    assert parse_public_key(given).key_id == KEY.key_id


def _private_forms() -> list[str]:
    private = Ed25519PrivateKey.generate()
    pkcs8 = private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return [
        KEY.to_pem().decode(),
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        ).decode(),
        base64.b64encode(pkcs8).decode(),
        base64.b64encode(raw + public).decode(),
        "PRIVATE+KEY+ledger.example+1234abcd+AAAA",
    ]


@pytest.mark.parametrize(
    "given", _private_forms(), ids=["pem", "openssh", "pkcs8-der", "seed-and-public", "note-key"]
)
def test_a_private_key_is_refused_as_one(given: str) -> None:
    with pytest.raises(PrivateKeyGiven):
        parse_public_key(given)
    with pytest.raises(OnboardingInvalid) as refused:
        check_request(fields(public_key=given))
    assert "private key" in refused.value.errors["public_key"]
    assert given not in str(refused.value), "the private key is never echoed"


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("", "no public key"),
        ("not a key at all!", "not a public key"),
        (base64.b64encode(b"x" * 20).decode(), "not an Ed25519 public key"),
        (
            orjson.dumps(
                {"key_id": "0" * 64, "public_key": KEY.verifying_key.public_b64()}
            ).decode(),
            "key_id does not belong",
        ),
    ],
)
def test_what_is_not_a_public_key_is_refused_saying_why(given: str, why: str) -> None:
    with pytest.raises(KeyRefused, match=why):
        parse_public_key(given)


def test_each_bad_field_is_named() -> None:
    wrong_check = ENTERPRISE[:-1] + ("0" if ENTERPRISE[-1] != "0" else "1")
    with pytest.raises(OnboardingInvalid) as refused:
        check_request(
            fields(
                uscc=wrong_check,
                district="99",
                roles=["wizard"],
                name=" ",
                licences=[
                    LicenceFields("installation_repair", "N-1", "9999", "2026-01-01", "2025-01-01")
                ],
            )
        )
    errors = refused.value.errors
    assert "check character" in errors["uscc"]
    assert "6 digits" in errors["district"]
    assert "unknown role" in errors["roles"]
    assert errors["name"] == "required"
    assert "catalogue variety" in errors["licences.0"]


def test_no_role_is_refused_and_blank_licence_rows_are_ignored() -> None:
    with pytest.raises(OnboardingInvalid) as refused:
        check_request(fields(roles=[]))
    assert refused.value.errors == {"roles": "choose at least one role"}
    blank = LicenceFields("", "", "", "2026-01-01", "")
    request = check_request(fields(licences=[blank]))
    assert request.licences == ()
    assert missing_licences(request) == [
        (Role.MAINTENANCE_UNIT, LicenceKind.INSTALLATION_REPAIR),
        (Role.CONSTRUCTION_UNIT, LicenceKind.INSTALLATION_REPAIR),
    ]


def test_the_cli_licence_spec_is_kind_number_scope_from_to() -> None:
    spec = parse_licence_spec("installation_repair:TS:33-01:3110,3310:2026-01-01:2030-12-31")
    assert spec == LicenceFields(
        "installation_repair", "TS:33-01", "3110,3310", "2026-01-01", "2030-12-31"
    )
    with pytest.raises(OnboardingInvalid, match="KIND:NUMBER:SCOPE:FROM:TO"):
        parse_licence_spec("installation_repair:3110")


def test_a_catalogue_refusal_names_the_form_field() -> None:
    """Text the catalogue refuses (a control character) is reported at the field typed."""
    with pytest.raises(OnboardingInvalid) as refused:
        prepare(check_request(fields(address="龙岭大道\x0788号")), AT)
    assert "address" in refused.value.errors
