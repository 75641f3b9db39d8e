"""Statements of the agreements around an elevator: maintenance contracts (co-signed by the use
unit) and insurance policies."""

from __future__ import annotations

from collections.abc import Iterator

from demo.events import Draft, Group
from demo.life import ElevatorLife
from demo.timing import soon


def contract_groups(h: ElevatorLife) -> Iterator[Group]:
    """Every maintenance contract, signed by its unit and co-signed by its use unit; after a
    change of use unit, the change of registration and the end of the running contract come
    with the new use unit's first contract."""
    rng = h.city.rng(h.i, "contract-records")
    for c in h.contracts:
        unit = h.city.maintainers[c.unit]
        use = h.use_unit_of(c)
        signed = Draft(
            c.signed,
            soon(c.signed, rng),
            "maintenance_contract.signed",
            unit.uscc,
            {
                "contract_number": c.number,
                "maintenance_unit": unit.uscc,
                "use_unit": use.uscc,
                "valid_from": c.valid_from.isoformat(),
                "valid_to": c.valid_to.isoformat(),
                "policy": c.policy,
            },
            cosigner=use.uscc,
        )
        if c.change:
            yield Group([*h.change_group, signed], fixed=True)
        else:
            yield Group([signed])


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
