"""The console's dashboard (/console): every work list's count and four charts (maintenance on
time, faults, rescue arrival times, inspections due) for the signed-in regulator's districts,
or one district picked among them (``?district=``, a GET form).

Each number links to what it counts: a work list (``/console/lists/{name}``, with the same
``district``) or the elevators behind a bar (``/console/elevators/{code}``, listed in the
chart's table). Dates are the ledger's calendar (``node.today()``); the page says which signed
checkpoint its data reflects. The counting rules are projections/chart_data.py's, the drawing
api/console/charts.py's.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.console.charts import Bar, Chart, Marker, Segment, month_bars, render
from api.console.worklist_views import title as list_title
from api.deps import NodeDep
from api.node import LedgerNode
from api.pages import KIND_ZH, as_of
from api.web.identity import StaffUser
from api.web.render import page
from api.web.session import ConsoleUserDep
from domain.model.areas import area_name
from projections.chart_data import BIN_MINUTES, Outcome
from projections.dashboard import LIST_NAMES, Charts, Scope, dashboard, scope_districts

router = APIRouter(include_in_schema=False)

#: what one row of each work list is (its title is the list page's own, worklist_views.title)
UNIT_ZH = {"suspicious-maintenance": "条"}
#: lists whose every row is a lift a regulator should act on at once
ALERTS = frozenset({"hazards", "must-not-run", "illegal-use"})
OUTCOME_ZH = {
    Outcome.ON_TIME: "按期",
    Outcome.LATE: "逾期完成",
    Outcome.MISSED: "漏保",
    Outcome.OPEN: "未到判定时",
}
OUTCOME_KIND = {Outcome.ON_TIME: "ok", Outcome.LATE: "late", Outcome.MISSED: "missed"}
DISTRICT = re.compile(r"[0-9]{6}")  # fullmatch: no trailing newline, ASCII digits
SHOWN_LIFTS = 10


def district_name(code: str) -> str:
    """The district's name where the ledger's policy data names it, else its code alone."""
    name = area_name(code)
    return f"{code} {name}" if name else code


def scope_name(code: str) -> str:
    """An account's scope as the selector names it: a province's or a city's code covers the
    districts under it (domain/model/jurisdiction.py)."""
    if code.endswith("0000"):
        return f"{code} 全省"
    if code.endswith("00"):
        return f"{code} 全市（含所辖区县）"
    return district_name(code)


@router.get("/console", response_class=HTMLResponse)
def dashboard_page(
    request: Request, node: NodeDep, user: ConsoleUserDep, district: str | None = None
) -> Response:
    """The dashboard for the user's scope; a malformed district is a 400 page, one outside the
    user's districts a 403 page (nothing about it is shown)."""
    picked = district or None
    today = node.today()  # once: the counts, the charts and the date shown are the same day
    choices = scope_districts(node.engine, user.districts)
    common: dict[str, Any] = {
        "as_of": as_of(node, None),
        "today": today,
        "choices": [(c, district_name(c)) for c in choices],
        "picked": picked,
        "scope_names": [scope_name(d) for d in user.districts],
    }
    if picked is not None and not DISTRICT.fullmatch(picked):
        error = "区划代码应为 6 位数字（GB/T 2260），例如 430903。"
        return page(request, "console/dashboard.html", user, 400, error=error, **common)
    if picked is not None and not user.sees(picked):
        error = f"区划 {picked} 不在您的辖区（{'、'.join(user.districts)}）内，无法查看。"
        return page(request, "console/dashboard.html", user, 403, error=error, **common)
    return page(
        request, "console/dashboard.html", user, **common, **_content(node, user, picked, today)
    )


def _content(node: LedgerNode, user: StaffUser, picked: str | None, today: date) -> dict[str, Any]:
    scope, zone = Scope(user.districts, picked), node.settings.zone
    counts, data = dashboard(node.engine, scope, today, node.now(), zone=zone)
    query = f"?{urlencode({'district': picked})}" if picked else ""
    return {
        "tiles": [_tile(name, counts[name], query) for name in LIST_NAMES],
        "lifts": data.lifts,
        "maintenance": _maintenance(data),
        "faults": _faults(data),
        "arrivals": _arrivals(data),
        "inspections": _inspections(data, query),
        "query": query,
    }


def _tile(name: str, count: int, query: str) -> dict[str, Any]:
    title, unit = list_title(name), UNIT_ZH.get(name, "台")
    return {
        "name": name,
        "title": title,
        "unit": unit,
        "count": count,
        "href": f"/console/lists/{name}{query}",
        "alert": name in ALERTS and count > 0,
    }


def elevator_href(code: str) -> str:
    return f"/console/elevators/{code}"


def _lifts(codes: Any) -> dict[str, Any]:
    """Up to :data:`SHOWN_LIFTS` elevators (sorted) and how many more there are."""
    ordered = sorted(codes)
    shown = [{"code": c, "href": elevator_href(c)} for c in ordered[:SHOWN_LIFTS]]
    return {"shown": shown, "more": len(ordered) - len(shown)}


def _maintenance(data: Charts) -> dict[str, Any]:
    rows, segments = [], []
    for m in data.maintenance:
        anchor = f"maint-{m.month.label}"
        segs = tuple(
            Segment(
                m.counts[o],
                OUTCOME_KIND.get(o, "open"),
                f"{m.month.label} {OUTCOME_ZH[o]} {m.counts[o]} 次",
                f"#{anchor}" if o is not Outcome.ON_TIME else None,
            )
            for o in Outcome
        )
        segments.append(segs)
        rate = m.rate()
        rows.append(
            {
                "anchor": anchor,
                "month": m.month.label,
                "owed": m.owed,
                "counts": {o.value: m.counts[o] for o in Outcome},
                "rate": f"{rate:.0%}" if rate is not None else "—",
                "late": _lifts(m.lifts[Outcome.LATE]),
                "missed": _lifts(m.lifts[Outcome.MISSED]),
            }
        )
    bars = tuple(
        Bar(b.label, b.segments, b.sublabel, href=f"#{row['anchor']}" if b.total else None)
        for b, row in zip(
            month_bars([(m.month.year, m.month.month) for m in data.maintenance], segments),
            rows,
            strict=True,
        )
    )
    chart = Chart(
        "chart-maintenance",
        "按月维保及时情况（近12个月）",
        "应保月份（到期日所在月）",
        "应保次数",
        bars,
        "每月到期的应保次数，按期、逾期完成、漏保与未到判定时分段堆叠。",
    )
    return {"svg": render(chart), "rows": rows, "legend": _legend()}


def _legend() -> list[dict[str, str]]:
    return [{"kind": OUTCOME_KIND.get(o, "open"), "text": OUTCOME_ZH[o]} for o in Outcome]


def _faults(data: Charts) -> dict[str, Any]:
    rows, segments = [], []
    for m in data.faults:
        anchor = f"faults-{m.month.label}"
        href = f"#{anchor}" if m.count else None
        segments.append((Segment(m.count, "bar", f"{m.month.label} 故障 {m.count} 次", href),))
        top = m.lifts.most_common()
        rows.append(
            {
                "anchor": anchor,
                "month": m.month.label,
                "count": m.count,
                "lifts": [
                    {"code": c, "n": n, "href": elevator_href(c)} for c, n in top[:SHOWN_LIFTS]
                ],
                "more": max(len(top) - SHOWN_LIFTS, 0),
            }
        )
    bars = tuple(
        Bar(b.label, b.segments, b.sublabel, href=b.segments[0].href)
        for b in month_bars([(m.month.year, m.month.month) for m in data.faults], segments)
    )
    chart = Chart(
        "chart-faults",
        "按月故障报告数（近12个月）",
        "报告月份",
        "故障报告（条）",
        bars,
        "每月记入账本的故障报告（fault.reported）条数。",
    )
    return {"svg": render(chart), "rows": rows, "total": sum(m.count for m in data.faults)}


def _arrivals(data: Charts) -> dict[str, Any]:
    a = data.arrivals
    rows = [
        {
            "anchor": f"arrival-{b.low}",
            "label": b.label,
            "count": b.count,
            "lifts": _lifts({r.equipment_code for r in b.rescues}),
        }
        for b in a.bins
    ]
    segments = tuple(
        Bar(
            str(b.low) if b.low % (2 * BIN_MINUTES) == 0 else "",
            (
                Segment(
                    b.count,
                    "bar",
                    f"{b.label} 分钟：{b.count} 起",
                    f"#arrival-{b.low}" if b.count else None,
                ),
            ),
        )
        for b in a.bins
    )
    markers = tuple(Marker(limit / BIN_MINUTES, f"时限{limit}分") for limit in a.limits)
    chart = Chart(
        "chart-arrivals",
        "困人救援到达用时分布（近12个月）",
        "报警到到达用时（分钟，每5分钟一档）",
        "救援（起）",
        segments,
        "按报警到救援人员到达的分钟数分档计数；虚线为所在区县的到达时限。",
        markers,
        show_totals=False,
        edge_labels=True,
    )
    over = [
        {
            "code": r.equipment_code,
            "href": elevator_href(r.equipment_code),
            "rescue_id": r.rescue_id,
            "minutes": f"{r.minutes:.0f}" if r.minutes is not None else None,
            "limit": r.limit_minutes,
            "alarm_entry": f"/console/entries/{r.alarm_log_index}",
            "arrived_entry": (
                f"/console/entries/{r.arrived_log_index}"
                if r.arrived_log_index is not None
                else None
            ),
            "alarm_at": r.alarm_at,
        }
        for r in sorted(a.over_limit, key=lambda r: r.alarm_at, reverse=True)
    ]
    return {
        "svg": render(chart),
        "rows": rows,
        "total": a.total,
        "over": over,
        "not_arrived": len(a.not_arrived),
        "limits": a.limits,
    }


def _inspections(data: Charts, query: str) -> dict[str, Any]:
    overdue_href = f"/console/lists/inspection-overdue{query}"
    weeks = []
    bars = [
        Bar(
            "已逾期",
            (Segment(len(data.inspections_overdue), "over", "已逾期", overdue_href),),
            href=overdue_href,
        )
    ]
    for i, w in enumerate(data.inspection_weeks, start=1):
        anchor = f"insp-w{i}"
        href = f"#{anchor}" if w.due else None
        bars.append(
            Bar(
                f"{w.first.month}/{w.first.day}",
                (Segment(len(w.due), "bar", f"{w.label} 到期 {len(w.due)} 台", href),),
                sublabel=f"–{w.last.month}/{w.last.day}",
                href=href,
            )
        )
        weeks.append(
            {
                "anchor": anchor,
                "label": w.label,
                "first": w.first,
                "last": w.last,
                "due": [
                    {
                        "code": d.equipment_code,
                        "href": elevator_href(d.equipment_code),
                        "due": d.due,
                        "kind": KIND_ZH.get(d.kind, d.kind),
                    }
                    for d in w.due
                ],
            }
        )
    chart = Chart(
        "chart-inspections",
        "未来30天到期的检验（检测）",
        "到期周（自今天起每7天）",
        "电梯（台）",
        tuple(bars),
        "已逾期的台数，以及今后30天内每周到期的定期检验或自行检测台数。",
    )
    return {
        "svg": render(chart),
        "weeks": weeks,
        "overdue": len(data.inspections_overdue),
        "overdue_href": overdue_href,
    }
