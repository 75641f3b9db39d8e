"""The enterprise desk's pages (/desk): our elevators, what is due, our statements with their
receipts, our keys and our rejected submissions.

Every page is for a signed-in member of an enterprise's staff (``DeskUserDep``) and shows only
what names that organization (``user.organization``, its USCC): the elevators it holds a role
for (now, or before, for the elevator's page), the statements it issued, its own chain's keys
and the refusals filed under it. A URL naming anything else (another organization's elevator
or entry) is answered with the same 404 page as one naming nothing: nothing is leaked, not even
whether it exists. Bad input (a page number, a date, a type) is a 400 page saying what is wrong.

The desk holds no private key and takes none: signing stays with the enterprise's own keys
(``elevator-ledger sign`` / ``submit``, or any client of ``POST /v1/statements``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.badge import RETIRED, badge
from api.console.worklist_views import LISTS_ZH
from api.deps import NodeDep
from api.desk import entry_facts, overview, receipts
from api.local_time import local_time
from api.node import LedgerNode
from api.pages import KIND_ZH, LEVEL_ZH, ROLE_ZH, inspection_words, summary_zh
from api.rejection_log import KEEP, KEEP_FOR, RejectionLog
from api.rule_words import problem_zh, rule_zh
from api.web.identity import StaffUser
from api.web.render import page
from api.web.session import DeskUserDep
from domain.model.catalogue import CATALOGUE, Subject
from domain.model.subjects import SubjectError, SubjectRef
from projections import desk, read
from projections.clock import day_start
from projections.desk import Named
from projections.status import inspection_obligation

router = APIRouter(include_in_schema=False)

PER_PAGE = 50
MAX_PAGE = 100_000
#: No equipment code is longer (19 characters: the registration office's fallback form).
MAX_CODE = 19
NOT_OURS = "账本中没有这项内容，或它与贵单位无关"


class BadInput(Exception):
    """A query parameter a page cannot use: answered with a 400 page saying which."""


def _page_number(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6) or not 1 <= int(raw) <= MAX_PAGE:
        raise BadInput(f"页码必须是 1 到 {MAX_PAGE} 之间的整数，而不是“{raw[:20]}”")
    return int(raw)


def _day(raw: str, what: str) -> date | None:
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
        if not date(1900, 1, 1) <= day <= date(9998, 12, 31):  # day_start would overflow
            raise ValueError(raw)
        return day
    except ValueError:
        raise BadInput(f"{what}必须是 YYYY-MM-DD 格式的日期，而不是“{raw[:20]}”") from None


def _error(request: Request, user: StaffUser, status: int, message: str) -> HTMLResponse:
    return page(
        request, "desk/error.html", user, status_code=status, message=message, status=status
    )


def _names(node: LedgerNode, usccs: set[str | None]) -> dict[str, str]:
    return read.organization_names(node.engine, {u for u in usccs if u})


def _pager(number: int, total: int, per_page: int = PER_PAGE) -> dict[str, int]:
    pages = max(1, -(-total // per_page))
    return {"page": number, "pages": pages, "total": total}


# --- 我的电梯 ---------------------------------------------------------------------------------


@router.get("/desk", response_class=HTMLResponse)
def home(request: Request, user: DeskUserDep, node: NodeDep) -> Response:
    """Our elevators (paged) and the day's work on them, counts first."""
    try:
        number = _page_number(request.query_params.get("page", "1"))
    except BadInput as exc:
        return _error(request, user, 400, str(exc))
    now, today, zone = node.now(), node.today(), node.settings.zone
    roles = desk.roles_of(node.engine, user.organization, now)
    elevators = desk.named(node.engine, roles, today)
    items = desk.item_entries(node.engine, overview.with_items(elevators))
    work, counts = overview.work(user.organization, elevators, items, today)
    mine = sorted((n for n in elevators.values() if n.roles), key=lambda n: n.code)
    shown = mine[(number - 1) * overview.PER_PAGE : number * overview.PER_PAGE]
    lists = vars(work)
    names = _names(
        node,
        {n.status.use_unit for n in shown}
        | {r["n"].status.use_unit for rows in lists.values() for r in rows}
        | {r["ordered_by"] for r in work.orders}
        | {r["maintainer"] for r in work.no_contract},
    )
    for rows in lists.values():
        for row in rows:
            row["e"] = overview.identity(row["n"], names)
    return page(
        request,
        "desk/home.html",
        user,
        counts={"elevators": len(mine), **counts},
        work=work,
        elevators=[_row(n, names, now, node) for n in shown],
        pager=_pager(number, len(mine), overview.PER_PAGE),
        names=names,
        kind_zh=KIND_ZH,
        moment=lambda at: overview.moment(at, zone),
        today=today.isoformat(),
        due_within=overview.DUE_WITHIN,
        inspection_within=overview.INSPECTION_WITHIN,
        limit=overview.LIST_LIMIT,
        no_contract_words=LISTS_ZH["no-maintenance-contract"],
        has_party_role=any(overview.PARTY_ROLES & set(n.roles) for n in mine),
    )


def _row(n: Named, names: dict[str, str], now: datetime, node: LedgerNode) -> dict[str, Any]:
    return {
        **overview.identity(n, names),
        "badge": overview.badge_of(n, now, node.settings.zone),
        "lifecycle": overview.lifecycle_zh(n),
        "next_maintenance_due": n.status.next_maintenance_due,
        "district": n.status.district,
    }


# --- one elevator -------------------------------------------------------------------------------


def _held_now(intervals: list[dict[str, Any]], now: datetime) -> list[str]:
    roles = []
    for i in intervals:
        start = datetime.fromisoformat(i["from"])
        end = datetime.fromisoformat(i["to"]) if i["to"] else None
        if start <= now and (end is None or end > now) and i["role"] not in roles:
            roles.append(i["role"])
    return roles


@router.get("/desk/elevators/{code}", response_class=HTMLResponse)
def elevator(request: Request, user: DeskUserDep, node: NodeDep, code: str) -> Response:
    """One of our elevators: its status in the QR page's words, what is due, open items and
    its history (the public view of its entries). Not ours (or unknown): 404."""
    try:
        number = _page_number(request.query_params.get("page", "1"))
    except BadInput as exc:
        return _error(request, user, 400, str(exc))
    plausible = len(code) <= MAX_CODE and code.isprintable() and code.isalnum()
    held = desk.held_by(node.engine, user.organization, code) if plausible else []
    today, now, zone = node.today(), node.now(), node.settings.zone
    view = read.elevator(node.engine, code, today) if held else None
    if view is None:
        return _error(request, user, 404, NOT_OURS)
    s = view.status
    ours_now = _held_now(held, now)
    named = Named(code, tuple(ours_now), s, view.flags, view.maintenance_unit_today)
    items = desk.item_entries(node.engine, [code]) if s.open_faults or s.open_rectifications else {}
    faults, orders = desk.open_items(items.get(code, []))
    parties = {p["role"]: p["organization"] for p in read.responsible_at(node.engine, code, now)}
    if view.maintenance_unit_today:
        parties["maintenance_unit"] = view.maintenance_unit_today
    if s.lifecycle in RETIRED:
        parties.pop("insurer", None)
        parties.pop("maintenance_unit", None)
    total, history = read.elevator_entries(node.engine, code, (number - 1) * PER_PAGE, PER_PAGE)
    names = _names(
        node,
        set(parties.values())
        | {e["issuer"] for e in history}
        | {o.ordered_by for o in orders}
        | {u for e in history for u in entry_facts.organizations(e["statement"])},
    )
    due = s.next_maintenance_due
    obligation = inspection_obligation(s, today)
    return page(
        request,
        "desk/elevator.html",
        user,
        code=code,
        s=s,
        flags=view.flags,
        badge=badge(s, view.flags, now, zone),
        lifecycle=overview.lifecycle_zh(named),
        parties=[
            (ROLE_ZH[r], parties[r], names.get(parties[r], parties[r]))
            for r in ROLE_ZH
            if r in parties
        ],
        ours=[
            {
                **i,
                "role_zh": ROLE_ZH.get(i["role"], i["role"]),
                "from_local": local_time(i["from"], zone),
                "to_local": local_time(i["to"], zone) if i["to"] else None,
            }
            for i in held
        ],
        ours_now=overview.roles_zh(ours_now),
        contract={
            # s.contract_number is the one in force when a contract statement was last
            # folded, so a renewal's successor or an expiry is read from s.contracts
            "current": next((c for c in reversed(s.contracts) if c[2] <= today <= c[3]), None),
            "latest": s.contracts[-1] if s.contracts else None,
        },
        maintenance_due=due.isoformat() if due else None,
        maintenance_days=(due - today).days if due else None,
        levels=[LEVEL_ZH.get(x, x) for x in s.last_maintenance_levels],
        inspection=(
            {
                "kind": KIND_ZH.get(str(obligation.kind), str(obligation.kind)),
                "due": obligation.due.isoformat(),
                "overdue": obligation.overdue,
                "suspended": obligation.suspended,
            }
            if obligation
            else None
        ),
        words=inspection_words(s.last_inspection_kind, s.next_inspection_kind),
        faults=faults,
        orders=[
            {
                "o": o,
                "ours": desk.names_us(o, user.organization, ours_now),
                "past": o.deadline < today,
            }
            for o in orders
        ],
        names=names,
        moment=lambda at: overview.moment(at, zone),
        history=[
            {
                **e,
                "summary": summary_zh(e),
                "facts": entry_facts.facts(e["statement"], names, zone),
                "issuer_name": names.get(e["issuer"], e["issuer"]),
                "occurred_local": local_time(e["occurred_at"], zone),
                "recorded_local": local_time(e["recorded_at"], zone),
                "ours": e["issuer"] == user.organization,
                "public": orjson.dumps(e["statement"], option=orjson.OPT_INDENT_2).decode(),
            }
            for e in history
        ],
        pager=_pager(number, total),
        today=today,
    )


# --- our statements and their receipts ----------------------------------------------------------


@router.get("/desk/statements", response_class=HTMLResponse)
def statements(request: Request, user: DeskUserDep, node: NodeDep) -> Response:
    """The statements we issued, newest first, filtered by type and date, each with its
    receipt (log index, entry hash, inclusion proof to the latest checkpoint)."""
    q = request.query_params
    kind, since_raw, until_raw = q.get("type", ""), q.get("from", ""), q.get("to", "")
    zone = node.settings.zone
    try:
        number = _page_number(q.get("page", "1"))
        if kind and kind not in CATALOGUE:
            raise BadInput(f"没有“{kind[:40]}”这种记录类型")
        since, until = _day(since_raw, "起始日期"), _day(until_raw, "截止日期")
        if since and until and until < since:
            raise BadInput("截止日期早于起始日期")
    except BadInput as exc:
        return _error(request, user, 400, str(exc))
    total, rows = desk.statements(
        node.engine,
        user.organization,
        kind or None,
        day_start(since, zone) if since else None,
        day_start(until + timedelta(days=1), zone) if until else None,
        (number - 1) * PER_PAGE,
        PER_PAGE,
    )
    proofs = receipts.proofs(node, [r["log_index"] for r in rows])
    ours = desk.roles_of(node.engine, user.organization, node.now())
    return page(
        request,
        "desk/statements.html",
        user,
        rows=[_statement_row(r, proofs, ours, zone) for r in rows],
        checkpoint=proofs.checkpoint,
        pager=_pager(number, total),
        types=sorted((t.name, t.summary_zh or t.name) for t in CATALOGUE.values()),
        filters={"type": kind, "from": since_raw, "to": until_raw},
        query=_query({"type": kind, "from": since_raw, "to": until_raw}),
    )


def _query(values: dict[str, str]) -> str:
    return urlencode({k: v for k, v in values.items() if v})


def _subject(subject: str, ours: dict[str, Any]) -> dict[str, Any]:
    try:
        ref = SubjectRef.parse(subject)
    except SubjectError:
        return {"text": subject, "code": None}
    is_elevator = ref.kind is Subject.ELEVATOR
    return {
        "text": ref.id,
        "code": ref.id if is_elevator and ref.id in ours else None,
        "kind": "电梯" if is_elevator else "单位",
    }


def _statement_row(
    e: dict[str, Any], proofs: receipts.Proofs, ours: dict[str, Any], zone: Any
) -> dict[str, Any]:
    return {
        **e,
        "summary": summary_zh(e),
        "occurred_local": local_time(e["occurred_at"], zone),
        "recorded_local": local_time(e["recorded_at"], zone),
        "subject_view": _subject(e["subject"], ours),
        "proof": proofs.paths.get(e["log_index"]),
    }


def _log_index(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None


@router.get("/desk/statements/{index}", response_class=HTMLResponse)
def statement(request: Request, user: DeskUserDep, node: NodeDep, index: str) -> Response:
    """One of our statements with its full receipt; another's (or none): 404."""
    log_index = _log_index(index)
    entry = (
        desk.statement(node.engine, user.organization, log_index) if log_index is not None else None
    )
    if entry is None:
        return _error(request, user, 404, NOT_OURS)
    zone = node.settings.zone
    try:
        receipt: dict[str, Any] | None = receipts.receipt(node, entry)
        problem = None
    except receipts.NoReceipt as exc:
        receipt, problem = None, str(exc)
    ours = desk.roles_of(node.engine, user.organization, node.now())
    proofs = receipts.proofs(node, [entry["log_index"]])
    return page(
        request,
        "desk/statement.html",
        user,
        e=_statement_row(entry, proofs, ours, zone),
        receipt=receipt,
        problem=problem,
        checkpoint=proofs.checkpoint,
        public=orjson.dumps(entry["statement"], option=orjson.OPT_INDENT_2).decode(),
    )


@router.get("/desk/statements/{index}/receipt.json")
def receipt_json(request: Request, user: DeskUserDep, node: NodeDep, index: str) -> Response:
    """The receipt as a download, in the write path's JSON form."""
    log_index = _log_index(index)
    entry = (
        desk.statement(node.engine, user.organization, log_index) if log_index is not None else None
    )
    if entry is None:
        return _error(request, user, 404, NOT_OURS)
    try:
        body = receipts.receipt(node, entry)
    except receipts.NoReceipt as exc:
        return _error(request, user, 409, str(exc))
    return Response(
        orjson.dumps(body, option=orjson.OPT_INDENT_2),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="receipt-{log_index}.json"',
            "Cache-Control": "no-store",
        },
    )


# --- rejected submissions ---------------------------------------------------------------------


@router.get("/desk/rejected", response_class=HTMLResponse)
def rejected(request: Request, user: DeskUserDep, node: NodeDep) -> Response:
    """Our refused submissions (filed under us only when our key's signature verified),
    newest first."""
    try:
        number = _page_number(request.query_params.get("page", "1"))
    except BadInput as exc:
        return _error(request, user, 400, str(exc))
    log = RejectionLog(node.engine)
    total = log.count(user.organization)
    rows = log.page(user.organization, (number - 1) * PER_PAGE, PER_PAGE)
    zone = node.settings.zone
    return page(
        request,
        "desk/rejected.html",
        user,
        rows=[
            {
                "r": r,
                "at": local_time(r.at, zone),
                "summary": _type_zh(r.statement_type),
                "subject": _subject(r.subject, {}) if r.subject else None,
                "problem_zh": problem_zh(r.problem_type),
                "rule_zh": rule_zh(r.rule) if r.rule else None,
            }
            for r in rows
        ],
        pager=_pager(number, total),
        keep=KEEP,
        keep_days=KEEP_FOR.days,
    )


def _type_zh(kind: str | None) -> str | None:
    known = CATALOGUE.get(kind) if kind else None
    return known.summary_zh if known else None


# --- keys ----------------------------------------------------------------------------------------


@router.get("/desk/keys", response_class=HTMLResponse)
def keys(request: Request, user: DeskUserDep, node: NodeDep) -> Response:
    """Our keys as our organization's chain registers and revokes them."""
    zone = node.settings.zone
    found = desk.keys(desk.key_entries(node.engine, user.organization))
    anchor = node.anchor if node.anchor.uscc == user.organization else None
    return page(
        request,
        "desk/keys.html",
        user,
        keys=[
            {
                "k": k,
                "registered_local": local_time(k.registered_at, zone),
                "revoked_local": local_time(k.revoked_at, zone) if k.revoked_at else None,
            }
            for k in found
        ],
        anchor=anchor,
    )
