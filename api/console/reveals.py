"""An entry's page in the console (/console/entries/{log_index}), the reveal of its personal
values, and the bureau's record of reveals (/console/reveals).

The entry page shows what the public log holds: the personal fields are 「已隐藏」. A reveal is a
form POST (CSRF-checked, a reason required) and never a GET: nothing personal appears in a URL,
a cache or a back button (every page is ``no-store``). Its order is fixed: the entry must be of
an elevator within the user's districts (else 403, nothing recorded), the values are revealed
and checked against the signed digests (api/personal_values.py, as the regulator API does),
then the reveal is recorded — who (account, login, name, organization), when, which entry, why
(api/personal_reads.py) — and only once that row is committed is the page with the values
rendered; if it cannot be written the answer is a 503 page and nothing is shown."""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from sqlalchemy.exc import SQLAlchemyError

from api.auth import token_store
from api.console.words import field_zh
from api.deps import NodeDep
from api.local_time import local_time
from api.log_routes import MAX_INDEX
from api.node import LedgerNode
from api.pages import summary_zh
from api.personal_reads import CONSOLE, MAX_REASON, PersonalReads, ReadFilter, StaffReader
from api.personal_values import LoggedStatement, NotRevealed, Revealed, reveal
from api.web import render
from api.web.identity import StaffUser
from api.web.render import district_zh
from api.web.session import ConsoleFormUserDep, ConsoleUserDep
from domain.model.catalogue import Subject
from domain.model.subjects import SubjectRef
from ledger.entry import entry_hash
from ledger.log import LogError
from projections import organizations as orgs
from projections import read
from projections.clock import day_start
from projections.elevator_file import districts_of

router = APIRouter(include_in_schema=False)
reveal_log = logging.getLogger("elevator_ledger.access")
PAGE_SIZE = 50
Index = Annotated[int, Path(ge=0, le=MAX_INDEX)]


def _problem(
    request: Request, user: StaffUser, status: int, title: str, message: str
) -> HTMLResponse:
    return render.page(
        request, "console/org_problem.html", user, status_code=status, title=title, message=message
    )


@dataclass(frozen=True)
class Shown:
    """An entry as its page shows it, or why it is not shown (``refused``: status, title,
    message)."""

    logged: LoggedStatement | None
    context: dict[str, Any]
    refused: tuple[int, str, str] | None = None


def _load(node: LedgerNode, user: StaffUser, index: int) -> Shown:
    """The entry from the log, refused if it is not there or is of an elevator outside the
    user's districts (blocking)."""
    try:
        data = node.log.entry(index)
    except LogError:
        return Shown(None, {}, (404, "没有这条记录", f"账本中没有序号为 {index} 的记录"))
    logged = LoggedStatement.of(index, data)
    subject = SubjectRef.parse(logged.entry.subject)
    district = None
    if subject.kind == Subject.ELEVATOR:
        district = orgs.district_of(node.engine, subject.id)
        if not user.sees(district):
            where = f"（所在地 {district}）" if district else "（尚无登记所在地）"
            return Shown(
                None,
                {},
                (
                    403,
                    "不在您的辖区",
                    f"这条记录所属的电梯 {subject.id} 不在您的辖区{where}，不能查看。",
                ),
            )
    return Shown(logged, _context(node, logged, subject, district, data))


def _context(
    node: LedgerNode,
    logged: LoggedStatement,
    subject: SubjectRef,
    district: str | None,
    data: bytes,
) -> dict[str, Any]:
    zone, index, stmt = node.settings.zone, logged.index, logged.statement
    row = orgs.entries_at(node.engine, [index]).get(index)
    checkpoint = node.log.latest_checkpoint()
    proof = (
        [base64.b64encode(h).decode() for h in node.log.inclusion_proof(index, checkpoint.size)]
        if index < checkpoint.size
        else None
    )
    about = {subject.id} if subject.kind == Subject.ORGANIZATION else set()
    names = read.organization_names(node.engine, {stmt.issuer} | about)
    public = json.dumps(
        row["statement"] if row else logged.statement.model_dump(mode="json", exclude_none=True),
        ensure_ascii=False,
        indent=2,
        sort_keys=True,
    )
    summary = summary_zh({"type": stmt.type, "statement": row["statement"] if row else {}})
    return {
        "index": index,
        "summary": summary,
        "type": stmt.type,
        "subject": subject,
        "district": district,
        "version": logged.entry.version,
        "issuer": stmt.issuer,
        "issuer_name": names.get(stmt.issuer, stmt.issuer),
        "subject_name": names.get(subject.id),
        "signers": [s.get("keyid", "") for s in logged.entry.envelope.get("signatures", [])],
        "occurred_local": local_time(stmt.occurred_at, zone),
        "occurred_signed": stmt.occurred_at.isoformat(),
        "recorded_local": local_time(logged.entry.recorded_at, zone),
        "late": row["late"] if row else None,
        "entry_hash": entry_hash(data),
        "checkpoint": checkpoint,
        "root": base64.b64encode(checkpoint.root).decode(),
        "proof": proof,
        "public_json": public,
        "personal": [(loc, field_zh(loc)) for loc in logged.personal_locations()],
        "district_zh": district_zh,
        "max_reason": MAX_REASON,
    }


@router.get("/console/entries/{log_index}", response_class=HTMLResponse)
async def entry_page(
    request: Request, node: NodeDep, user: ConsoleUserDep, log_index: Index
) -> HTMLResponse:
    """The entry's public view; personal fields hidden, with the button to reveal them."""
    shown = await run_in_threadpool(_load, node, user, log_index)
    if shown.refused is not None:
        return _problem(request, user, *shown.refused)
    return render.page(request, "console/entry.html", user, revealed=None, **shown.context)


@router.post("/console/entries/{log_index}/reveal", response_class=HTMLResponse)
async def reveal_entry(
    request: Request,
    node: NodeDep,
    user: ConsoleFormUserDep,
    log_index: Index,
    reason: Annotated[str, Form(max_length=4 * MAX_REASON)] = "",
) -> HTMLResponse:
    """Record the reveal (who, when, which entry, why), then show the personal values."""
    shown = await run_in_threadpool(_load, node, user, log_index)
    if shown.refused is not None:
        return _problem(request, user, *shown.refused)
    assert shown.logged is not None
    if not shown.context["personal"]:
        return _problem(request, user, 400, "没有个人信息", "这条记录不含个人信息，无需查看。")
    text = reason.strip()
    if not text or len(text) > MAX_REASON:
        return render.page(
            request,
            "console/entry.html",
            user,
            status_code=422,
            revealed=None,
            reason_error=f"请填写查看事由（1 至 {MAX_REASON} 字）",
            reason=text[:MAX_REASON],
            **shown.context,
        )
    try:
        revealed = await run_in_threadpool(reveal, node, shown.logged)
    except NotRevealed as exc:
        return _problem(
            request,
            user,
            409,
            "个人信息无法核验",
            f"存储的个人信息与账本中签名的摘要不符或已缺失，不予显示（{exc.slug}）。",
        )
    try:
        await run_in_threadpool(_record, node, request, user, log_index, text)
    except SQLAlchemyError as exc:
        reveal_log.error(
            "reveal of entry %d by account %s not recorded: %s", log_index, user.account_id, exc
        )
        return _problem(
            request,
            user,
            503,
            "查看未能记录",
            "个人信息只在查看被记录后显示；记录暂时无法写入，请稍后再试。",
        )
    return render.page(
        request,
        "console/entry.html",
        user,
        revealed=_values(revealed),
        reason=text,
        **shown.context,
    )


def _record(node: LedgerNode, request: Request, user: StaffUser, index: int, reason: str) -> None:
    store = token_store(request, node)  # its engine, with the migrations that made the table
    reader = StaffReader(user.account_id, user.login, user.name, user.organization)
    PersonalReads(store.engine).record_reveal(reader, index, reason)


def _values(revealed: Revealed) -> list[tuple[str, str, str]]:
    return [
        (
            loc,
            field_zh(loc),
            value if isinstance(value, str) else json.dumps(value, ensure_ascii=False),
        )
        for loc, value in revealed.values()
    ]


@router.get("/console/reveals", response_class=HTMLResponse)
async def reveal_record(
    request: Request,
    node: NodeDep,
    user: ConsoleUserDep,
    person: Annotated[str, Query(max_length=100)] = "",
    since: Annotated[date | None, Query(alias="from")] = None,
    until: Annotated[date | None, Query(alias="to")] = None,
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """The bureau's record of reads of personal data: its staff's reveals in the console and
    its tokens' reads through the API, newest first."""
    zone = node.settings.zone
    where = ReadFilter(
        user.organization,
        person.strip() or None,
        day_start(max(since, date(1900, 1, 1)), zone) if since else None,  # no overflow
        day_start(min(until, date(9998, 12, 31)) + timedelta(days=1), zone) if until else None,
    )
    store = await run_in_threadpool(token_store, request, node)
    total, rows = await run_in_threadpool(
        PersonalReads(store.engine).page, where, (page_number - 1) * PAGE_SIZE, PAGE_SIZE
    )
    seen = await run_in_threadpool(_entries_seen, node, user, [r.log_index for r in rows])
    return render.page(
        request,
        "console/reveals.html",
        user,
        rows=[
            {
                "r": r,
                "at": local_time(r.read_at, zone),
                "console": r.kind == CONSOLE,
                "seen": r.log_index in seen,
            }
            for r in rows
        ],
        total=total,
        person=person,
        since=since.isoformat() if since else "",
        until=until.isoformat() if until else "",
        page=page_number,
        pages=max(1, -(-total // PAGE_SIZE)),
    )


def _entries_seen(node: Any, user: StaffUser, indexes: list[int]) -> set[int]:
    """Which of the entries at ``indexes`` the user may open: an organization's, or an
    elevator's within the user's districts (the others are listed without a link)."""
    found = orgs.entries_at(node.engine, indexes)
    refs = {i: SubjectRef.parse(e["subject"]) for i, e in found.items()}
    lifts = [r.id for r in refs.values() if r.kind is Subject.ELEVATOR]
    district = districts_of(node.engine, lifts)
    return {
        i
        for i, ref in refs.items()
        if ref.kind is not Subject.ELEVATOR or user.sees(district.get(ref.id))
    }
