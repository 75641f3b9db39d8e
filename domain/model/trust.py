"""Signing keys as the ledger knows them, and the root of trust.

The root authority key (the regulator's, made by ``elevator-ledger init``) is
trusted by configuration: it is a key of the authority organization, which
holds the regulator role, from the ledger's first entry. Everything else —
organizations, roles, licences, further keys — is a signed statement in the
ledger, traceable to that key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ledger.keys import VerifyingKey


@dataclass(frozen=True)
class KeyInfo:
    key_id: str
    owner: str  # USCC of the organization the key belongs to
    key: VerifyingKey
    bound_elevator: str | None  # IoT terminal keys sign only for this elevator
    registered_at: datetime | None
    revoked_at: datetime | None

    @property
    def is_terminal(self) -> bool:
        return self.bound_elevator is not None


@dataclass(frozen=True)
class TrustAnchor:
    uscc: str  # the authority organization (the regulator running the ledger)
    key: VerifyingKey

    @property
    def key_info(self) -> KeyInfo:
        return KeyInfo(self.key.key_id, self.uscc, self.key, None, None, None)
