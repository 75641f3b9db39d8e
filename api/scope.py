"""District scoping of the regulator API: a bureau sees the elevators of its districts only.

A caller's scope is a set of GB/T 2260 codes (:attr:`api.auth.Regulator.districts`), read with
``domain/model/jurisdiction.within``: ``430900`` covers 益阳市 and every district under it,
``430903`` only 赫山区. An elevator is in the district its construction notice (施工告知)
and then its use registration name (projections/status.py); one the ledger knows neither of (only
manufactured) is in no bureau's scope — in this API as on the console's pages and lists, which
ask the same ``jurisdiction.within`` — and its public status stays open to all.

Outside the scope: a ``district`` query names a district none of the scopes covers, or an
entry or replay of such an elevator — 403 problem ``out-of-scope``, nothing read or recorded."""

from __future__ import annotations

from api.auth import Regulator
from api.node import LedgerNode
from api.problems import Problem
from domain.model.jurisdiction import within
from projections import read


def out_of_scope(detail: str) -> Problem:
    return Problem(403, "out-of-scope", "Outside your districts", detail)


def check_district(regulator: Regulator, district: str) -> None:
    """403 ``out-of-scope`` unless the caller's scope covers ``district``."""
    if not within(regulator.districts, district):
        raise out_of_scope(
            f"district {district} is outside this caller's districts "
            f"({', '.join(regulator.districts) or 'none'})"
        )


def check_elevator(node: LedgerNode, regulator: Regulator, identifier: str) -> None:
    """403 ``out-of-scope`` unless the elevator is within the caller's scope. An elevator the
    read models do not know is left to the route (its 404), unless the ledger holds it (the
    read side lags): then its district is not known, and no scope covers it."""
    known, district = read.elevator_district(node.engine, identifier)
    if not known and not _in_ledger(node, identifier):
        return
    if not within(regulator.districts, district):
        raise out_of_scope(f"elevator {identifier} is outside this caller's districts")


def _in_ledger(node: LedgerNode, code: str) -> bool:
    try:
        return node.app.elevator(code) is not None
    except Exception:  # not an equipment code at all: the route answers it
        return False
