"""Regulator views: work lists per district, maintainers' scoring indicators (参考), and
entries with their personal values. Every
operation needs a regulator's bearer token (api/auth.py)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import Depends, Path, Query
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import SQLAlchemyError

from api.auth import RegulatorDep, TokenStore, access_log, regulator_router, token_store
from api.deps import NodeDep
from api.log_routes import MAX_INDEX
from api.personal_reads import PersonalReads
from api.problems import Problem, problem_responses
from api.public_routes import Uscc
from api.scope import check_district, check_elevator, rows_in_scope
from domain.application.elevator_ledger import UnreadableEvent
from domain.model.catalogue import public_view
from domain.model.personal import revealed_data
from domain.model.scoring import SCHEMES, adopted_scheme
from domain.model.subjects import SubjectError
from domain.model.submission import statement_of
from ledger.disclosure import DisclosureError
from ledger.entry import Entry, format_time
from ledger.log import LogError
from projections import read
from projections.scorecard import scorecard
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
    items = rows_in_scope(items, regulator, node)
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
    found = read.organization(node.engine, uscc)
    if found is None:
        raise Problem(404, "no-such-organization", "No such organization", f"{uscc} is unknown")
    today = node.today()
    if year is not None and year > today.year:
        raise Problem(422, "invalid-request", "Invalid request", f"year {year} has not begun")
    if scheme is None:
        chosen = adopted_scheme(found.get("district"), today) or next(iter(SCHEMES.values()))
    elif scheme in SCHEMES:
        chosen = SCHEMES[scheme]
    else:
        known = ", ".join(SCHEMES)
        raise Problem(
            422, "invalid-request", "Invalid request", f"scheme {scheme!r}; known: {known}"
        )
    card = await run_in_threadpool(
        partial(scorecard, zone=node.settings.zone, now=node.now(), reference=True),
        node.engine,
        uscc,
        year or today.year,
        chosen,
    )
    return card.to_json()


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
    entry = Entry.from_bytes(data)
    if entry.subject.startswith("elevator:"):  # nothing personal read, nothing recorded
        await run_in_threadpool(check_elevator, node, regulator, entry.subject.split(":", 1)[1])
    stmt = statement_of(data.decode())
    where = f"entry {index} ({entry.subject} version {entry.version})"
    try:
        disclosures = await run_in_threadpool(node.app.disclosures_of, entry.subject, entry.version)
    except (KeyError, SubjectError):  # no stored event beside it (deleted, or no chain's)
        raise Problem(
            409,
            "disclosures-missing",
            "The stored disclosures are missing",
            f"{where}: the event store holds no event beside this log entry, so no"
            " personal values can be shown",
            log_index=index,
        ) from None
    except UnreadableEvent as exc:  # the stored event's row was damaged or edited
        raise Problem(
            409,
            "disclosures-unreadable",
            "The stored disclosures cannot be read",
            f"{where}: {exc}; no personal values are shown",
            log_index=index,
        ) from None
    try:  # checked against the digests in the signed entry from the log
        revealed = revealed_data(stmt, disclosures)
    except DisclosureError as exc:  # the stored event was tampered with
        raise Problem(
            409,
            "disclosures-mismatch",
            "The stored disclosures do not match the signed entry",
            f"{where}: {exc}; no personal values are shown",
            log_index=index,
        ) from exc
    statement = stmt.model_dump(mode="json", exclude_none=True) | {"data": revealed}
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
    return {
        "index": index,
        "subject": entry.subject,
        "version": entry.version,
        "recorded_at": format_time(entry.recorded_at),
        "statement": statement,
        "public_statement": public_view(stmt),
        "disclosures": disclosures,
    }
