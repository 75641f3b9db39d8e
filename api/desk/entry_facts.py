"""An entry's public view as a few readable lines (the desk's elevator page): each field of the
statement's data under a Chinese label, organizations by name, instants on the ledger's clock,
the common coded values in words (pure).

The page shows these under the entry's title (``api.pages.summary_zh``) and keeps the exact
JSON behind a <details>: the facts are for reading, the JSON is what was signed. A field without
a label here is shown under its own name, never dropped."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

from api.local_time import local_time
from api.pages import KIND_ZH, LEVEL_ZH, ROLE_ZH

#: The data fields' labels (domain/model/catalogue).
FIELD_ZH: dict[str, str] = {
    "contract_number": "合同编号",
    "maintenance_unit": "维保单位",
    "use_unit": "使用单位",
    "valid_from": "有效期自",
    "valid_to": "有效期至",
    "policy": "维保方式",
    "visit_id": "维保编号",
    "arrived_at": "到场",
    "departed_at": "离场",
    "levels": "维保项目",
    "items": "事项",
    "parts_replaced": "更换部件",
    "problems_found": "发现问题",
    "self_check_passed": "自检合格",
    "kind": "类别",
    "conclusion": "结论",
    "next_due": "下次到期",
    "report_number": "报告编号",
    "findings": "检验发现",
    "rectification_deadline": "整改期限",
    "registration_code": "注册代码",
    "certificate_number": "证书编号",
    "regime": "登记规则",
    "reason": "原因",
    "fault_id": "故障编号",
    "code": "故障代码",
    "detected_at": "发现时间",
    "resolution": "处理结果",
    "cause": "原因",
    "rescue_id": "救援编号",
    "rescue_code": "救援识别码",
    "alarm_at": "报警时间",
    "dispatched_at": "派遣时间",
    "released_at": "解困时间",
    "trapped": "被困人数",
    "injured": "受伤人数",
    "responder": "救援单位",
    "source": "来源",
    "hazard_id": "隐患编号",
    "order_id": "通知编号",
    "description": "说明",
    "deadline": "期限",
    "responsible": "责任单位",
    "completed_on": "完成日期",
    "planned_start": "计划开工",
    "policy_number": "保单号",
    "insured": "被保险人",
    "coverage_yuan": "保额（元）",
    "amount_yuan": "金额（元）",
    "claim_number": "理赔编号",
    "complaint_id": "投诉编号",
    "channel": "渠道",
    "handling": "处理",
    "decision_number": "决定书编号",
    "action": "措施",
    "result": "结果",
    "note": "备注",
    "model": "型号",
    "factory_serial": "出厂编号",
    "manufactured_on": "制造日期",
    "buyer": "买方",
    "buyer_name": "买方名称",
    "rated_load_kg": "额定载重量（kg）",
    "rated_speed_mps": "额定速度（m/s）",
    "stops": "层站数",
    "site_address": "安装地址",
    "address": "地址",
    "district": "行政区划",
    "scrapped_on": "报废日期",
    "service_mode": "服务模式",
    "role": "角色",
    "licence": "许可",
    "number": "编号",
    "category": "类别",
    "key_id": "密钥编号",
    "algorithm": "算法",
    "bound_elevator": "绑定电梯",
    "name": "名称",
    "scope": "范围",
    "quantity": "数量",
    "type_test_certificate": "型式试验证书",
    "technicians": "维保人员",
}
#: Coded values in words (the catalogue's enums most entries carry).
VALUE_ZH: dict[str, str] = {
    **KIND_ZH,
    **LEVEL_ZH,
    **ROLE_ZH,
    "pass": "合格",
    "fail": "不合格",
    "installation": "安装",
    "modification": "改造",
    "major_repair": "重大修理",
    "relocation": "移装",
    "classic_15_day": "每 15 日一次",
    "on_demand_monthly": "按需维保（按月）",
    "on_demand_iot_quarterly": "按需维保（物联网，按季）",
    "tsg_t7001_2023": "TSG T7001-2023",
    "legacy_annual": "每年定期检验",
    "use_unit_change": "使用单位变更",
    "compliant": "符合",
    "non_compliant": "不符合",
    "ok": "正常",
    "adjusted": "已调整",
    "replaced": "已更换",
    "defect": "缺陷",
}
#: Not worth a line: the statement's own bookkeeping, or repeated by the page.
SKIPPED = frozenset({"public_key"})
_INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")
#: Lines shown at most per entry (the JSON below has everything).
MAX_FACTS = 12


def _value(value: Any, names: Mapping[str, str], zone: tzinfo) -> str | None:
    if value is None or value == [] or value == {}:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        if value in names:
            return names[value]
        if _INSTANT.match(value):
            try:
                return local_time(value, zone)
            except ValueError:
                return value
        return VALUE_ZH.get(value, value)
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return "、".join(filter(None, (_value(v, names, zone) for v in value)))
        return f"{len(value)} 项"
    if isinstance(value, dict):
        return f"{len(value)} 项"
    return str(value)


def facts(statement: Mapping[str, Any], names: Mapping[str, str], zone: tzinfo) -> list[str]:
    """``label：value`` for each field of the entry's public data, in the order signed."""
    data = statement.get("data") or {}
    lines = []
    for key, raw in data.items() if isinstance(data, dict) else ():
        if key in SKIPPED:
            continue
        shown = _value(raw, names, zone)
        if shown:
            lines.append(f"{FIELD_ZH.get(key, key)}：{shown}")
    return lines[:MAX_FACTS]


def organizations(statement: Mapping[str, Any]) -> set[str]:
    """The USCCs among the data's top-level strings (to look their names up)."""
    data = statement.get("data") or {}
    values = data.values() if isinstance(data, dict) else ()
    return {v for v in values if isinstance(v, str) and len(v) == 18 and v[:2].isalnum()}
