"""A small test city: organizations with keys, onboarded by the root authority through
the real signed write path, and helpers to say statements as one of them."""

from __future__ import annotations

import base64
import hashlib
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from api.bootstrap import initialise
from api.node import LedgerNode
from api.settings import Settings
from domain.application.service import Receipt
from domain.model.catalogue import example_statement
from domain.model.identifiers import make_uscc
from domain.model.onboarding import licences_for, onboarding_statements
from domain.model.roles import Role
from domain.model.signing import sign_statement
from ledger.entry import Entry, entry_hash
from ledger.keys import SigningKey, load_signing_key

NOW = datetime.now(UTC).replace(microsecond=0)
LONG_AGO = NOW - timedelta(days=3650)
ELEVATOR = "311023010201500098"
_serial = itertools.count(1)


@dataclass
class Org:
    uscc: str
    key: SigningKey
    roles: tuple[Role, ...]
    extra_keys: list[SigningKey] = field(default_factory=list)


def new_uscc() -> str:
    return make_uscc(f"914309007{next(_serial):08d}")


@dataclass
class City:
    node: LedgerNode
    authority: Org
    submit: Callable[[dict[str, Any]], Receipt]

    @classmethod
    def open(cls, home: Path, database_url: str) -> City:
        settings = Settings(home=home, database_url=database_url)
        node, _ = initialise(settings)
        key = load_signing_key(settings.authority_key_path)
        authority = Org(settings.authority_uscc, key, (Role.REGULATOR,))
        return cls(node, authority, node.service.submit)

    def org(
        self,
        *roles: Role,
        licensed: bool = True,
        name: str = "测试单位",
        scope: tuple[str, ...] = ("3110", "3310"),
        since: datetime = LONG_AGO,
    ) -> Org:
        """An onboarded organization holding ``roles`` since ``since``, licensed (where the
        roles need one) for the catalogue codes of ``scope``."""
        org = Org(new_uscc(), SigningKey.generate(), roles)
        licences = (
            licences_for(roles, f"TS-{org.uscc[-6:]}", scope, since.date(), date(2099, 1, 1))
            if licensed
            else []
        )
        for statement in onboarding_statements(
            regulator=self.authority.uscc,
            uscc=org.uscc,
            name=name,
            district="430902",
            address="益阳市赫山区",
            legal_representative="张三",
            roles=roles,
            licences=licences,
            key=org.key.verifying_key,
            at=since,
            valid_from=since.date(),
        ):
            self.say(self.authority, statement)
        return org

    def envelope(
        self, signers: Sequence[Org | SigningKey], statement: dict[str, Any]
    ) -> dict[str, Any]:
        keys = [s.key if isinstance(s, Org) else s for s in signers]
        return sign_statement(statement, keys).to_json()

    def say(self, org: Org, statement: dict[str, Any], *cosigners: Org) -> Receipt:
        return self.submit(self.envelope([org, *cosigners], statement))


def about(
    elevator: str, issuer: Org, kind: str, at: datetime, data: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    """A statement about an elevator."""
    return {
        "type": kind,
        "elevator": elevator,
        "issuer": issuer.uscc,
        "occurred_at": at.isoformat(),
        "data": data,
        **extra,
    }


def statement(
    type_name: str, elevator: str, issuer: Org, at: datetime, /, **data: Any
) -> dict[str, Any]:
    """A statement about an elevator built from the catalogue's example, with overrides
    (``None`` removes a field)."""
    merged = {**example_statement(type_name)["data"], **data}
    return about(
        elevator, issuer, type_name, at, {k: v for k, v in merged.items() if v is not None}
    )


def append_forged(city: City, code: str, envelope: dict[str, Any], recorded_at: datetime) -> int:
    """What a compromised server (one with the log key) can do: append the envelope to the
    elevator's chain as its next version, dated ``recorded_at``, with no rule or signature
    check asked, and log it; its log index."""
    app = city.node.app
    chain = app.elevator(code)
    assert chain is not None
    entry = Entry(envelope, f"elevator:{code}", chain.version + 1, chain.head, recorded_at)
    data = entry.to_bytes()
    payload = base64.b64decode(envelope["payload"])
    chain.append(
        entry=data.decode(),
        entry_hash=entry_hash(data),
        payload=hashlib.sha256(payload).hexdigest(),
    )
    app.save(chain)
    [index] = city.node.service.sequencer.integrate().positions.values()
    return index
