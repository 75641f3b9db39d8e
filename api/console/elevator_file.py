"""The elevator's file (一机一档, /console/elevators/{code}): identities, responsibility, status,
open items, history with proofs, and the replay as of any instant on both axes.

``/console/elevators`` finds an elevator by any of its identifiers and lists the signed-in
regulator's elevators (those in the districts of the account's scope), a page at a time. Every
page of one elevator is reached by any identifier (redirected to the equipment code) and only
within the account's districts: another district's elevator is a 403 page that shows nothing of
it, an unknown identifier a 404 page. What the sections hold is built in
:mod:`api.console.file_page` and :mod:`api.console.replay_page`."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console import file_page, replay_page
from api.console.file_words import AXES_EXPLAINED, AXIS_ZH, IDENTIFIER_KIND_ZH
from api.deps import NodeDep
from api.node import LedgerNode
from api.pages import KIND_ZH, MAX_IDENTIFIER, ROLE_ZH, zone_label
from api.web.identity import StaffUser
from api.web.render import page
from api.web.session import ConsoleUserDep
from domain.replay import Axis
from projections import read
from projections.elevator_file import districts_of, elevators_in

router = APIRouter(include_in_schema=False)
#: Elevators per page of the list.
LIST_PAGE = 50


def refusal(
    request: Request, user: StaffUser, status: int, title: str, message: str
) -> HTMLResponse:
    """A page that says only why nothing is shown (no detail of any elevator)."""
    return page(request, "console/file_refused.html", user, status, title=title, message=message)


def page_number(text: str) -> int | None:
    """A page number from the query (1 to 100,000), or None: a clear 400 page, not a 422."""
    return (
        int(text) if text.isdecimal() and 0 < len(text) <= 6 and 1 <= int(text) <= 100_000 else None
    )


def bad_page(request: Request, user: StaffUser) -> HTMLResponse:
    return refusal(request, user, 400, "页码无效", "页码应为 1 到 100000 之间的整数。")


def _usable(identifier: str) -> bool:
    return (
        0 < len(identifier) <= MAX_IDENTIFIER
        and identifier.isprintable()
        and bool(identifier.strip())
    )


def lookup(node: LedgerNode, identifier: str) -> tuple[str | None, str | None]:
    """The equipment code ``identifier`` names (None: no elevator with a status) and its
    district (None: not registered anywhere)."""
    code = read.resolve(node.engine, identifier) if _usable(identifier) else None
    where = districts_of(node.engine, [code]) if code else {}
    return (code, where[code]) if code in where else (None, None)


def find(
    request: Request, node: LedgerNode, user: StaffUser, identifier: str
) -> str | HTMLResponse:
    """The equipment code ``identifier`` names, if the user may see it; else the refusal page:
    404 for no such elevator, 403 for one outside the user's districts."""
    code, district = lookup(node, identifier)
    if code is None:
        shown = identifier if _usable(identifier) else "（无效编号）"
        return refusal(request, user, 404, "未找到该电梯", f"账本中没有编号为“{shown}”的电梯。")
    if not user.sees(district):
        why = (
            "该电梯尚未办理使用登记，没有所在地区，不在任何辖区内。"
            if district is None
            else "该电梯不在您的辖区，无权查看其档案。"
        )
        return refusal(request, user, 403, "不在您的辖区", why)
    return code


def _redirect(request: Request, code: str, suffix: str = "") -> RedirectResponse:
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"/console/elevators/{quote(code, safe='')}{suffix}{query}", 303)


@router.get("/console/elevators", response_class=HTMLResponse)
def elevators(
    request: Request,
    node: NodeDep,
    user: ConsoleUserDep,
    q: str = "",
    page_text: Annotated[str, Query(alias="page")] = "1",
) -> Response:
    """Search by any identifier (an exact one opens the file) and the user's elevators."""
    text, page_no = q.strip(), page_number(page_text)
    if page_no is None:
        return bad_page(request, user)
    matches: list[dict[str, str]] = []
    if text:
        if not _usable(text):
            return refusal(
                request, user, 400, "无法查询", "查询内容过长（超过 64 个字符）或含有无效字符。"
            )
        if lookup(node, text)[0] is not None:  # an identifier: its file (or the refusal)
            outcome = find(request, node, user, text)
            if isinstance(outcome, Response):
                return outcome
            return _redirect_plain(outcome)
        matches = _matches(node, user, text)
    offset = (page_no - 1) * LIST_PAGE
    total, found = elevators_in(node.engine, user.districts, node.today(), offset, LIST_PAGE)
    rows = [{**r, "s": r["view"].status, **file_page.listed(node, r["view"])} for r in found]
    names = file_page.Names(
        node, {r["s"].use_unit or "" for r in rows} | {r["maintainer"] or "" for r in rows}
    )
    return page(
        request,
        "console/elevators.html",
        user,
        q=text,
        matches=matches,
        searched=bool(text),
        rows=rows,
        names=names,
        total=total,
        page_no=page_no,
        pages=max(1, -(-total // LIST_PAGE)),
    )


def _redirect_plain(code: str) -> RedirectResponse:
    return RedirectResponse(f"/console/elevators/{quote(code, safe='')}", 303)


def _matches(node: LedgerNode, user: StaffUser, text: str) -> list[dict[str, str]]:
    """Identifiers starting with ``text`` of elevators in the user's districts only (another
    district's are not hinted at)."""
    if len(text) < 2:
        return []
    found = read.search(node.engine, text, limit=50)["elevators"]
    where = districts_of(node.engine, [m["equipment_code"] for m in found])
    return [
        {**m, "kind_zh": IDENTIFIER_KIND_ZH.get(m["kind"], m["kind"])}
        for m in found
        if user.sees(where.get(m["equipment_code"]))
    ][:20]


@router.get("/console/elevators/{identifier}", response_class=HTMLResponse)
async def elevator_file(
    request: Request,
    node: NodeDep,
    user: ConsoleUserDep,
    identifier: str,
    page_text: Annotated[str, Query(alias="page")] = "1",
    history: str = "page",
) -> Response:
    """The elevator's file (``history=all``: every entry on one page, to print)."""
    page_no = page_number(page_text)
    if page_no is None:
        return bad_page(request, user)
    outcome = await run_in_threadpool(find, request, node, user, identifier)
    if isinstance(outcome, Response):
        return outcome
    if outcome != identifier:
        return _redirect(request, outcome)
    context = await run_in_threadpool(_file_context, node, outcome, page_no, history == "all")
    if context is None:
        return refusal(request, user, 404, "未找到该电梯", "该电梯尚无状态记录。")
    return page(request, "console/elevator_file.html", user, **context)


def _file_context(
    node: LedgerNode, code: str, page_no: int, everything: bool
) -> dict[str, Any] | None:
    view = read.elevator(node.engine, code, node.today())
    if view is None:
        return None
    identities = file_page.identities(node, code)
    timeline = file_page.timeline(node, code)
    status = file_page.status(node, view)
    items = file_page.open_items(node, code, view)
    history = file_page.history(node, code, page_no, everything)
    names = file_page.Names(
        node,
        {r["organization"] for r in timeline}
        | {e["issuer"] for e in history["entries"]}
        | items.organizations
        | {view.status.use_unit or "", view.maintenance_unit_today or ""},
    )
    return {
        "code": code,
        "identities": identities,
        "timeline": timeline,
        "status": status,
        "items": items,
        "history": history,
        "names": names,
        "role_zh": ROLE_ZH,
        "now_form": replay_page.form_value(node.now().astimezone(node.settings.zone)),
        "axes_explained": AXES_EXPLAINED,
        "axis_zh": AXIS_ZH,
    }


@router.get("/console/elevators/{identifier}/replay", response_class=HTMLResponse)
async def elevator_replay(
    request: Request,
    node: NodeDep,
    user: ConsoleUserDep,
    identifier: str,
    as_of: str = "",
    axis: str = "occurred",
    page_text: Annotated[str, Query(alias="page")] = "",
) -> Response:
    """The elevator as of ``as_of`` on both axes; ``axis`` the one shown in full."""
    page_no = page_number(page_text) if page_text else None
    if page_text and page_no is None:
        return bad_page(request, user)
    outcome = await run_in_threadpool(find, request, node, user, identifier)
    if isinstance(outcome, Response):
        return outcome
    if outcome != identifier:
        return _redirect(request, outcome, "/replay")
    code, zone = outcome, node.settings.zone
    base: dict[str, Any] = {
        "code": code,
        "as_of_text": as_of[:64],
        "axis": axis,
        "axis_zh": AXIS_ZH,
    }
    base["zone"] = zone_label(node.settings.time_zone)
    base["axes_explained"] = AXES_EXPLAINED
    if axis not in (Axis.OCCURRED, Axis.RECORDED):
        return _bad_replay(request, user, base, "时间轴只能是“按发生时间”或“按记录时间”。")
    try:
        at = replay_page.parse_as_of(as_of, zone)
    except replay_page.BadInstant as exc:
        return _bad_replay(request, user, base, str(exc))
    result = await run_in_threadpool(replay_page.replay_both, node, code, at)
    if result is None:
        return refusal(request, user, 404, "未找到该电梯", "账本中没有该电梯的记录链。")
    base |= {"at": at, "form_value": replay_page.form_value(at), "replay": result}
    if result.fault is not None:
        return page(request, "console/elevator_replay.html", user, 409, **base)
    context = await run_in_threadpool(_replay_context, node, result, axis, page_no)
    query = {"as_of": replay_page.form_value(at)}
    base["switch"] = {
        other: f"?{urlencode({**query, 'axis': other})}" for other in ("occurred", "recorded")
    }
    return page(request, "console/elevator_replay.html", user, **base, **context)


def _bad_replay(
    request: Request, user: StaffUser, base: dict[str, Any], message: str
) -> HTMLResponse:
    return page(
        request, "console/elevator_replay.html", user, 400, **base, error=message, replay=None
    )


def _replay_context(
    node: LedgerNode, result: replay_page.ReplayPage, axis: str, page_no: int | None
) -> dict[str, Any]:
    names = file_page.Names(node, replay_page.organizations(result))
    shown = result.axes[axis]
    return {
        "names": names,
        "shown": shown,
        "steps": replay_page.steps_page(result, shown, page_no, node, names),
        "differences": replay_page.differences(result, node, names),
        "summaries": {k: v.summary() for k, v in result.axes.items()},
        "kind_zh": KIND_ZH,
    }
