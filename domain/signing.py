"""Turning statement JSON into a signed DSSE envelope (used by the CLI, the demo and tests).

Integrators need nothing of ours to do this: canonical JSON (RFC 8785) of the
statement, base64 it into a DSSE envelope, sign PAE with Ed25519 — see
docs/integration.md for a stand-alone script.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from domain.application import STATEMENT_PAYLOAD_TYPE
from ledger.canonical import canonical_json
from ledger.dsse import Envelope, sign
from ledger.keys import SigningKey


def new_nonce() -> str:
    return secrets.token_hex(12)


def sign_statement(statement: Mapping[str, Any], keys: Iterable[SigningKey]) -> Envelope:
    """Sign a statement with one key, or several for co-signed types (issuer first)."""
    doc = dict(statement)
    doc.setdefault("nonce", new_nonce())
    return sign(STATEMENT_PAYLOAD_TYPE, canonical_json(doc), keys)
