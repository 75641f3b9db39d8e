"""A ledger seeded for server tests: a maintenance unit, some manufactured elevators, and
fresh signed fault reports to stream at the servers."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from api.settings import Settings
from domain.model.roles import Role
from domain.model.signing import sign_statement
from domain.model.trust import TrustAnchor
from ledger.note import NoteVerifier
from tests.support.city import NOW, City, Org, statement


@dataclass
class Seeded:
    home: Path
    url: str
    maintainer: Org
    codes: list[str]
    verifier: NoteVerifier
    anchor: TrustAnchor
    _faults: Iterator[int] = field(default_factory=itertools.count)

    @property
    def settings(self) -> Settings:
        return Settings(home=self.home, database_url=self.url)

    def fault(self, elevator: str) -> dict[str, Any]:
        """A signed fault report about ``elevator`` with a fault id never used before."""
        at = datetime.now(UTC) - timedelta(seconds=30)
        report = statement(
            "fault.reported",
            elevator,
            self.maintainer,
            at,
            fault_id=f"F-{next(self._faults):06d}",
            detected_at=at.isoformat(),
        )
        return sign_statement(report, [self.maintainer.key]).to_json()

    def fault_bytes(self, elevator: str) -> bytes:
        return orjson.dumps(self.fault(elevator))

    def faults(self, n: int) -> list[bytes]:
        return [self.fault_bytes(self.codes[i % len(self.codes)]) for i in range(n)]


def seed(home: Path, url: str, codes: list[str]) -> Seeded:
    """Onboard a manufacturer and a maintenance unit, manufacture the elevators; close."""
    city = City.open(home, url)
    try:
        maker = city.org(Role.MANUFACTURER)
        maintainer = city.org(Role.MAINTENANCE_UNIT)
        made = NOW - timedelta(days=100)
        for c in codes:
            city.say(
                maker,
                statement(
                    "elevator.manufactured", c, maker, made, manufactured_on=made.date().isoformat()
                ),
            )
        node = city.node
        return Seeded(home, url, maintainer, codes, node.log.signer.verifier, node.anchor)
    finally:
        city.node.close()
