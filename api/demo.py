"""Seed a synthetic city through the real signed write path.

The planner (``demo``) decides what is said, by whom and when; this
module makes every organization a key, has the root authority onboard them
with signed statements, signs each planned statement with its organization's
(or IoT terminal's) key and submits it in batches. Each entry is recorded at
its planned instant, so late entries are late and the rest are not.
Keys land in ``<home>/keys/demo/`` so an integrator can sign as any demo
organization.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import orjson
from rich.progress import Progress

from api.node import LedgerNode
from api.settings import Settings
from demo import CityPlan, DemoOrganization, PlannedStatement, plan_city
from domain.model.errors import Rejected
from domain.model.onboarding import LicenceGrant, key_registration, onboarding_statements
from domain.model.signing import SignedStatement, sign_statement
from ledger.keys import SigningKey, save_signing_key

BATCH = 400
T = TypeVar("T")


class SignedCity:
    """A planned city with a key per organization and terminal: what to submit, signed."""

    def __init__(self, plan: CityPlan, authority: SigningKey, authority_uscc: str) -> None:
        self.plan, self.authority, self.authority_uscc = plan, authority, authority_uscc
        self.start = plan.start
        self.keys = {
            org.uscc: SigningKey.generate() for org in (plan.regulator, *plan.organizations)
        }
        self.keys |= {f"terminal:{code}": SigningKey.generate() for code in plan.terminals}

    def onboarding(self) -> list[tuple[dict[str, Any], datetime]]:
        """The root authority's (and terminal owners') envelopes that set the city up."""
        setup = _onboarding(self.plan, self.authority_uscc, self.keys, self.start, self.plan.now)
        return [
            (
                sign_statement(s, [self.authority if who is None else self.keys[who]]).to_json(),
                self.start,
            )
            for who, s in setup
        ]

    def history(self) -> Iterator[tuple[PlannedStatement, dict[str, Any]]]:
        """Every planned statement with its envelope, in recorded order; each terminal key is
        bound just before the first statement it signs, by its owner, when the owner holds the
        elevator's contract (a binding answers to the elevator's parties on its date)."""
        unbound = dict(self.plan.terminals)
        for planned in self.plan.statements():
            code = planned.statement.get("elevator")
            if planned.via_terminal and code in unbound:
                yield self._binding(code, unbound.pop(code), planned)
            yield planned, _sign(planned, self.keys).to_json()

    def _binding(
        self, code: str, owner: str, first: PlannedStatement
    ) -> tuple[PlannedStatement, dict[str, Any]]:
        """The owner's ``key.registered`` of the terminal of ``code``, dated and recorded with
        the terminal's first statement."""
        at = datetime.fromisoformat(first.statement["occurred_at"])
        key = self.keys[f"terminal:{code}"].verifying_key
        planned = PlannedStatement(
            first.recorded_at,
            (owner,),
            key_registration(owner, owner, key, at, bound_elevator=code),
        )
        return planned, sign_statement(planned.statement, [self.keys[owner]]).to_json()

    def save_keys(self, settings: Settings) -> None:
        for name, key in self.keys.items():
            file = f"terminal-{name[9:]}" if name.startswith("terminal:") else name
            save_signing_key(key, settings.demo_keys_dir / f"{file}.pem")


def seed_city(
    node: LedgerNode, settings: Settings, *, elevators: int, years: int, seed: int, bar: Progress
) -> dict[str, int]:
    now = datetime.now(UTC).replace(microsecond=0)
    plan = plan_city(elevators, years=years, seed=seed, now=now)
    authority = SigningKey.from_pem(settings.authority_key_path.read_bytes())
    city = SignedCity(plan, authority, node.anchor.uscc)
    city.save_keys(settings)
    setup = city.onboarding()
    counts = {"accepted": 0, "rejected": 0}
    with bar:
        task = bar.add_task("onboarding organizations", total=len(setup))
        for envelope, at in setup:
            node.service.submit_batch([envelope], [at])
            bar.advance(task)
        total = sum(1 for _ in plan.statements()) + len(plan.terminals)
        task = bar.add_task(f"seeding {elevators} elevators", total=total)
        for chunk in _chunks(city.history(), BATCH):
            results = node.service.submit_batch(
                [e for _, e in chunk], [p.recorded_at for p, _ in chunk]
            )
            for (planned, _), result in zip(chunk, results, strict=True):
                if isinstance(result, Rejected):
                    counts["rejected"] += 1
                    if counts["rejected"] <= 5:
                        bar.console.print(
                            f"rejected {planned.statement['type']} "
                            f"{planned.statement.get('elevator')}: {result.detail}",
                            markup=False,
                            highlight=False,
                        )
                else:
                    counts["accepted"] += 1
            bar.advance(task, len(chunk))
    _write_marker(plan, settings, counts)
    return counts


def _onboarding(
    plan: CityPlan, authority: str, keys: dict[str, SigningKey], start: datetime, now: datetime
) -> list[tuple[str | None, dict[str, object]]]:
    """(signer USCC or None for the root authority, statement) in order."""
    out: list[tuple[str | None, dict[str, object]]] = []
    until = (now + timedelta(days=5 * 366)).date()
    for org in (plan.regulator, *plan.organizations):
        licences = [
            LicenceGrant(kind, number, ("3110", "3120", "3310"), start.date(), until)
            for kind, number in org.licences
        ]
        for statement in onboarding_statements(
            regulator=authority,
            uscc=org.uscc,
            name=org.name,
            district=org.district,
            address=f"益阳市{org.name}",
            legal_representative="王五",
            roles=org.roles,
            licences=licences,
            key=keys[org.uscc].verifying_key,
            at=start,
            valid_from=start.date(),
        ):
            out.append((None, statement))
    return out


def _sign(planned: PlannedStatement, keys: dict[str, SigningKey]) -> SignedStatement:
    if planned.via_terminal:
        signing = [keys[f"terminal:{planned.statement['elevator']}"]]
    else:
        signing = [keys[uscc] for uscc in planned.signers]
    return sign_statement(planned.statement, signing)


def _chunks(items: Iterable[T], size: int) -> Iterable[list[T]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _write_marker(plan: CityPlan, settings: Settings, counts: dict[str, int]) -> None:
    def describe(org: DemoOrganization) -> dict[str, object]:
        return {
            "uscc": org.uscc,
            "name": org.name,
            "roles": [str(r) for r in org.roles],
            "key": str(settings.demo_keys_dir / f"{org.uscc}.pem"),
        }

    doc = {
        "elevators": list(plan.elevators),
        "regulator": describe(plan.regulator),
        "organizations": [describe(o) for o in plan.organizations],
        "terminals": {
            code: str(settings.demo_keys_dir / f"terminal-{code}.pem") for code in plan.terminals
        },
        **counts,
    }
    settings.demo_marker_path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
