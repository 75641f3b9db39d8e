"""Organizations and their scorecards in the console (/console/organizations/...); the entry
pages and reveals of personal data are api/console/reveals.py, included here.

Everything shown is read from the read models, which are folded from the log: the directory
(``read_organizations``), an organization's roles, licences, keys and history (its chain's
entries, projections/organizations.py), the elevators it is responsible for now within the
user's districts (``read_responsibilities``), and the scoring indicator (api/scorecards.py, the
same card ``/v1/regulator/organizations/{uscc}/scorecard`` serves): 参考, never a grade."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from api.console import reveals
from api.console.words import LICENCE_ZH, ROLE_ZH, detail_zh, rule_zh
from api.deps import NodeDep
from api.local_time import local_time
from api.pages import LIFECYCLE_ZH, summary_zh
from api.scorecards import ScorecardRefused, organization_scorecard
from api.web.identity import StaffUser
from api.web.render import district_zh, page
from api.web.session import ConsoleUserDep
from domain.model.catalogue import Subject
from domain.model.identifiers import InvalidIdentifier, validate_uscc
from domain.model.roles import Role
from domain.model.scoring import SCHEMES
from domain.model.subjects import SubjectRef
from projections import organizations as orgs
from projections import read
from projections.elevator_file import districts_of

router = APIRouter(include_in_schema=False)
router.include_router(reveals.router)
PAGE_SIZE = 50


def problem_page(
    request: Request, user: StaffUser, status: int, title: str, message: str
) -> HTMLResponse:
    """A page saying plainly what went wrong, with its status code."""
    return page(
        request, "console/org_problem.html", user, status_code=status, title=title, message=message
    )


def _uscc_or_none(uscc: str) -> str | None:
    try:
        validate_uscc(uscc)
    except InvalidIdentifier:
        return None
    return uscc


@router.get("/console/organizations", response_class=HTMLResponse)
async def organization_list(
    request: Request,
    node: NodeDep,
    user: ConsoleUserDep,
    q: Annotated[str, Query(max_length=100)] = "",
    role: Annotated[str, Query(max_length=32)] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """Every organization, by name or USCC and by role, each linked to its page."""
    wanted = role if role in ROLE_ZH else None
    found = await run_in_threadpool(orgs.directory, node.engine, q, wanted)
    today = node.today().isoformat()
    start = (page_number - 1) * PAGE_SIZE
    rows = [_directory_row(o, today) for o in found[start : start + PAGE_SIZE]]
    return page(
        request,
        "console/organizations.html",
        user,
        rows=rows,
        total=len(found),
        q=q,
        role=wanted or "",
        roles=ROLE_ZH,
        page=page_number,
        pages=max(1, -(-len(found) // PAGE_SIZE)),
        district_zh=district_zh,
    )


def _directory_row(o: dict[str, Any], today: str) -> dict[str, Any]:
    def held(span: dict[str, Any]) -> bool:
        return bool(span["from"] <= today and (span.get("to") is None or today < span["to"]))

    return {
        **o,
        "roles_zh": [(ROLE_ZH.get(r, r), held(span)) for r, span in sorted(o["roles"].items())],
        "licences_zh": [
            (
                number,
                LICENCE_ZH.get(lic["kind"], lic["kind"]),
                lic["to"],
                "revoked" not in lic and lic["from"] <= today <= lic["to"],
            )
            for number, lic in sorted(o["licences"].items())
        ],
    }


@router.get("/console/organizations/{uscc}", response_class=HTMLResponse)
async def organization_page(
    request: Request,
    node: NodeDep,
    user: ConsoleUserDep,
    uscc: Annotated[str, Path(max_length=32)],
) -> HTMLResponse:
    """Roles, licences and keys with the entries behind each, the organization's own history,
    and the elevators it is responsible for now within the user's districts."""
    if _uscc_or_none(uscc) is None:
        return problem_page(
            request, user, 404, "没有这个单位", f"{uscc} 不是有效的统一社会信用代码"
        )
    context = await run_in_threadpool(_organization_context, node, user, uscc)
    if context is None:
        return problem_page(
            request, user, 404, "没有这个单位", f"账本中没有统一社会信用代码为 {uscc} 的单位"
        )
    return page(request, "console/organization.html", user, district_zh=district_zh, **context)


def _organization_context(node: Any, user: StaffUser, uscc: str) -> dict[str, Any] | None:
    found = read.organization(node.engine, uscc)
    if found is None:
        return None
    zone, today = node.settings.zone, node.today()
    history = orgs.chain(node.engine, uscc)
    prof = orgs.profile(history)
    lifts = orgs.responsible_now(node.engine, uscc, node.now(), user.districts)
    names = read.organization_names(node.engine, {e["issuer"] for e in history})
    bound = districts_of(
        node.engine, {k.bound_elevator for k in prof.keys.values() if k.bound_elevator}
    )
    return {
        "org": found,
        "roles": [
            {
                "role": r.role,
                "zh": ROLE_ZH.get(r.role, r.role),
                "since": r.since,
                "until": r.until,
                "granted_by": r.granted_by,
                "revoked_by": r.revoked_by,
                "in_force": r.in_force(today),
            }
            for r in prof.roles.values()
        ],
        "licences": [
            {
                **vars(lic),
                "kind_zh": LICENCE_ZH.get(lic.kind, lic.kind),
                "in_force": lic.in_force(today),
            }
            for lic in prof.licences.values()
        ],
        "keys": [
            {
                **vars(k),
                "registered_local": local_time(k.registered_at, zone),
                "revoked_local": local_time(k.revoked_at, zone) if k.revoked_at else None,
                # a terminal's lift is linked only where the user may open it
                "bound_seen": k.bound_elevator is not None
                and user.sees(bound.get(k.bound_elevator)),
            }
            for k in prof.keys.values()
        ],
        "history": [
            {
                **e,
                "summary": summary_zh(e),
                "issuer_name": names.get(e["issuer"], e["issuer"]),
                "occurred_local": local_time(e["occurred_at"], zone),
                "recorded_local": local_time(e["recorded_at"], zone),
            }
            for e in reversed(history)
        ],
        "lifts": [
            {
                **x,
                "role_zh": ROLE_ZH.get(x["role"], x["role"]),
                "lifecycle_zh": LIFECYCLE_ZH.get(x["lifecycle"] or "", "未知"),
                "since_local": local_time(x["since"], zone),
            }
            for x in lifts
        ],
        "maintainer": Role.MAINTENANCE_UNIT.value in found["roles"],
    }


@router.get("/console/organizations/{uscc}/scorecard", response_class=HTMLResponse)
async def scorecard_page(
    request: Request,
    node: NodeDep,
    user: ConsoleUserDep,
    uscc: Annotated[str, Path(max_length=32)],
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    scheme: Annotated[str | None, Query(max_length=32)] = None,
) -> HTMLResponse:
    """The maintainer's scoring indicator (参考), every point a row linked to its entries."""
    if _uscc_or_none(uscc) is None:
        return problem_page(
            request, user, 404, "没有这个单位", f"{uscc} 不是有效的统一社会信用代码"
        )
    found = await run_in_threadpool(read.organization, node.engine, uscc)
    if found is None:
        return problem_page(
            request, user, 404, "没有这个单位", f"账本中没有统一社会信用代码为 {uscc} 的单位"
        )
    if Role.MAINTENANCE_UNIT.value not in found["roles"]:
        return page(request, "console/scorecard.html", user, org=found, card=None, schemes=SCHEMES)
    try:
        got = await run_in_threadpool(organization_scorecard, node, uscc, year, scheme or None)
    except ScorecardRefused as exc:
        return problem_page(request, user, exc.status, "无法计算评分参考", _refusal_zh(exc))
    context = await run_in_threadpool(_scorecard_context, node, found, got.card, user)
    return page(
        request,
        "console/scorecard.html",
        user,
        org=found,
        schemes=SCHEMES,
        district_zh=district_zh,
        **context,
    )


def _refusal_zh(exc: ScorecardRefused) -> str:
    if exc.detail.startswith("year"):
        return f"所选年份尚未开始（{exc.detail}）"
    return f"没有这个评分方案（{exc.detail}）"


def _scorecard_context(
    node: Any, org: dict[str, Any], card: Any, user: StaffUser
) -> dict[str, Any]:
    """The card's rows; a point or entry of an elevator outside the user's districts keeps its
    points (the score is the organization's) but shows no code, summary or link (辖区外)."""
    cited = {i for p in card.points for i in p["log_indexes"]}
    by_index = orgs.entries_at(node.engine, cited)
    names = read.organization_names(node.engine, {e["issuer"] for e in by_index.values()})
    subjects = {SubjectRef.parse(e["subject"]) for e in by_index.values()}
    codes = {p["equipment_code"] for p in card.points} | {
        ref.id for ref in subjects if ref.kind is Subject.ELEVATOR
    }
    district = districts_of(node.engine, codes)
    scheme = card.scheme

    def seen(code: str | None) -> bool:
        return code is None or code == org["uscc"] or user.sees(district.get(code))

    rows = []
    for p in card.points:
        linked = []
        for i in p["log_indexes"]:
            e = by_index.get(i)
            code = SubjectRef.parse(e["subject"]).id if e else None
            shown = seen(code)
            linked.append(
                {
                    "log_index": i,
                    "summary": summary_zh(e) if e and shown else "",
                    "code": code if shown else None,
                    "outside": not shown,
                }
            )
        is_elevator = p["equipment_code"] != org["uscc"]
        rows.append(
            {
                **p,
                "rule_zh": rule_zh(p["item"]),
                "detail_zh": detail_zh(p, names),
                "entries": linked,
                "is_elevator": is_elevator,
                "outside": is_elevator and not seen(p["equipment_code"]),
            }
        )
    where = org.get("district")
    return {
        "card": card,
        "rows": rows,
        "scheme": scheme,
        "scheme_here": scheme.in_force(where, card.period.through),
        "counted": sum(int(p["points"]) for p in card.points if p["in_force"]),
        "years": sorted(
            {*range(node.today().year - 5, node.today().year + 1), card.period.year}, reverse=True
        ),
    }
