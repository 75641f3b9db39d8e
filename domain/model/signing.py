"""Turning statement JSON into a signed submission (used by the CLI, the demo and tests).

Integrators need nothing of ours to do this: conceal the type's personal fields (salted
digests, see :mod:`domain.model.personal`), take the canonical JSON (RFC 8785) of the statement,
base64 it into a DSSE envelope, sign PAE with Ed25519, and send the envelope with the
disclosures — see docs/integration.md for a stand-alone script.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from domain.model.personal import conceal_statement
from domain.model.submission import STATEMENT_PAYLOAD_TYPE
from ledger.canonical import canonical_json
from ledger.disclosure import Disclosure
from ledger.dsse import Envelope, sign
from ledger.keys import SigningKey


def new_nonce() -> str:
    return secrets.token_hex(12)


@dataclass(frozen=True)
class SignedStatement:
    """A signed envelope and the disclosures of its concealed personal fields."""

    envelope: Envelope
    disclosures: tuple[Disclosure, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """What ``POST /v1/statements`` takes: the bare envelope when nothing is concealed."""
        if not self.disclosures:
            return self.envelope.to_json()
        return {
            "envelope": self.envelope.to_json(),
            "disclosures": [d.encoded for d in self.disclosures],
        }

    def to_bytes(self) -> bytes:
        return orjson.dumps(self.to_json())


def sign_statement(statement: Mapping[str, Any], keys: Iterable[SigningKey]) -> SignedStatement:
    """Sign a statement with one key, or several for co-signed types (issuer first).

    Personal fields given in the clear are concealed first; their values go in the
    disclosures.
    """
    doc, disclosures = conceal_statement(statement)
    doc.setdefault("nonce", new_nonce())
    envelope = sign(STATEMENT_PAYLOAD_TYPE, canonical_json(doc), keys)
    return SignedStatement(envelope, tuple(disclosures))
