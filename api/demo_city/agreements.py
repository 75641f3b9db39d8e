"""Statements of the agreements around an elevator: maintenance contracts (co-signed by the use
unit) and insurance policies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from api.demo_city.events import _Ev, _Group
from api.demo_city.timing import _soon

if TYPE_CHECKING:
    from api.demo_city.history import _History


def contract_groups(h: _History) -> Iterator[_Group]:
    """Every maintenance contract, signed by its unit and co-signed by the use unit."""
    rng = h.city.rng(h.i, "contract-records")
    for c in h.contracts:
        unit = h.city.maintainers[c.unit]
        yield _Group(
            [
                _Ev(
                    c.signed,
                    _soon(c.signed, rng),
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


def policy_groups(h: _History) -> Iterator[_Group]:
    """Every insurance policy."""
    rng = h.city.rng(h.i, "policy-records")
    for p in h.policies:
        yield _Group(
            [
                _Ev(
                    p.issued,
                    _soon(p.issued, rng),
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
