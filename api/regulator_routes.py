"""Regulator views: work lists per district, maintainers' scoring indicators (参考), and
entries with their personal values. Every
operation needs a regulator's bearer token (api/auth.py)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import Depends, Path, Query
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import SQLAlchemyError

from api import scorecards
from api.auth import RegulatorDep, TokenStore, access_log, regulator_router, token_store
from api.deps import NodeDep
from api.log_routes import MAX_INDEX
from api.personal_reads import PersonalReads
from api.personal_values import LoggedStatement, NotRevealed, reveal
from api.problems import Problem, problem_responses
from api.public_routes import Uscc
from api.scope import check_district, check_elevator, rows_in_scope
from ledger.entry import format_time
from ledger.log import LogError
from projections.worklists import RENAMED, WORKLISTS, worklist

router = regulator_router("/v1/regulator")
NAMES = [*WORKLISTS, "suspicious-maintenance"]


@router.get("/worklists")
def worklists() -> dict[str, str]:
    """The work lists there are, and what each is for."""
    return {name: purpose for name, (_, purpose) in WORKLISTS.items()} | {
        "suspicious-maintenance": "visits under 20 minutes or recorded late (last 90 days)"
    }


@router.get(
    "/worklists/{name}",
    responses=problem_responses(
        (403, "the `district` asked for is outside the caller's districts (out-of-scope)"), 404, 422
    ),
)
async def worklist_items(
    node: NodeDep,
    regulator: RegulatorDep,
    name: Annotated[
        str,
        Path(
            description=f"one of {', '.join(NAMES)} (GET /v1/regulator/worklists says what each"
            " is for); a former name answers 404 worklist-renamed with `renamed_to`: "
            + ", ".join(f"{old} → {new}" for old, new in RENAMED.items())
        ),
    ],
    district: Annotated[
        str | None,
        Query(
            pattern=r"^\d{6}$",
            description="only this district (within the caller's); none: all the caller's",
        ),
    ] = None,
) -> dict[str, Any]:
    """The elevators on a work list today, within the caller's districts (its token's, else its
    organization's registered district)."""
    if name in RENAMED:
        new = RENAMED[name]
        raise Problem(
            404,
            "worklist-renamed",
            "This work list was renamed",
            f"{name!r} is now {new!r} (/v1/regulator/worklists/{new})",
            renamed_to=new,
        )
    if name not in NAMES:
        raise Problem(
            404, "no-such-worklist", "No such work list", f"{name!r}; known: {', '.join(NAMES)}"
        )
    if district is not None:
        check_district(regulator, district)
    today = node.today()  # once: the list and the date it names are the same day
    items = await run_in_threadpool(
        partial(worklist, zone=node.settings.zone), node.engine, name, today, district
    )
    items = rows_in_scope(items, regulator, node)  # a lift in no district: the authority's
    return {
        "name": name,
        "district": district,
        "scope": list(regulator.districts),
        "date": today.isoformat(),
        "count": len(items),
        "items": items,
    }


@router.get("/organizations/{uscc}/scorecard", responses=problem_responses(404, 422))
async def organization_scorecard(
    node: NodeDep,
    uscc: Uscc,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    scheme: Annotated[str | None, Query(max_length=32)] = None,
) -> dict[str, Any]:
    """A maintenance unit's penalty points for a calendar year under a scoring scheme (by
    default the one adopted where the organization is registered, else Fujian's as a
    reference), every point with its entries and whether the scheme was in force there and
    then. A computed indicator labelled 参考, never a credit grade; a year not over is
    partial."""
    try:
        found = await run_in_threadpool(scorecards.organization_scorecard, node, uscc, year, scheme)
    except scorecards.ScorecardRefused as exc:
        raise Problem(exc.status, exc.slug, exc.title, exc.detail) from None
    return found.card.to_json()


@router.get(
    "/entries/{index}",
    responses=problem_responses(
        (403, "the entry's elevator is outside the caller's districts (out-of-scope)"),
        404,
        (409, "the stored disclosures are missing, or do not match the signed entry's digests"),
        422,
        (503, "the read could not be recorded"),
    ),
)
async def entry_with_personal_data(
    node: NodeDep,
    regulator: RegulatorDep,
    store: Annotated[TokenStore, Depends(token_store)],
    index: Annotated[int, Path(ge=0, le=MAX_INDEX)],
) -> dict[str, Any]:
    """A log entry's statement with its personal values, and the disclosures they come from.

    The public entry holds only salted digests of personal fields; each disclosure here hashes
    to one of them (docs/integration.md, "Personal data"), so the values are provably the ones
    the signer committed to. Every read is recorded (who, when, which entry) before the answer
    is sent, and not answered if it cannot be (api/personal_reads.py).
    """
    try:
        data = await run_in_threadpool(node.log.entry, index)
    except LogError as exc:
        raise Problem(404, "no-such-entry", "No such entry", str(exc)) from exc
    logged = LoggedStatement.of(index, data)
    if logged.entry.subject.startswith("elevator:"):  # nothing personal read, nothing recorded
        code = logged.entry.subject.split(":", 1)[1]
        await run_in_threadpool(check_elevator, node, regulator, code)
    try:
        revealed = await run_in_threadpool(reveal, node, logged)
    except NotRevealed as exc:
        raise Problem(409, exc.slug, exc.title, exc.detail, log_index=exc.log_index) from None
    try:  # the token store's engine: its migrations made the table
        await run_in_threadpool(PersonalReads(store.engine).record, regulator, index)
    except SQLAlchemyError as exc:
        access_log.error(
            "read of entry %d by token %s not recorded: %s", index, regulator.token_id, exc
        )
        raise Problem(
            503,
            "read-not-recorded",
            "The read could not be recorded",
            "personal data is served only once the read is recorded; try again later",
        ) from None
    entry = logged.entry
    return {
        "index": index,
        "subject": entry.subject,
        "version": entry.version,
        "recorded_at": format_time(entry.recorded_at),
        "statement": revealed.statement,
        "public_statement": revealed.public_statement,
        "disclosures": revealed.disclosures,
    }
