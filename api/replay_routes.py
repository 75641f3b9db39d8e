"""Regulator replay over HTTP: one elevator as of any instant, its chain re-verified.

``GET /v1/elevators/{code}/replay?as_of=<RFC 3339>&axis=occurred|recorded``. Regulators only:
it needs a regulator's bearer token (api/auth.py).
"""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import Query, Response

from api.auth import RegulatorDep, regulator_router
from api.deps import NodeDep
from api.elevator_replay import replay_elevator
from api.local_time import on_ledger_clock
from api.problems import Problem
from api.scope import check_elevator
from domain.application.log_chains import ChainFault
from domain.replay import Axis, parse_instant

router = regulator_router("/v1/elevators")


def chain_fault_problem(fault: ChainFault) -> Problem:
    """A chain with an entry that is damaged in the log, or that the log and its index (the
    event store) disagree about: named, never replayed."""
    return Problem(
        409,
        "chain-fault",
        "An entry of this chain is damaged or misindexed",
        str(fault),
        subject=fault.subject,
        version=fault.version,
        log_index=fault.log_index,
    )


@router.get(
    "/{code}/replay",
    summary="Replay one elevator as of an instant, re-verifying its chain",
    response_class=Response,
    responses={
        200: {"content": {"application/json": {}}, "description": "steps, state, report"},
        403: {
            "content": {"application/problem+json": {}},
            "description": "the elevator is outside the caller's districts (out-of-scope)",
        },
        404: {"content": {"application/problem+json": {}}, "description": "unknown elevator"},
        409: {
            "content": {"application/problem+json": {}},
            "description": "an entry of the chain is damaged in the log, or the log and the"
            " event store disagree about it",
        },
        422: {"content": {"application/problem+json": {}}, "description": "bad as_of or axis"},
    },
)
def get_replay(
    code: str,
    node: NodeDep,
    regulator: RegulatorDep,
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
    check_elevator(node, regulator, code)
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
    try:  # the same instant on the ledger's clock, so "overdue on <date>" is a date of its zone
        result = replay_elevator(node, code, on_ledger_clock(at, node.settings.zone), axis)
    except ChainFault as fault:
        raise chain_fault_problem(fault) from fault
    if result is None:
        raise Problem(404, "not-found", "No such elevator", f"no elevator {code} in this ledger")
    return Response(
        orjson.dumps(result.to_json()),
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )
