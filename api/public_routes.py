"""Public read API: elevators by any identifier, their entries, responsibility, organizations,
search, trust configuration. No personal fields ever leave through here."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Query

from api.deps import NodeDep
from api.problems import Problem, problem_responses
from projections import read
from projections.status import inspection_obligation, to_json

router = APIRouter(prefix="/v1", tags=["public"])
#: No control characters (NUL cannot even be a PostgreSQL query parameter).
PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
Identifier = Annotated[
    str, Path(min_length=1, max_length=64, pattern=PRINTABLE, description="any identifier")
]
Uscc = Annotated[
    str,
    Path(
        min_length=18,
        max_length=18,
        pattern=r"^[0-9A-Z]{18}$",
        description="unified social credit code",
    ),
]


def resolve_or_404(node: Any, identifier: str) -> str:
    code = read.resolve(node.engine, identifier)
    if code is None:
        raise Problem(
            404, "no-such-elevator", "No such elevator", f"no elevator is known by {identifier!r}"
        )
    return code


@router.get("/trust")
def trust(node: NodeDep) -> dict[str, Any]:
    """The log's verifier key and the root authority's public key: what auditors pin."""
    doc: dict[str, Any] = orjson.loads(node.settings.trust_path.read_bytes())
    return doc


@router.get("/elevators/{identifier}", responses=problem_responses(404, 422))
def elevator(node: NodeDep, identifier: Identifier) -> dict[str, Any]:
    """Status of an elevator found by equipment code, registration code, certificate number or
    rescue code: lifecycle, responsible parties, last and next maintenance and inspection, open
    faults and hazards, and today's flags."""
    code = resolve_or_404(node, identifier)
    today = node.today()
    view = read.elevator(node.engine, code, today)
    if view is None:
        raise Problem(404, "no-such-elevator", "No such elevator", f"{code} has no status yet")
    due = inspection_obligation(view.status, today)  # what the page and the work lists say
    return {
        "equipment_code": code,
        "status": to_json(view.status),
        "flags": view.flags,
        "inspection_due": due.to_json() if due else None,
        "maintenance_unit_today": view.maintenance_unit_today,
        "checkpoint_size": node.log.latest_checkpoint().size,
    }


@router.get("/elevators/{identifier}/entries", responses=problem_responses(404, 422))
def elevator_entries(
    node: NodeDep,
    identifier: Identifier,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    order: Annotated[str, Query(pattern="^(newest|oldest)$")] = "newest",
) -> dict[str, Any]:
    """The elevator's entries, each with its public statement, signers, entry hash and log index
    (prove one with /v1/log/proof/inclusion)."""
    code = resolve_or_404(node, identifier)
    total, items = read.elevator_entries(node.engine, code, offset, limit, order == "newest")
    return {
        "equipment_code": code,
        "total": total,
        "offset": offset,
        "limit": limit,
        "entries": items,
    }


@router.get("/elevators/{identifier}/responsibility", responses=problem_responses(404, 422))
def responsibility(
    node: NodeDep,
    identifier: Identifier,
    at: Annotated[datetime | None, Query(description="RFC 3339 instant; default: now")] = None,
) -> dict[str, Any]:
    """Who held each role for the elevator at an instant, with the entries proving it."""
    code = resolve_or_404(node, identifier)
    when = at or node.now()
    if when.tzinfo is None:
        raise Problem(422, "invalid-request", "Invalid request", "at: needs a UTC offset")
    return {
        "equipment_code": code,
        "at": when.isoformat(),
        "responsible": read.responsible_at(node.engine, code, when),
        "timeline": read.timeline(node.engine, code),
    }


@router.get("/organizations/{uscc}", responses=problem_responses(404, 422))
def organization(node: NodeDep, uscc: Uscc) -> dict[str, Any]:
    found = read.organization(node.engine, uscc)
    if found is None:
        raise Problem(404, "no-such-organization", "No such organization", f"{uscc} is unknown")
    return found


@router.get("/search", responses=problem_responses(422))
def search(
    node: NodeDep, q: Annotated[str, Query(min_length=2, max_length=64, pattern=PRINTABLE)]
) -> dict[str, Any]:
    """Elevators by identifier prefix, organizations by code or name."""
    return read.search(node.engine, q)
