"""Ledgers seeded for tests: for the server tests a maintenance unit, some manufactured
elevators, and fresh signed fault reports to stream at the servers; and a city planned by the
demo's planner, signed and submitted through the real write path."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from api.demo import SignedCity
from api.settings import Settings
from demo import CityPlan
from domain.model.roles import Role
from domain.model.signing import sign_statement
from domain.model.trust import TrustAnchor
from ledger.keys import load_signing_key
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
    """Onboard a manufacturer, a maintenance unit and a use unit, manufacture the elevators and
    put each under the maintainer's contract (its faults are the maintainer's to report); close."""
    city = City.open(home, url)
    try:
        maker = city.org(Role.MANUFACTURER)
        maintainer = city.org(Role.MAINTENANCE_UNIT)
        owner = city.org(Role.USE_UNIT)
        made = NOW - timedelta(days=100)
        for c in codes:
            city.say(
                maker,
                statement(
                    "elevator.manufactured", c, maker, made, manufactured_on=made.date().isoformat()
                ),
            )
            contract = statement(
                "maintenance_contract.signed",
                c,
                maintainer,
                made,
                maintenance_unit=maintainer.uscc,
                use_unit=owner.uscc,
                valid_from=made.date().isoformat(),
                valid_to="2099-12-31",
            )
            city.say(maintainer, contract, owner)
        node = city.node
        return Seeded(home, url, maintainer, codes, node.log.signer.verifier, node.anchor)
    finally:
        city.node.close()


@dataclass
class PlannedCity:
    """A city planned by the demo's planner, its whole history in the ledger, read models caught
    up."""

    city: City
    plan: CityPlan


def onboarded(city: City, plan: CityPlan) -> SignedCity:
    """``plan`` signed with keys of its own, its organizations onboarded by ``city``'s root
    authority: its history is left to submit."""
    authority = load_signing_key(city.node.settings.authority_key_path)
    signed = SignedCity(plan, authority, city.node.anchor.uscc)
    for envelope, at in signed.onboarding():
        city.node.service.submit_batch([envelope], [at])
    return signed


def seed_plan(city: City, plan: CityPlan) -> PlannedCity:
    """Onboard ``plan``'s organizations, submit its whole history in one batch, catch up."""
    history = list(onboarded(city, plan).history())
    city.node.service.submit_batch([e for _, e in history], [p.recorded_at for p, _ in history])
    city.node.projections.catch_up()
    return PlannedCity(city, plan)
