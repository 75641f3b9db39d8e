"""Regulator replay over HTTP: one elevator as of any instant, its chain re-verified.

``GET /v1/elevators/{code}/replay?as_of=<RFC 3339>&axis=occurred|recorded``. Regulators only:
it needs a regulator's bearer token (api/auth.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import orjson
from fastapi import Query, Response

from api.auth import regulator_router
from api.deps import NodeDep
from api.local_time import on_ledger_clock
from api.problems import Problem
from domain.aggregates import Elevator
from domain.application import ElevatorLedger
from domain.replay import Axis, LedgerOrder, Replay, parse_instant, replay

router = regulator_router("/v1/elevators")


def chain_entries(app: ElevatorLedger, equipment_code: str) -> list[str]:
    """The elevator's chain entries in version order, as stored (one query); [] if unknown."""
    events = app.events.get(Elevator.create_id(equipment_code))
    return [event.entry for event in events]  # type: ignore[attr-defined]


def replay_elevator(
    app: ElevatorLedger, equipment_code: str, as_of: datetime, axis: Axis | str
) -> Replay | None:
    """Replay one elevator from the ledger's own chain, key index and log order; None if it
    has no chain."""
    entries = chain_entries(app, equipment_code)
    if not entries:
        return None
    return replay(
        entries,
        as_of,
        axis,
        app.key_info,
        order=LedgerOrder(app),
        equipment_code=equipment_code,
    )


@router.get(
    "/{code}/replay",
    summary="Replay one elevator as of an instant, re-verifying its chain",
    response_class=Response,
    responses={
        200: {"content": {"application/json": {}}, "description": "steps, state, report"},
        404: {"content": {"application/problem+json": {}}, "description": "unknown elevator"},
        422: {"content": {"application/problem+json": {}}, "description": "bad as_of or axis"},
    },
)
def get_replay(
    code: str,
    node: NodeDep,
    as_of: Annotated[
        str,
        Query(
            description="RFC 3339 instant with a UTC offset, e.g. 2025-03-01T14:05:00+08:00",
            examples=["2025-03-01T14:05:00+08:00"],
        ),
    ],
    axis: Annotated[
        Axis,
        Query(
            description="occurred: as it happened by as_of (late entries included);"
            " recorded: as the ledger knew it at as_of"
        ),
    ] = Axis.OCCURRED,
) -> Response:
    """Every step up to ``as_of`` with what it changed, the state then, who was responsible,
    what was overdue or open (each claim with the entries proving it), and whether every entry
    and signature of the chain verified again."""
    try:
        at = parse_instant(as_of)
    except ValueError as exc:
        raise Problem(
            422,
            "invalid-request",
            "Invalid request",
            f"as_of: {exc}",
            errors=[{"loc": ["query", "as_of"], "msg": str(exc)}],
        ) from None
    # the same instant on the ledger's clock, so "overdue on <date>" is a date of its zone
    result = replay_elevator(node.app, code, on_ledger_clock(at, node.settings.zone), axis)
    if result is None:
        raise Problem(404, "not-found", "No such elevator", f"no elevator {code} in this ledger")
    return Response(
        orjson.dumps(result.to_json()),
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )
