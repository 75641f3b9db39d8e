"""Server-rendered pages: the QR-code page in the elevator car (mobile-first, Chinese, no
JavaScript needed), with a section proving that what it shows is what the log holds."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.deps import NodeDep
from api.local_time import local_date, local_time
from domain.catalogue import CATALOGUE
from projections import read
from projections.scorecard import FUJIAN_2024, scorecard

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
ROLE_ZH = {
    "use_unit": "使用单位",
    "maintenance_unit": "维保单位",
    "inspection_institute": "检验机构",
    "insurer": "保险公司",
    "manufacturer": "制造单位",
    "construction_unit": "施工单位",
}
LEVEL_ZH = {"half_month": "半月", "quarterly": "季度", "half_yearly": "半年", "annual": "年度"}
KIND_ZH = {
    "periodic": "定期检验",
    "self_test": "自行检测",
    "supervisory": "监督检验",
    "re_inspection": "复检",
}


def badge(view: read.ElevatorView) -> tuple[str, str]:
    """(Chinese label, css class): the one thing a passenger should see first."""
    s, f = view.status, view.flags
    if s.lifecycle in ("scrapped", "cancelled"):
        return LIFECYCLE_ZH[s.lifecycle], "bad"
    if s.lifecycle == "stopped":
        return "停用", "bad"
    if s.last_inspection_conclusion == "fail" or f["inspection_overdue"]:
        return "检验逾期" if f["inspection_overdue"] else "检验不合格", "bad"
    if f["under_supervision"]:
        return "挂牌督办", "bad"
    if f["maintenance_overdue"]:
        return "维保逾期", "warn"
    if s.lifecycle == "in_service":
        return "正常使用", "ok"
    return LIFECYCLE_ZH.get(s.lifecycle or "", "未知"), "warn"


@router.get("/e/{identifier}", response_class=HTMLResponse, include_in_schema=False)
def elevator_page(
    request: Request,
    node: NodeDep,
    identifier: Annotated[str, PathParam(min_length=1, max_length=64)],
) -> HTMLResponse:
    # no identifier has control characters (and NUL cannot be a PostgreSQL query parameter)
    code = read.resolve(node.engine, identifier) if identifier.isprintable() else None
    zone = node.settings.zone
    today = node.today()  # the ledger's zone: one date for the badge, parties and grade
    view = read.elevator(node.engine, code, today) if code else None
    if code is None or view is None:
        return templates.TemplateResponse(
            request, "not_found.html", {"identifier": identifier}, status_code=404
        )
    checkpoint = node.log.latest_checkpoint()
    _, recent = read.elevator_entries(node.engine, code, 0, 10)
    recent = [e for e in recent if e["log_index"] < checkpoint.size]
    proofs = node.log.inclusion_proofs([e["log_index"] for e in recent], checkpoint.size)
    parties = {
        p["role"]: p["organization"] for p in read.responsible_at(node.engine, code, node.now())
    }
    if view.maintenance_unit_today:
        parties["maintenance_unit"] = view.maintenance_unit_today
    names = read.organization_names(
        node.engine, set(parties.values()) | {e["issuer"] for e in recent}
    )
    grade = None
    if parties.get("maintenance_unit"):
        card = scorecard(node.engine, parties["maintenance_unit"], today.year, zone=zone)
        grade = card.grade(FUJIAN_2024)
    label, tone = badge(view)
    context: dict[str, Any] = {
        "code": code,
        "s": view.status,
        "flags": view.flags,
        "label": label,
        "tone": tone,
        "parties": [
            (ROLE_ZH[r], parties[r], names.get(parties[r], parties[r]))
            for r in ROLE_ZH
            if r in parties
        ],
        "grade": grade,
        "levels": [LEVEL_ZH.get(x, x) for x in view.status.last_maintenance_levels],
        "inspection_kind": KIND_ZH.get(view.status.next_inspection_kind or "", ""),
        "lifecycle": LIFECYCLE_ZH.get(view.status.lifecycle or "", "未知"),
        "recent": [
            {
                **e,
                # on the ledger's clock (e["occurred_at"] keeps the signed offset)
                "occurred_on": local_date(e["occurred_at"], zone),
                "occurred_local": local_time(e["occurred_at"], zone),
                "recorded_local": local_time(e["recorded_at"], zone),
                "summary": CATALOGUE[e["type"]].summary_zh or e["type"],
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
