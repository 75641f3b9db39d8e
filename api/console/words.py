"""How the console's organization, scorecard and entry pages name things in Chinese (pure).

Roles, licence kinds, scorecard rules and their details: one table each, so that the pages and
their tests use the same words."""

from __future__ import annotations

import re
from typing import Any

from api.pages import ROLE_ZH as PUBLIC_ROLE_ZH

ROLE_ZH = {
    **PUBLIC_ROLE_ZH,
    "testing_body": "检测机构",
    "rescue_platform": "96333 应急处置平台",
    "regulator": "市场监管部门",
}
LICENCE_ZH = {
    "manufacture": "制造许可",
    "installation_repair": "安装改造修理许可",
    "inspection": "检验机构核准",
    "testing": "检测机构核准",
}
#: Each rule of projections/scorecard.py.
RULE_ZH = {
    "rescue-arrival-late": "救援到场超时",
    "rescue-arrival-missing": "救援超时未到场",
    "faults-in-a-month": "单台电梯一个月内故障次数过多",
    "first-time-pass-rate": "定期检验一次合格率偏低",
    "maintenance-overdue": "维保间隔超期",
    "penalty": "受到行政处罚",
}
_LATE = re.compile(r"arrived after (\d+) min \(limit (\d+) min\), recorded by (\S+?)(?:,|$)")
_MISSING = re.compile(r"no arrival recorded within limit (\d+) min")
_FAULTS = re.compile(r"(\d+) faults in month (\d+)")
_RATE = re.compile(r"first-time pass rate (\d+)% of (\d+)")
_GAP = re.compile(r"(\d+) days between visits")
_PENALTY = re.compile(r"penalty (.*)")


def rule_zh(item: str) -> str:
    return RULE_ZH.get(item, item)


def detail_zh(point: dict[str, Any], names: dict[str, str]) -> str:
    """The point's detail in Chinese (the scorecard writes it in English for the API)."""
    detail = str(point.get("detail", ""))
    if m := _LATE.search(detail):
        who = names.get(m[3], m[3])
        return f"报警后 {m[1]} 分钟到场（时限 {m[2]} 分钟），到场由 {who} 记录"
    if m := _MISSING.search(detail):
        return f"时限 {m[1]} 分钟内无到场记录"
    if m := _FAULTS.search(detail):
        return f"{m[2]} 月内故障 {m[1]} 次"
    if m := _RATE.search(detail):
        return f"定期检验一次合格率 {m[1]}%（共 {m[2]} 次）"
    if m := _GAP.search(detail):
        return f"两次维保相隔 {m[1]} 天"
    if m := _PENALTY.search(detail):
        return f"处罚决定书 {m[1]}"
    return detail


#: The personal fields' names (domain/model/catalogue personal_fields).
FIELD_ZH = {
    "technicians": "维保人员",
    "name": "姓名",
    "certificate_number": "证书编号",
    "confirmed_by": "确认人",
    "complainant_contact": "投诉人联系方式",
    "legal_representative": "法定代表人",
}
_LOCATION_PART = re.compile(r"(\w+)(?:\[(\d+)\])?")


def field_zh(location: str) -> str:
    """``technicians[1].name`` → ``维保人员 2 · 姓名``."""
    words = []
    for part in location.split("."):
        m = _LOCATION_PART.fullmatch(part)
        if m is None:
            return location
        word = FIELD_ZH.get(m[1], m[1])
        words.append(f"{word} {int(m[2]) + 1}" if m[2] is not None else word)
    return " · ".join(words)
