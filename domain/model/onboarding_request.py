"""An onboarding request as a regulator's staff types it (the console's form, ``elevator-ledger
onboard prepare``): checked field by field, then turned into the unsigned statements the
authority signs offline (:mod:`domain.model.onboarding` says them).

Nothing here holds or sees a private key: the enterprise's *public* key is read from what it
sends (a PEM ``PUBLIC KEY``, the base64 of the raw 32 bytes, or the JSON ``keygen`` prints), and
anything that is a private key is refused (:class:`PrivateKeyGiven`) without being kept.

The statements are about an organization whose chain does not exist yet: none names a ``prev``
(the entries' hashes depend on when the ledger records them), and each carries a fresh nonce, so
the file signed is exactly the file prepared and signing it twice says nothing twice.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError

from domain.model.catalogue import Statement
from domain.model.identifiers import (
    InvalidIdentifier,
    parse_scope_code,
    validate_area_code,
    validate_uscc,
)
from domain.model.onboarding import LicenceGrant, onboarding_statements
from domain.model.roles import LICENCE_FOR_ROLE, LicenceKind, Role
from domain.model.signing import new_nonce
from ledger.keys import VerifyingKey

#: The statement types an onboarding says, in the order it says them.
ONBOARDING_TYPES = ("org.registered", "org.role_granted", "org.licence_granted", "key.registered")
#: Where a statement's ``data`` field is typed in the form.
_FIELD_OF_DATA = {
    "name": "name",
    "district": "district",
    "address": "address",
    "legal_representative": "legal_representative",
}


class KeyRefused(ValueError):
    """What was given as the enterprise's public key is not one."""


class PrivateKeyGiven(KeyRefused):
    """A private key was given where the public key belongs: refused, never kept nor shown."""


@dataclass
class OnboardingInvalid(ValueError):
    """The request's problems, by field (``name``, ``licences.1``, ``public_key``…)."""

    errors: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return "; ".join(f"{k}: {v}" for k, v in self.errors.items())


@dataclass(frozen=True)
class LicenceFields:
    """One licence as typed: kind, number, scope codes (comma or space separated), dates."""

    kind: str
    number: str
    scope: str
    valid_from: str
    valid_to: str

    def blank(self) -> bool:
        return not any(v.strip() for v in (self.kind, self.number, self.scope, self.valid_to))


@dataclass(frozen=True)
class OnboardingFields:
    """The request as typed, every value a string: what the form posts, what the CLI is given."""

    issuer: str
    uscc: str
    name: str
    district: str
    address: str
    legal_representative: str
    roles: Sequence[str]
    licences: Sequence[LicenceFields]
    public_key: str
    valid_from: str


@dataclass(frozen=True)
class OnboardingRequest:
    """A request whose every field was found well-formed."""

    issuer: str
    uscc: str
    name: str
    district: str
    address: str
    legal_representative: str
    roles: tuple[Role, ...]
    licences: tuple[LicenceGrant, ...]
    key: VerifyingKey
    valid_from: date


def parse_public_key(text: str) -> VerifyingKey:
    """The Ed25519 public key in ``text``: PEM (``BEGIN PUBLIC KEY``), base64 of the raw 32 bytes
    or of the DER SubjectPublicKeyInfo, or the JSON ``elevator-ledger keygen`` prints (its
    ``key_id`` must then match). :class:`PrivateKeyGiven` for any private key."""
    text = text.strip()
    if not text:
        raise KeyRefused("no public key given")
    if "PRIVATE" in text.upper():  # PEM, OpenSSH and C2SP note keys all say so
        raise PrivateKeyGiven("this is a private key")
    if text.startswith("{"):
        return _from_keygen_json(text)
    if text.startswith("-----BEGIN"):
        return _from_pem(text)
    try:
        raw = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise KeyRefused(
            "not a public key: expected a PEM PUBLIC KEY, or the base64 public_key that"
            " elevator-ledger keygen prints"
        ) from None
    if len(raw) == 32:
        return VerifyingKey("ed25519", raw)
    if len(raw) in (48, 64):  # PKCS#8 DER of an Ed25519 private key; seed and public key
        raise PrivateKeyGiven("this is a private key")
    try:
        return _ed25519(serialization.load_der_public_key(raw))
    except ValueError:
        raise KeyRefused(
            f"not an Ed25519 public key ({len(raw)} bytes; the raw key is 32)"
        ) from None


def _from_pem(text: str) -> VerifyingKey:
    try:
        return _ed25519(serialization.load_pem_public_key(text.encode()))
    except ValueError:
        raise KeyRefused("not a PEM public key") from None


def _ed25519(key: object) -> VerifyingKey:
    if not isinstance(key, Ed25519PublicKey):
        raise KeyRefused("the ledger takes Ed25519 keys only")
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return VerifyingKey("ed25519", raw)


def _from_keygen_json(text: str) -> VerifyingKey:
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise KeyRefused("not JSON as elevator-ledger keygen prints it") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("public_key"), str):
        raise KeyRefused("the JSON has no public_key")
    if doc.get("algorithm", "ed25519") != "ed25519":
        raise KeyRefused("the ledger takes Ed25519 keys only")
    key = parse_public_key(doc["public_key"])
    if "key_id" in doc and doc["key_id"] != key.key_id:
        raise KeyRefused("key_id does not belong to public_key: the JSON was altered")
    return key


def parse_licence_spec(spec: str) -> LicenceFields:
    """``KIND:NUMBER:SCOPE:FROM:TO`` (the CLI's ``--licence``), scope codes comma separated."""
    kind, sep, rest = spec.partition(":")
    parts = rest.rsplit(":", 3)
    if not sep or len(parts) != 4:
        raise OnboardingInvalid({"licences": f"{spec!r} is not KIND:NUMBER:SCOPE:FROM:TO"})
    number, scope, valid_from, valid_to = parts
    return LicenceFields(kind, number, scope, valid_from, valid_to)


def check_request(fields: OnboardingFields) -> OnboardingRequest:
    """The request, every field checked; :class:`OnboardingInvalid` with each problem."""
    errors: dict[str, str] = {}

    def checked(name: str, parse: Any, value: str) -> Any:
        try:
            return parse(value.strip())
        except (ValueError, InvalidIdentifier) as exc:
            errors[name] = _reason(exc)
            return None

    issuer = checked("issuer", validate_uscc, fields.issuer)
    uscc = checked("uscc", validate_uscc, fields.uscc)
    district = checked("district", validate_area_code, fields.district)
    valid_from = checked("valid_from", date.fromisoformat, fields.valid_from)
    roles = _roles(fields.roles, errors)
    licences = _licences(fields.licences, errors)
    key = None
    try:
        key = parse_public_key(fields.public_key)
    except KeyRefused as exc:
        errors["public_key"] = str(exc)
    for name in ("name", "address", "legal_representative"):
        if not getattr(fields, name).strip():
            errors[name] = "required"
    if errors:
        raise OnboardingInvalid(errors)
    return OnboardingRequest(
        issuer,
        uscc,
        fields.name.strip(),
        district,
        fields.address.strip(),
        fields.legal_representative.strip(),
        roles,
        licences,
        key,  # type: ignore[arg-type]  # set: no error above
        valid_from,
    )


def _reason(exc: Exception) -> str:
    return exc.reason if isinstance(exc, InvalidIdentifier) else str(exc)


def _roles(given: Iterable[str], errors: dict[str, str]) -> tuple[Role, ...]:
    roles: list[Role] = []
    for value in given:
        try:
            role = Role(value.strip())
        except ValueError:
            errors["roles"] = f"unknown role {value!r}: one of {', '.join(r.value for r in Role)}"
            continue
        if role not in roles:
            roles.append(role)
    if not roles and "roles" not in errors:
        errors["roles"] = "choose at least one role"
    return tuple(roles)


def _licences(given: Sequence[LicenceFields], errors: dict[str, str]) -> tuple[LicenceGrant, ...]:
    out: list[LicenceGrant] = []
    for i, lic in enumerate(given):
        if lic.blank():
            continue
        try:
            out.append(_licence(lic))
        except (ValueError, InvalidIdentifier) as exc:
            errors[f"licences.{i}"] = _reason(exc)
    numbers = [lic.number for lic in out]
    if len(set(numbers)) != len(numbers):
        errors["licences"] = "two licences have the same number"
    return tuple(out)


def _licence(lic: LicenceFields) -> LicenceGrant:
    try:
        kind = LicenceKind(lic.kind.strip())
    except ValueError:
        kinds = ", ".join(k.value for k in LicenceKind)
        raise ValueError(f"unknown licence kind {lic.kind!r}: one of {kinds}") from None
    if not lic.number.strip():
        raise ValueError("the licence number is required")
    codes = [c for c in lic.scope.replace(",", " ").replace("，", " ").split() if c]
    if not codes:
        raise ValueError("the scope needs at least one catalogue code (e.g. 3110)")
    scope = tuple(str(parse_scope_code(c)) for c in codes)
    start, end = _date(lic.valid_from, "valid from"), _date(lic.valid_to, "valid to")
    if end < start:
        raise ValueError("valid to is before valid from")
    return LicenceGrant(kind, lic.number.strip(), scope, start, end)


def _date(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{what}: {value!r} is not a date (YYYY-MM-DD)") from None


def missing_licences(request: OnboardingRequest) -> list[tuple[Role, LicenceKind]]:
    """Roles whose licensed work needs a licence kind the request grants none of: the
    organization may hold the role, but signs none of that work until it is licensed."""
    kinds = {lic.kind for lic in request.licences}
    return [
        (role, LICENCE_FOR_ROLE[role])
        for role in request.roles
        if role in LICENCE_FOR_ROLE and LICENCE_FOR_ROLE[role] not in kinds
    ]


def prepare(request: OnboardingRequest, at: datetime) -> list[dict[str, Any]]:
    """The unsigned statements, in the order they must be logged, each with a nonce and no
    ``prev``, each checked against the catalogue (:class:`OnboardingInvalid` otherwise, named
    by the form's field)."""
    statements = onboarding_statements(
        regulator=request.issuer,
        uscc=request.uscc,
        name=request.name,
        district=request.district,
        address=request.address,
        legal_representative=request.legal_representative,
        roles=request.roles,
        licences=request.licences,
        key=request.key,
        at=at,
        valid_from=request.valid_from,
    )
    errors: dict[str, str] = {}
    for statement in statements:
        statement["nonce"] = new_nonce()
        try:
            Statement.model_validate(statement)
        except ValidationError as exc:
            for err in exc.errors():
                loc = [str(p) for p in err["loc"]]
                dotted = ".".join(loc)
                where = _FIELD_OF_DATA.get(loc[1], dotted) if len(loc) > 1 else dotted
                errors[where] = f"{statement['type']}: {err['msg']}"
    if errors:
        raise OnboardingInvalid(errors)
    return statements


def to_json_lines(statements: Iterable[Mapping[str, Any]]) -> bytes:
    """One statement per line: what ``elevator-ledger sign`` takes and gives back signed."""
    return b"".join(orjson.dumps(dict(s)) + b"\n" for s in statements)
