"""The units a history is planned in: :class:`PlannedStatement` (what the CLI signs and submits),
one statement before it is numbered, the groups statements come in, and the terms of a
maintenance contract and an insurance policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class PlannedStatement:
    """One statement to submit: at ledger time ``recorded_at``, signed by ``signers``.

    ``signers[0]`` is the issuer; a second USCC co-signs (``maintenance_contract.signed``: the use
    unit). With ``via_terminal`` the issuer's IoT terminal key bound to the elevator signs instead
    of the issuer's organization key. ``statement`` has no ``prev``: the CLI adds the chain head.
    """

    recorded_at: datetime
    signers: tuple[str, ...]
    statement: dict[str, Any]
    via_terminal: bool = False


@dataclass(slots=True)
class Draft:
    """One statement of a history before it is numbered: a :class:`PlannedStatement` to be."""

    occurred: datetime
    recorded: datetime
    type: str
    issuer: str
    data: dict[str, Any]
    cosigner: str | None = None
    via_terminal: bool = False


@dataclass(slots=True)
class Group:
    """Statements that belong together, keyed by the earliest ``occurred``."""

    events: list[Draft]
    prefix_ok: bool = False  # a leading part may stand alone when the rest is blocked
    fixed: bool = False  # never blocked (the stop itself, the scrapping)
    key: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.key = min(e.occurred for e in self.events)


@dataclass(frozen=True, slots=True)
class Contract:
    """The terms of a maintenance contract (``unit``: an index into the city's maintainers)."""

    number: str
    unit: int
    valid_from: date
    valid_to: date
    signed: datetime
    policy: str = "classic_15_day"
    use_unit: int | None = None  # an index into the city's use units; None: the profile's
    ended_on: date | None = None  # ended early (by a new use unit) on this day
    change: bool = False  # the first contract after a change of use unit

    def last_day(self) -> date:
        """The last day the contract is in force."""
        return self.valid_to if self.ended_on is None else min(self.valid_to, self.ended_on)


@dataclass(frozen=True, slots=True)
class InsurancePolicy:
    """The terms of an insurance policy."""

    number: str
    valid_from: date
    valid_to: date
    issued: datetime
