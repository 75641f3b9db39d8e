"""Server-rendered pages: the QR-code page in the elevator car (mobile-first, Chinese, no
JavaScript needed), with a section proving that what it shows is what the log holds.

Everything under ``/e`` answers a page a phone can show — an unknown code, a malformed one or a
path that is no code at all included — because whoever scanned it may be trapped: every page
gives 96333. Only a client that asks for JSON and not HTML gets problem+json instead."""

from __future__ import annotations

import base64
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from api.badge import RETIRED, badge, when
from api.deps import NodeDep
from api.local_time import local_date, local_time
from api.node import LedgerNode
from api.problems import Problem
from domain.model.catalogue import CATALOGUE
from domain.model.identifiers import CATEGORY_NAMES_ZH
from domain.model.scoring import adopted_scheme
from ledger.schema import log_checkpoints
from projections import read
from projections.scorecard import scorecard
from projections.status import ElevatorStatus, inspection_obligation

router = APIRouter(tags=["pages"])
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

LIFECYCLE_ZH = {
    "manufactured": "已出厂",
    "under_construction": "施工中",
    "awaiting_inspection": "待检验",
    "inspected": "待登记",
    "in_service": "在用",
    "stopped": "停用",
    "scrapped": "报废",
    "cancelled": "已注销",
}
#: what 登记状态 says of a lift out of service for a failed periodic inspection, whatever the
#: use unit declared (docs/lifecycle.md, "Must not run")
MUST_NOT_RUN_ZH = "禁止使用（定期检验不合格）"
ROLE_ZH = {
    "use_unit": "使用单位",
    "maintenance_unit": "维保单位",
    "inspection_institute": "检验机构",
    "insurer": "保险公司",
    "manufacturer": "制造单位",
    "construction_unit": "施工单位",
}
LEVEL_ZH = {"half_month": "半月", "quarterly": "季度", "half_yearly": "半年", "annual": "年度"}
#: 检验 is an inspection by an inspection institute (监督检验, 定期检验, 复检); 检测 is the
#: self-test by a testing body or the maintainer (自行检测, TSG T7008): never one for the other.
KIND_ZH = {
    "periodic": "定期检验",
    "self_test": "自行检测",
    "supervisory": "监督检验",
    "re_inspection": "复检",
}
#: How the page's history names an ``inspection.concluded`` of each kind.
INSPECTION_SUMMARY_ZH = {kind: f"{name}结论" for kind, name in KIND_ZH.items()}


def inspection_words(last_kind: str | None, next_kind: str | None) -> dict[str, str]:
    """The labels of the page's last and next inspection lines: 检验 for an institute's, 自行检测
    for a self-test, and the kind's name beside the date where the label does not say it."""
    last_test, next_test = last_kind == "self_test", next_kind == "self_test"
    return {
        "last_label": "最近自行检测" if last_test else "最近检验",
        "last_kind": "" if last_test else KIND_ZH.get(last_kind or "", ""),
        "next_label": "下次自行检测" if next_test else "下次检验",
        "inspection_kind": "" if next_test else KIND_ZH.get(next_kind or "", ""),
    }


def summary_zh(entry: dict[str, Any]) -> str:
    """What the page's history calls an entry: the catalogue's summary, or for an inspection
    its kind's (定期检验结论, 自行检测结论, ...)."""
    if entry["type"] == "inspection.concluded":
        kind = (entry.get("statement") or {}).get("data", {}).get("kind")
        if kind in INSPECTION_SUMMARY_ZH:
            return INSPECTION_SUMMARY_ZH[kind]
    return CATALOGUE[entry["type"]].summary_zh or entry["type"]


#: No identifier is longer (a rescue code or a 19-character equipment code with spaces).
MAX_IDENTIFIER = 64


def wants_html(request: Request) -> bool:
    """A browser (``Accept: text/html``) or a client that states no preference gets HTML."""
    accept = request.headers.get("accept", "").lower()
    return "text/html" in accept or "json" not in accept


def not_found(request: Request, node: LedgerNode, identifier: str | None, reason: str) -> Response:
    """The page for whatever is not a known elevator: still the emergency number, and where to
    report a lift that has no code; problem+json to a client asking for JSON only."""
    if not wants_html(request):
        return Problem(404, "not-found", "No such elevator", reason).response(request.url.path)
    shown = identifier if identifier and len(identifier) <= MAX_IDENTIFIER else None
    context = {"identifier": shown, "reason": reason, "as_of": as_of(node, None)}
    return templates.TemplateResponse(request, "not_found.html", context, status_code=404)


@router.get("/e", response_class=HTMLResponse, include_in_schema=False)
@router.get("/e/", response_class=HTMLResponse, include_in_schema=False)
def no_identifier(request: Request, node: NodeDep) -> Response:
    return not_found(request, node, None, "地址中没有电梯编号")


def zone_label(name: str) -> str:
    """How the page names the ledger's clock: 北京时间 for China's one zone, else its name."""
    return "北京时间" if name in ("Asia/Shanghai", "PRC", "Asia/Chongqing") else name


def as_of(node: LedgerNode, size: int | None) -> dict[str, Any]:
    """What the page's data reflects: the signed checkpoint (``size``, the latest if None; when
    it was signed) and how far into the log the read models have folded."""
    if size is None:  # the checkpoint the log last published, not merely the largest row
        size = node.log.latest_checkpoint().size
    query = select(log_checkpoints.c.size, log_checkpoints.c.signed_at).where(
        log_checkpoints.c.size == size
    )
    with node.engine.connect() as conn:
        row = conn.execute(query).first()
    size, signed_at = (row.size, row.signed_at) if row else (size or 0, None)
    folded = min(read.position(node.engine, "elevators"), size)
    return {
        "size": size,
        "signed_at": when(signed_at, node.settings.zone) if signed_at else None,
        "zone": zone_label(node.settings.time_zone),
        "folded": folded,
    }


def maintainer_score(
    node: LedgerNode, uscc: str | None, district: str | None
) -> dict[str, str] | None:
    """The maintainer's indicator under the scoring scheme adopted where the lift stands, as
    of today, or None where no scheme is in force (a ledger with no adopted scheme shows no
    grade). Always a computed indicator (参考), never the regulator's credit grade; a year not
    yet over is labelled as partial."""
    today = node.today()
    scheme = adopted_scheme(district, today)
    if uscc is None or scheme is None:
        return None
    card = scorecard(node.engine, uscc, today.year, scheme, zone=node.settings.zone, now=node.now())
    return {"band": card.band, "scheme": scheme.name_zh, "period": card.period.label_zh}


@router.get("/e/{identifier}", response_class=HTMLResponse, include_in_schema=False)
def elevator_page(request: Request, node: NodeDep, identifier: str) -> Response:
    if len(identifier) > MAX_IDENTIFIER:
        return not_found(request, node, identifier, "编号过长，不是电梯编号")
    # no identifier has control characters (and NUL cannot be a PostgreSQL query parameter)
    if not identifier.isprintable() or not identifier.strip():
        return not_found(request, node, None, "编号含有无效字符")
    code = read.resolve(node.engine, identifier)
    zone = node.settings.zone
    today = node.today()  # the ledger's zone: one date for the badge, parties and grade
    view = read.elevator(node.engine, code, today) if code else None
    if code is None or view is None:
        return not_found(request, node, identifier, "账本中没有这个编号的电梯")
    checkpoint = node.log.latest_checkpoint()
    _, recent = read.elevator_entries(node.engine, code, 0, 10)
    recent = [e for e in recent if e["log_index"] < checkpoint.size]
    proofs = node.log.inclusion_proofs([e["log_index"] for e in recent], checkpoint.size)
    now = node.now()
    retired = view.status.lifecycle in RETIRED
    parties = {p["role"]: p["organization"] for p in read.responsible_at(node.engine, code, now)}
    if view.maintenance_unit_today:
        parties["maintenance_unit"] = view.maintenance_unit_today
    if retired:  # nobody insures or maintains a scrapped lift, whatever the rows still say
        parties.pop("insurer", None)
        parties.pop("maintenance_unit", None)
    names = read.organization_names(
        node.engine, set(parties.values()) | {e["issuer"] for e in recent}
    )
    score = maintainer_score(node, parties.get("maintenance_unit"), view.status.district)
    if retired:
        score = None
    context: dict[str, Any] = {
        "code": code,
        "s": view.status,
        "flags": view.flags,
        "badge": badge(view.status, view.flags, now, zone),
        "retired": retired,
        "as_of": as_of(node, checkpoint.size),
        "parties": [
            (ROLE_ZH[r], parties[r], names.get(parties[r], parties[r]))
            for r in ROLE_ZH
            if r in parties
        ],
        "score": score,
        "levels": [LEVEL_ZH.get(x, x) for x in view.status.last_maintenance_levels],
        **inspection_words(view.status.last_inspection_kind, view.status.next_inspection_kind),
        "inspection": _inspection_due(view.status, today),
        "category": CATEGORY_NAMES_ZH.get(view.status.category or ""),
        "lifecycle": MUST_NOT_RUN_ZH
        if view.flags.get("must_not_run")
        else LIFECYCLE_ZH.get(view.status.lifecycle or "", "未知"),
        "recent": [
            {
                **e,
                # on the ledger's clock (e["occurred_at"] keeps the signed offset)
                "occurred_on": local_date(e["occurred_at"], zone),
                "occurred_local": local_time(e["occurred_at"], zone),
                "recorded_local": local_time(e["recorded_at"], zone),
                "summary": summary_zh(e),
                "issuer_name": names.get(e["issuer"], e["issuer"]),
                "proof": [base64.b64encode(h).decode() for h in proof],
            }
            for e, proof in zip(recent, proofs, strict=True)
        ],
        "checkpoint": checkpoint,
        "root": base64.b64encode(checkpoint.root).decode(),
        "origin": node.log.origin,
        "time_zone": node.settings.time_zone,
    }
    return templates.TemplateResponse(request, "elevator.html", context)


def _inspection_due(status: ElevatorStatus, today: date) -> dict[str, Any] | None:
    """What the page says is due: 定期检验 / 自行检测 / 复检, the date, the year of use, from the
    schedule's one function (the work lists and the replay ask the same)."""
    due = inspection_obligation(status, today)
    if due is None:
        return None
    return {
        "kind": KIND_ZH.get(str(due.kind), str(due.kind)),
        "due": due.due.isoformat(),
        "year_of_use": due.year_of_use,
        "overdue": due.overdue,
        "suspended": due.suspended,
        "self_test_in_periodic_year": due.self_test_in_periodic_year,
    }


@router.get("/e/{rest:path}", response_class=HTMLResponse, include_in_schema=False)
def not_an_identifier(request: Request, node: NodeDep, rest: str) -> Response:
    """``/e/a/b`` and the like: more than one path segment is never an elevator's code.
    Registered last, so that it catches only what :func:`elevator_page` does not. A trailing
    slash after one segment (``/e/<code>/``, as some QR readers and people type it) is sent to
    the page without it."""
    one = rest.removesuffix("/")
    if one != rest and one and "/" not in one:
        return RedirectResponse(f"/e/{quote(one, safe='')}", status_code=308)
    return not_found(request, node, None, "地址不是电梯编号")
