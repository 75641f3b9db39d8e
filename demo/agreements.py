"""Statements of the agreements around an elevator: maintenance contracts (co-signed by the use
unit) and insurance policies."""

from __future__ import annotations

from collections.abc import Iterator

from demo.events import Draft, Group
from demo.life import ElevatorLife
from demo.timing import soon


def contract_groups(h: ElevatorLife) -> Iterator[Group]:
    """Every maintenance contract, signed by its unit and co-signed by the use unit."""
    rng = h.city.rng(h.i, "contract-records")
    for c in h.contracts:
        unit = h.city.maintainers[c.unit]
        yield Group(
            [
                Draft(
                    c.signed,
                    soon(c.signed, rng),
                    "maintenance_contract.signed",
                    unit.uscc,
                    {
                        "contract_number": c.number,
                        "maintenance_unit": unit.uscc,
                        "use_unit": h.use.uscc,
                        "valid_from": c.valid_from.isoformat(),
                        "valid_to": c.valid_to.isoformat(),
                        "policy": "classic_15_day",
                    },
                    cosigner=h.use.uscc,
                )
            ]
        )


def policy_groups(h: ElevatorLife) -> Iterator[Group]:
    """Every insurance policy."""
    rng = h.city.rng(h.i, "policy-records")
    for p in h.policies:
        yield Group(
            [
                Draft(
                    p.issued,
                    soon(p.issued, rng),
                    "insurance.policy_issued",
                    h.city.insurer.uscc,
                    {
                        "policy_number": p.number,
                        "insured": h.use.uscc,
                        "valid_from": p.valid_from.isoformat(),
                        "valid_to": p.valid_to.isoformat(),
                        "coverage_yuan": h.coverage,
                    },
                )
            ]
        )
