"""District scoping of the regulator API: a bureau sees the elevators of its districts only.

A caller's scope is a set of GB/T 2260 codes (:attr:`api.auth.Regulator.districts`), read with
``domain/model/jurisdiction.within``: ``430900`` covers 益阳市 and every district under it,
``430903`` only 赫山区. An elevator whose district the ledger does not know yet (no registration
names one) is placed in the ledger authority's own district (``LEDGER_AUTHORITY_DISTRICT``): the
bureau that runs the ledger sees what no one else can be sure is theirs, so nothing falls between
two bureaus, and a county bureau is never shown a lift that may not be in its county.

Outside the scope: a ``district`` query names a district none of the scopes covers, or an
entry or replay of such an elevator — 403 problem ``out-of-scope``, nothing read or recorded."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from api.auth import Regulator
from api.node import LedgerNode
from api.problems import Problem
from domain.model.jurisdiction import within
from projections import read


def placed(district: str | None, node: LedgerNode) -> str:
    """Where scoping puts an elevator: its district, else the authority's own."""
    return district or node.settings.authority_district


def in_scope(scopes: Iterable[str], district: str | None, node: LedgerNode) -> bool:
    return within(scopes, placed(district, node))


def out_of_scope(detail: str) -> Problem:
    return Problem(403, "out-of-scope", "Outside your districts", detail)


def check_district(regulator: Regulator, district: str) -> None:
    """403 ``out-of-scope`` unless the caller's scope covers ``district``."""
    if not within(regulator.districts, district):
        raise out_of_scope(
            f"district {district} is outside this caller's districts "
            f"({', '.join(regulator.districts) or 'none'})"
        )


def rows_in_scope(
    rows: Iterable[Mapping[str, Any]], regulator: Regulator, node: LedgerNode
) -> list[Any]:
    """The rows (each with a ``district``) within the caller's scope."""
    return [row for row in rows if in_scope(regulator.districts, row.get("district"), node)]


def check_elevator(node: LedgerNode, regulator: Regulator, identifier: str) -> None:
    """403 ``out-of-scope`` unless the elevator is within the caller's scope. An elevator the
    read models do not know is left to the route (its 404), unless the ledger holds it (the
    read side lags): then its district is not known and it is placed as :func:`placed` says."""
    known, district = read.elevator_district(node.engine, identifier)
    if not known and not _in_ledger(node, identifier):
        return
    if not in_scope(regulator.districts, district, node):
        raise out_of_scope(f"elevator {identifier} is outside this caller's districts")


def _in_ledger(node: LedgerNode, code: str) -> bool:
    try:
        return node.app.elevator(code) is not None
    except Exception:  # not an equipment code at all: the route answers it
        return False
