"""What the console calls each work list and its columns (Chinese), and each cell as text: one
definition for the page's table and the exports' columns, so a page and its export never
disagree (pure)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from api.pages import KIND_ZH, LIFECYCLE_ZH
from projections.worklists import SUSPICIOUS, Row

#: list name -> (title, what it is for), in Chinese
LISTS_ZH: dict[str, tuple[str, str]] = {
    "maintenance-overdue": ("维保逾期", "在用电梯已过下次维保日期仍未维保（按维保合同约定的周期）"),
    "inspection-overdue": ("检验检测逾期", "定期检验或自行检测已过到期日仍未进行"),
    "hazards": ("挂牌督办隐患", "挂牌督办、尚未销号的事故隐患，按整改期限排序"),
    "no-maintenance-contract": (
        "无维保合同",
        "在用电梯今天没有有效的维保合同（或没有登记的使用单位）；账本只知道合同，不判断物业管理和维修资金",
    ),
    "old-without-assessment": ("超15年未评估", "投入使用满15年、尚未进行安全评估的电梯"),
    "late-entries": ("补录记录", "有记录在事情发生很久之后才录入账本的电梯"),
    "uninsured": ("未投保", "在用电梯没有有效的电梯安全责任保险"),
    "must-not-run": ("检验不合格", "定期检验不合格且此后未再合格：不得使用"),
    "illegal-use": (
        "违规使用",
        "不合格仍使用、未登记即使用、停用期间使用、改造后未变更登记、定检年度以自行检测代替；每项附证明记录",
    ),
    SUSPICIOUS: ("可疑维保记录", "近90天内现场时长不足20分钟或补录的维保记录，值得复核"),
}


def title(name: str) -> str:
    return LISTS_ZH[name][0]


@dataclass(frozen=True)
class Column:
    """One column of a list: its key in the row, its Chinese header, the sort key it is ordered
    by (None: not sortable), and its cells as plain text for the exports (which write names and
    codes as two columns: ``export`` gives (header, text) pairs)."""

    key: str
    header: str
    sort: str | None
    export: Callable[[Row], list[tuple[str, Any]]]


def _plain(key: str, header: str) -> Callable[[Row], list[tuple[str, Any]]]:
    return lambda r: [(header, r.get(key))]


def _org(key: str, header: str) -> Callable[[Row], list[tuple[str, Any]]]:
    return lambda r: [(f"{header}名称", r.get(f"{key}_name")), (f"{header}代码", r.get(key))]


def _inspection(r: Row) -> list[tuple[str, Any]]:
    kind = r.get("next_inspection_kind")
    return [
        ("下次检验检测日期", r.get("next_inspection_due")),
        ("检验检测类别", KIND_ZH.get(kind, kind) if kind else None),
    ]


def _hazards(r: Row) -> list[tuple[str, Any]]:
    return [("督办整改期限", "、".join(r.get("hazard_deadlines") or ()) or None)]


def reasons_text(r: Row) -> str:
    """The reasons of an illegal-use or suspicious-maintenance row, with the log entries that
    prove each (as ``记录 #N``)."""
    parts = []
    for reason in r.get("reasons") or ():
        if isinstance(reason, dict):
            proofs = "、".join(f"记录 #{e['log_index']}" for e in reason["entries"])
            parts.append(f"{reason['text_zh']}（{proofs}）" if proofs else reason["text_zh"])
    for reason in r.get("reasons_zh") or ():
        parts.append(reason)
    return "；".join(parts)


def _lifecycle(r: Row) -> list[tuple[str, Any]]:
    value = r.get("lifecycle")
    return [("登记状态", LIFECYCLE_ZH.get(value, value) if value else None)]


CODE = Column("equipment_code", "设备代码", "equipment_code", _plain("equipment_code", "设备代码"))
DISTRICT = Column("district", "区划", "district", _plain("district", "行政区划代码"))
USE_UNIT = Column("use_unit", "使用单位", "use_unit", _org("use_unit", "使用单位"))
MAINTAINER = Column(
    "maintenance_unit", "维保单位", "maintenance_unit", _org("maintenance_unit", "维保单位")
)
LAST_MAINTAINER = Column(
    "maintenance_unit",
    "最近合同的维保单位",
    "maintenance_unit",
    _org("maintenance_unit", "最近合同的维保单位"),
)
MAINTENANCE_DUE = Column(
    "next_maintenance_due",
    "下次维保",
    "next_maintenance_due",
    _plain("next_maintenance_due", "下次维保日期"),
)
INSPECTION_DUE = Column("next_inspection_due", "下次检验检测", "next_inspection_due", _inspection)
HAZARD = Column("hazard_deadlines", "督办整改期限", "hazard_deadline", _hazards)
LATE = Column("late_entries", "补录条数", "late_entries", _plain("late_entries", "补录条数"))
LAST_INSPECTION = Column(
    "last_inspection_on",
    "最近检验",
    "last_inspection_on",
    _plain("last_inspection_on", "最近检验日期"),
)
LIFECYCLE = Column("lifecycle", "登记状态", None, _lifecycle)
REASONS = Column("reasons", "原因及证明记录", None, lambda r: [("原因及证明记录", reasons_text(r))])
OCCURRED = Column("occurred_at", "维保时间", "occurred_at", _plain("occurred_at", "维保时间"))
ISSUER = Column("issuer", "签署单位", "issuer", _org("issuer", "签署单位"))
ENTRY = Column("log_index", "账本记录", "log_index", _plain("log_index", "账本记录序号"))

_PARTIES = (CODE, DISTRICT, USE_UNIT, MAINTAINER)
COLUMNS: dict[str, tuple[Column, ...]] = {
    "maintenance-overdue": (*_PARTIES, MAINTENANCE_DUE),
    "inspection-overdue": (*_PARTIES, INSPECTION_DUE),
    "hazards": (*_PARTIES, HAZARD),
    "no-maintenance-contract": (CODE, DISTRICT, USE_UNIT, LAST_MAINTAINER),
    "old-without-assessment": (*_PARTIES, INSPECTION_DUE),
    "late-entries": (*_PARTIES, LATE),
    "uninsured": (*_PARTIES, MAINTENANCE_DUE, INSPECTION_DUE),
    "must-not-run": (*_PARTIES, INSPECTION_DUE),
    "illegal-use": (*_PARTIES, LIFECYCLE, LAST_INSPECTION, REASONS),
    SUSPICIOUS: (*_PARTIES, OCCURRED, ISSUER, REASONS, ENTRY),
}


def export_header(name: str) -> list[str]:
    """The exports' header row for list ``name`` (from a row with nothing in it)."""
    return [h for c in COLUMNS[name] for h, _ in c.export({})]


def export_cells(name: str, row: Row) -> list[Any]:
    """One row of list ``name`` as the exports write it, in :func:`export_header`'s order."""
    return [v for c in COLUMNS[name] for _, v in c.export(row)]


def entry_links(row: Row) -> list[int]:
    """The log indexes of the entries a row is proved by (its reasons' entries, or its own)."""
    out = [
        e["log_index"]
        for r in row.get("reasons") or ()
        if isinstance(r, dict)
        for e in r["entries"]
    ]
    if row.get("log_index") is not None:
        out.append(row["log_index"])
    return out
