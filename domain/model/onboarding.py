"""The regulator's statements that bring an organization into the ledger.

Registering an organization, granting its roles and licences and registering
its first key are four kinds of signed statement; this module writes them so
the CLI, the demo and the tests say them the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from domain.model.roles import LICENCE_FOR_ROLE, LicenceKind, Role
from ledger.keys import VerifyingKey


@dataclass(frozen=True)
class LicenceGrant:
    kind: LicenceKind
    number: str
    scope: tuple[str, ...]
    valid_from: date
    valid_to: date


def _stmt(
    kind: str, org: str, regulator: str, at: datetime, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "type": kind,
        "organization": org,
        "issuer": regulator,
        "occurred_at": at.isoformat(),
        "data": data,
    }


def key_registration(
    org: str, signer: str, key: VerifyingKey, at: datetime, bound_elevator: str | None = None
) -> dict[str, Any]:
    """``key.registered``: by the regulator (first key) or by the organization itself."""
    data: dict[str, Any] = {
        "key_id": key.key_id,
        "algorithm": key.algorithm,
        "public_key": key.public_b64(),
    }
    if bound_elevator:
        data["bound_elevator"] = bound_elevator
    return _stmt("key.registered", org, signer, at, data)


def onboarding_statements(
    *,
    regulator: str,
    uscc: str,
    name: str,
    district: str,
    address: str,
    legal_representative: str,
    roles: Iterable[Role],
    licences: Iterable[LicenceGrant],
    key: VerifyingKey,
    at: datetime,
    valid_from: date,
    valid_to: date | None = None,
) -> list[dict[str, Any]]:
    """Register, grant roles, grant licences, register the first key — in that order."""
    out = [
        _stmt(
            "org.registered",
            uscc,
            regulator,
            at,
            {
                "name": name,
                "district": district,
                "address": address,
                "legal_representative": legal_representative,
            },
        )
    ]
    for role in roles:
        grant: dict[str, Any] = {"role": str(role), "valid_from": valid_from.isoformat()}
        if valid_to:
            grant["valid_to"] = valid_to.isoformat()
        out.append(_stmt("org.role_granted", uscc, regulator, at, grant))
    for lic in licences:
        out.append(
            _stmt(
                "org.licence_granted",
                uscc,
                regulator,
                at,
                {
                    "kind": str(lic.kind),
                    "number": lic.number,
                    "scope": list(lic.scope),
                    "valid_from": lic.valid_from.isoformat(),
                    "valid_to": lic.valid_to.isoformat(),
                },
            )
        )
    out.append(key_registration(uscc, regulator, key, at))
    return out


def licences_for(
    roles: Iterable[Role],
    number_prefix: str,
    scope: tuple[str, ...],
    valid_from: date,
    valid_to: date,
) -> list[LicenceGrant]:
    """The licences the given roles need (one per kind), numbered from a prefix."""
    kinds = sorted({LICENCE_FOR_ROLE[r] for r in roles if r in LICENCE_FOR_ROLE})
    return [
        LicenceGrant(kind, f"{number_prefix}-{i + 1:03d}", scope, valid_from, valid_to)
        for i, kind in enumerate(kinds)
    ]
