"""Regulator views: work lists per district. Every operation needs a regulator's bearer token
(api/auth.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from fastapi.concurrency import run_in_threadpool

from api.auth import regulator_router
from api.deps import NodeDep
from api.problems import Problem, problem_responses
from api.public_routes import today
from projections.worklists import WORKLISTS, worklist

router = regulator_router("/v1/regulator")
NAMES = [*WORKLISTS, "suspicious-maintenance"]


@router.get("/worklists")
def worklists() -> dict[str, str]:
    """The work lists there are, and what each is for."""
    return {name: purpose for name, (_, purpose) in WORKLISTS.items()} | {
        "suspicious-maintenance": "visits under 20 minutes or recorded late (last 90 days)"
    }


@router.get("/worklists/{name}", responses=problem_responses(404, 422))
async def worklist_items(
    node: NodeDep,
    name: Annotated[str, Path()],
    district: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
) -> dict[str, Any]:
    if name not in NAMES:
        raise Problem(
            404, "no-such-worklist", "No such work list", f"{name!r}; known: {', '.join(NAMES)}"
        )
    items = await run_in_threadpool(worklist, node.engine, name, today(), district)
    return {
        "name": name,
        "district": district,
        "date": today().isoformat(),
        "count": len(items),
        "items": items,
    }
