"""The console's work lists (/console/lists/...): names and codes, sorting, filters, paging, CSV
and Excel exports, each for the signed-in regulator's districts only.

``/console/lists`` shows every list with its count in the user's scope; ``/console/lists/{name}``
one list as a table (``?district=&maintainer=&use_unit=&sort=&order=asc|desc&page=&size=``);
``/console/lists/{name}.csv`` and ``.xlsx`` the same rows, every page. A district outside the
user's scope answers 403 and shows nothing; an unknown list 404; a renamed one (``sanwu``) a page
naming its new name; an export over :data:`MAX_EXPORT` rows 422 asking for narrower filters,
before a byte of the file is written."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from api.console import worklist_exports as exports
from api.console.worklist_views import COLUMNS, LISTS_ZH, entry_links, export_cells, export_header
from api.deps import NodeDep
from api.pages import KIND_ZH, LIFECYCLE_ZH, as_of
from api.web.identity import StaffUser
from api.web.render import page
from api.web.session import ConsoleUserDep
from projections import worklists
from projections.worklists import NAMES, RENAMED, InvalidQuery, Query, Row

router = APIRouter(include_in_schema=False)

DISTRICT = re.compile(r"[0-9]{6}")  # fullmatch: no trailing newline, ASCII digits
USCC = re.compile(r"^[0-9A-Z]{18}$")
PAGE_SIZES = (50, 100, 200)


@dataclass
class PageError(Exception):
    """A request the list page refuses, shown as a page with ``status``."""

    status: int
    title: str
    message: str
    link: tuple[str, str] | None = None  # (href, text)


def _parse(request: Request, user: StaffUser, name: str) -> Query:
    """The query of the request's parameters (empty ones mean no filter), checked against the
    list and the user's scope."""
    if name in RENAMED:
        new = RENAMED[name]
        raise PageError(
            404,
            "清单已更名",
            f"“{name}”清单已更名为“{LISTS_ZH[new][0]}”（{new}）：三无指无物业管理、无维护保养、"
            "无维修资金，而账本只知道维保合同。",
            (f"/console/lists/{new}", f"打开“{LISTS_ZH[new][0]}”清单"),
        )
    if name not in NAMES:
        raise PageError(
            404, "没有这个清单", f"没有名为“{name}”的工作清单。", ("/console/lists", "全部清单")
        )
    p = {k: v.strip() for k, v in request.query_params.items() if v.strip()}
    district = p.get("district")
    if district is not None and not DISTRICT.fullmatch(district):
        raise PageError(422, "区划代码不正确", "区划代码应为6位数字（GB/T 2260）。")
    if district is not None and not user.sees(district):
        raise PageError(
            403,
            "不在您的辖区内",
            f"区划 {district} 不在您的辖区（{'、'.join(user.districts) or '无'}）内，不能查看。",
            (f"/console/lists/{name}", "查看本辖区的清单"),
        )
    for key in ("maintainer", "use_unit"):
        if key in p and not USCC.match(p[key]):
            raise PageError(422, "单位代码不正确", "统一社会信用代码应为18位数字或大写字母。")
    order = p.get("order", "asc")
    if order not in ("asc", "desc"):
        raise PageError(422, "排序方向不正确", "排序方向只能是 asc（升序）或 desc（降序）。")
    q = Query(
        district=district,
        maintainer=p.get("maintainer"),
        use_unit=p.get("use_unit"),
        sort=p.get("sort"),
        descending=order == "desc",
        page=_number(p.get("page"), 1, "页码"),
        page_size=_number(p.get("size"), worklists.DEFAULT_PAGE_SIZE, "每页条数"),
    )
    try:
        q.check(name)
    except InvalidQuery as exc:
        raise PageError(
            422, "查询条件不正确", _zh(name, q), (_link(name, Query()), "按默认条件查看清单")
        ) from exc
    return q


def _zh(name: str, q: Query) -> str:
    """What :meth:`Query.check` refused, in Chinese."""
    if q.sort is not None and q.sort not in worklists.SORTABLE[name]:
        return f"该清单不能按“{q.sort}”排序。"
    if not 1 <= q.page_size <= worklists.MAX_PAGE_SIZE:
        return f"每页条数应在 1 到 {worklists.MAX_PAGE_SIZE} 之间。"
    return "页码从 1 开始。"


def _number(text: str | None, default: int, what: str) -> int:
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()) or len(text) > 7:
        raise PageError(422, f"{what}不正确", f"{what}应为正整数。")
    return int(text)


def _problem(request: Request, user: StaffUser, error: PageError) -> HTMLResponse:
    return page(
        request,
        "console/list_problem.html",
        user,
        status_code=error.status,
        error=error,
    )


def _link(name: str, q: Query, suffix: str = "", **changes: Any) -> str:
    """The list's URL for ``q`` with ``changes`` (the page, the sort), only non-default
    parameters kept."""
    q = replace(q, **changes)
    params = {
        "district": q.district,
        "maintainer": q.maintainer,
        "use_unit": q.use_unit,
        "sort": q.sort,
        "order": "desc" if q.descending else None,
        "page": q.page if q.page != 1 and not suffix else None,
        "size": q.page_size if q.page_size != worklists.DEFAULT_PAGE_SIZE and not suffix else None,
    }
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"/console/lists/{name}{suffix}" + (f"?{query}" if query else "")


@router.get("/console/lists", response_class=HTMLResponse)
def lists_index(request: Request, node: NodeDep, user: ConsoleUserDep) -> HTMLResponse:
    """Every list, what it is for, and how many it holds in the user's districts today."""
    today = node.today()
    counted = worklists.counts(node.engine, today, user.districts, node.settings.zone)
    return page(
        request,
        "console/lists.html",
        user,
        lists=[(name, *LISTS_ZH[name], counted[name]) for name in NAMES],
        today=today.isoformat(),
        as_of=as_of(node, None),
    )


def _rows(node: NodeDep, user: StaffUser, name: str, q: Query) -> list[Row]:
    return worklists.rows(
        node.engine, name, node.today(), q, zone=node.settings.zone, within=user.districts
    )


def _export_rows(
    request: Request, node: NodeDep, user: StaffUser, name: str
) -> tuple[Query, list[Row]]:
    q = _parse(request, user, name)
    found = _rows(node, user, name, q)
    if len(found) > exports.MAX_EXPORT:
        raise PageError(
            422,
            "导出行数过多",
            f"按当前条件共有 {len(found):,} 行，一次最多导出 {exports.MAX_EXPORT:,} 行。"
            "请按区划、维保单位或使用单位缩小范围后再导出；未生成任何文件。",
            (_link(name, q), "返回清单"),
        )
    return q, found


def _filename(name: str, today: str, ext: str) -> str:
    return exports.disposition(f"{name}-{today}.{ext}", f"{LISTS_ZH[name][0]}-{name}-{today}.{ext}")


def _filters_text(q: Query) -> str:
    parts = []
    if q.district:
        parts.append(f"区划 {q.district}")
    if q.maintainer:
        parts.append(f"维保单位 {q.maintainer}")
    if q.use_unit:
        parts.append(f"使用单位 {q.use_unit}")
    if q.sort:
        parts.append(f"按 {q.sort} {'降序' if q.descending else '升序'}")
    return "；".join(parts)


@router.get("/console/lists/{name}.csv", response_model=None)
def list_csv(request: Request, node: NodeDep, user: ConsoleUserDep, name: str) -> Response:
    """Every row of the list under the query, as CSV, encoded as it is sent."""
    try:
        _q, found = _export_rows(request, node, user, name)
    except PageError as error:
        return _problem(request, user, error)
    today = node.today().isoformat()
    cells: Iterator[list[Any]] = (export_cells(name, r) for r in found)
    return StreamingResponse(
        exports.csv_chunks(export_header(name), cells),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": _filename(name, today, "csv"),
            "Cache-Control": "no-store",
            "X-Ledger-Checkpoint": str(as_of(node, None)["size"]),
        },
    )


@router.get("/console/lists/{name}.xlsx", response_model=None)
def list_xlsx(request: Request, node: NodeDep, user: ConsoleUserDep, name: str) -> Response:
    """Every row of the list under the query, as an Excel workbook (sheet 清单, and 说明 naming
    the list, the date, the districts, who exported it and the checkpoint)."""
    try:
        q, found = _export_rows(request, node, user, name)
    except PageError as error:
        return _problem(request, user, error)
    today = node.today().isoformat()
    checkpoint = as_of(node, None)
    about = exports.About(
        title=LISTS_ZH[name][0],
        name=name,
        date=today,
        districts="、".join(user.districts),
        exported_by=f"{user.name}（{user.login}，{user.organization_name or user.organization}）",
        checkpoint=checkpoint["size"],
        folded=checkpoint["folded"],
        filters=_filters_text(q),
        rows=len(found),
    )
    file = exports.xlsx_file(export_header(name), (export_cells(name, r) for r in found), about)
    return StreamingResponse(
        exports.file_chunks(file),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": _filename(name, today, "xlsx"),
            "Cache-Control": "no-store",
            "X-Ledger-Checkpoint": str(checkpoint["size"]),
        },
    )


@router.get("/console/lists/{name}", response_class=HTMLResponse)
def list_page(request: Request, node: NodeDep, user: ConsoleUserDep, name: str) -> HTMLResponse:
    """One list as a table: a page of its rows, sortable headers, the filter form, the pager,
    and links to the exports of the same query."""
    try:
        q = _parse(request, user, name)
    except PageError as error:
        return _problem(request, user, error)
    today = node.today()
    result = worklists.query(
        node.engine, name, today, q, zone=node.settings.zone, within=user.districts
    )
    q = replace(q, page=result.page)
    columns = COLUMNS[name]
    headers = [
        {
            "header": c.header,
            "key": c.key,
            "sort": c.sort,
            "href": _link(
                name,
                q,
                sort=c.sort,
                descending=q.sort == c.sort and not q.descending,
                page=1,
            )
            if c.sort
            else None,
            "arrow": ("▼" if q.descending else "▲") if c.sort and q.sort == c.sort else "",
        }
        for c in columns
    ]
    return page(
        request,
        "console/list.html",
        user,
        name=name,
        title=LISTS_ZH[name][0],
        purpose=LISTS_ZH[name][1],
        q=q,
        result=result,
        headers=headers,
        rows=[(r, entry_links(r)) for r in result.rows],
        districts=_district_options(user, result.districts),
        page_sizes=sorted({*PAGE_SIZES, q.page_size}),
        prev=_link(name, q, page=q.page - 1) if q.page > 1 else None,
        next=_link(name, q, page=q.page + 1) if q.page < result.pages else None,
        csv=_link(name, q, ".csv"),
        xlsx=_link(name, q, ".xlsx"),
        today=today.isoformat(),
        as_of=as_of(node, None),
        kinds=KIND_ZH,
        lifecycles=LIFECYCLE_ZH,
    )


def _district_options(user: StaffUser, found: list[str]) -> list[str]:
    """The user's own scope codes, then the districts of the list within them."""
    return list(dict.fromkeys([*user.districts, *(d for d in found if user.sees(d))]))
