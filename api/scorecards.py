"""A maintainer's scoring indicator as the regulator's API and the console both serve it: the
scheme chosen the same way (by default the one adopted where the organization is registered,
else the first the ledger holds, as a reference), the year checked, the card computed by
``projections/scorecard.py`` in the reference view (every point, each marked in force or not).
A computed indicator labelled 参考, never a credit grade."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.node import LedgerNode
from domain.model.scoring import SCHEMES, ScoringScheme, adopted_scheme
from projections import read
from projections.scorecard import Scorecard, scorecard


class ScorecardRefused(Exception):
    """No card: ``status`` 404 (unknown organization) or 422 (a year not begun, an unknown
    scheme), ``detail`` says which."""

    def __init__(self, status: int, slug: str, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.slug, self.title, self.detail = status, slug, title, detail


@dataclass(frozen=True)
class OrganizationCard:
    organization: dict[str, Any]  # read.organization's profile
    card: Scorecard

    @property
    def scheme(self) -> ScoringScheme:
        return self.card.scheme


def choose_scheme(district: str | None, scheme: str | None, node: LedgerNode) -> ScoringScheme:
    """The scheme asked for by id, else the one adopted in ``district`` today, else the first."""
    if scheme is None:
        return adopted_scheme(district, node.today()) or next(iter(SCHEMES.values()))
    if scheme in SCHEMES:
        return SCHEMES[scheme]
    known = ", ".join(SCHEMES)
    raise ScorecardRefused(
        422, "invalid-request", "Invalid request", f"scheme {scheme!r}; known: {known}"
    )


def organization_scorecard(
    node: LedgerNode, uscc: str, year: int | None, scheme: str | None
) -> OrganizationCard:
    """The card of ``uscc`` for ``year`` (this year by default) under ``scheme`` (blocking)."""
    found = read.organization(node.engine, uscc)
    if found is None:
        raise ScorecardRefused(
            404, "no-such-organization", "No such organization", f"{uscc} is unknown"
        )
    today = node.today()
    if year is not None and year > today.year:
        raise ScorecardRefused(
            422, "invalid-request", "Invalid request", f"year {year} has not begun"
        )
    chosen = choose_scheme(found.get("district"), scheme, node)
    card = scorecard(
        node.engine,
        uscc,
        year or today.year,
        chosen,
        zone=node.settings.zone,
        now=node.now(),
        reference=True,
    )
    return OrganizationCard(found, card)
