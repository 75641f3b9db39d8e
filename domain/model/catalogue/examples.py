"""A valid example statement of every type, from example organizations about an example
elevator (integration docs, tests, demo)."""

from __future__ import annotations

import base64
import copy
import hashlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from domain.model.catalogue.registry import Subject, statement_type
from domain.model.identifiers import make_uscc
from domain.model.roles import Role

#: A valid example USCC for each role (Yiyang, Hunan unless noted).
EXAMPLE_ORGANIZATIONS: Mapping[Role, str] = MappingProxyType(
    {
        Role.REGULATOR: make_uscc("11430900MB0000001"),
        Role.MANUFACTURER: make_uscc("91320500MA1M00001"),  # Suzhou, Jiangsu
        Role.CONSTRUCTION_UNIT: make_uscc("91430900MA4L00002"),
        Role.MAINTENANCE_UNIT: make_uscc("91430900MA4L00003"),
        Role.INSPECTION_INSTITUTE: make_uscc("12430000MB0000004"),  # Hunan provincial
        Role.TESTING_BODY: make_uscc("91430100MA4L00005"),  # Changsha
        Role.USE_UNIT: make_uscc("91430902MA4L00006"),
        Role.INSURER: make_uscc("91430000MA4L00007"),
        Role.RESCUE_PLATFORM: make_uscc("12430900MB0000008"),
    }
)
#: The example elevator: a 2015 traction passenger lift.
EXAMPLE_ELEVATOR = "311023010201500098"
_ORGS = EXAMPLE_ORGANIZATIONS
_R = Role
_PUBLIC_KEY = base64.b64encode(bytes(range(32))).decode()

_EXAMPLES: Mapping[str, tuple[Role, dict[str, Any]]] = {
    "org.registered": (
        _R.REGULATOR,
        {
            "name": "益阳市安顺电梯维保有限公司",
            "district": "430903",
            "address": "益阳市赫山区龙岭大道88号",
            "legal_representative": "张三",
        },
    ),
    "org.role_granted": (
        _R.REGULATOR,
        {"role": "maintenance_unit", "valid_from": "2024-01-01", "valid_to": None},
    ),
    "org.role_revoked": (_R.REGULATOR, {"role": "maintenance_unit", "reason": "业务终止"}),
    "org.licence_granted": (
        _R.REGULATOR,
        {
            "kind": "installation_repair",
            "number": "TS3343001-2027",
            "scope": ["3110", "3120", "3310"],
            "valid_from": "2023-06-01",
            "valid_to": "2027-05-31",
        },
    ),
    "org.licence_revoked": (
        _R.REGULATOR,
        {"number": "TS3343001-2027", "reason": "超出许可范围作业"},
    ),
    "key.registered": (
        _R.MAINTENANCE_UNIT,
        {"key_id": "k2024-01", "algorithm": "ed25519", "public_key": _PUBLIC_KEY},
    ),
    "key.revoked": (_R.MAINTENANCE_UNIT, {"key_id": "k2024-01", "reason": "设备遗失"}),
    "elevator.manufactured": (
        _R.MANUFACTURER,
        {
            "category": "3110",
            "model": "GeN2-MR",
            "factory_serial": "5R16074",
            "type_test_certificate": "TSX3110-2014-0123",
            "rated_load_kg": 1000,
            "rated_speed_mps": "1.75",
            "stops": 18,
            "manufactured_on": "2015-03-12",
        },
    ),
    "elevator.sold": (
        _R.MANUFACTURER,
        {
            "buyer": _ORGS[Role.USE_UNIT],
            "buyer_name": "益阳市资阳区幸福里物业管理有限公司",
            "contract_number": "XS-2015-0456",
        },
    ),
    "construction.notified": (
        _R.CONSTRUCTION_UNIT,
        {
            "kind": "installation",
            "site_address": "益阳市资阳区幸福里小区3栋2单元",
            "district": "430902",
            "planned_start": "2015-09-01",
        },
    ),
    "construction.completed": (
        _R.CONSTRUCTION_UNIT,
        {"kind": "installation", "completed_on": "2016-04-20", "self_check_passed": True},
    ),
    "inspection.concluded": (
        _R.INSPECTION_INSTITUTE,
        {
            "kind": "supervisory",
            "conclusion": "pass",
            "report_number": "JD-2016-3337",
            "findings": [],
            "next_due": "2017-05-31",
        },
    ),
    "registration.issued": (
        _R.REGULATOR,
        {
            "registration_code": "31104309002016053337",
            "certificate_number": "梯11湘H3622(16)",
            "use_unit": _ORGS[Role.USE_UNIT],
            "district": "430902",
            "regime": "legacy_annual",
        },
    ),
    "registration.changed": (
        _R.REGULATOR,
        {
            "reason": "use_unit_change",
            "registration_code": "31104309002016053337",
            "certificate_number": "梯11湘H3622(24)",
            "use_unit": _ORGS[Role.USE_UNIT],
            "district": "430902",
        },
    ),
    "registration.cancelled": (_R.REGULATOR, {"reason": "设备已报废"}),
    "rescue_code.assigned": (_R.RESCUE_PLATFORM, {"rescue_code": "035302"}),
    "maintenance_contract.signed": (
        _R.MAINTENANCE_UNIT,
        {
            "contract_number": "WB-2024-0017",
            "maintenance_unit": _ORGS[Role.MAINTENANCE_UNIT],
            "use_unit": _ORGS[Role.USE_UNIT],
            "valid_from": "2024-01-01",
            "valid_to": "2024-12-31",
            "policy": "classic_15_day",
        },
    ),
    "maintenance_contract.ended": (
        _R.USE_UNIT,
        {"contract_number": "WB-2024-0017", "reason": "合同期满"},
    ),
    "maintenance.performed": (
        _R.MAINTENANCE_UNIT,
        {
            "visit_id": "V-20240506-0098",
            "levels": ["half_month", "quarterly"],
            "items": [
                {"code": "A1.1", "result": "ok"},
                {"code": "A1.5", "result": "adjusted", "note": "制动器间隙调整"},
                {"code": "A2.3", "result": "replaced"},
            ],
            "parts_replaced": [{"name": "层门滑块", "quantity": 2}],
            "problems_found": [{"description": "厅门滑块磨损", "handling": "已更换"}],
            "arrived_at": "2024-05-06T09:30:00+08:00",
            "departed_at": "2024-05-06T10:25:00+08:00",
            "technicians": [
                {"name": "李四", "certificate_number": "T430902198001011234"},
                {"name": "王五", "certificate_number": "T430903198502022345"},
            ],
        },
    ),
    "maintenance.confirmed": (
        _R.USE_UNIT,
        {"visit_id": "V-20240506-0098", "confirmed_by": "赵六"},
    ),
    "fault.reported": (
        _R.MAINTENANCE_UNIT,
        {
            "fault_id": "F-20240507-01",
            "code": "02",
            "service_mode": 1,
            "detected_at": "2024-05-07T08:12:33+08:00",
        },
    ),
    "fault.cleared": (
        _R.MAINTENANCE_UNIT,
        {"fault_id": "F-20240507-01", "cause": "门刀变形", "action": "校正门刀"},
    ),
    "rescue.alarm": (
        _R.RESCUE_PLATFORM,
        {
            "rescue_id": "R-20240508-07",
            "source": "96333",
            "alarm_at": "2024-05-08T19:02:10+08:00",
            "trapped": 2,
        },
    ),
    "rescue.dispatched": (
        _R.RESCUE_PLATFORM,
        {
            "rescue_id": "R-20240508-07",
            "dispatched_at": "2024-05-08T19:03:00+08:00",
            "responder": _ORGS[Role.MAINTENANCE_UNIT],
        },
    ),
    "rescue.arrived": (
        _R.MAINTENANCE_UNIT,
        {"rescue_id": "R-20240508-07", "arrived_at": "2024-05-08T19:16:45+08:00"},
    ),
    "rescue.released": (
        _R.MAINTENANCE_UNIT,
        {
            "rescue_id": "R-20240508-07",
            "released_at": "2024-05-08T19:24:00+08:00",
            "trapped": 2,
            "injured": 0,
            "cause": "door_system",
        },
    ),
    "use.stopped": (_R.USE_UNIT, {"reason": "小区改造施工"}),
    "use.resumed": (_R.USE_UNIT, {"note": "施工结束"}),
    "elevator.scrapped": (
        _R.USE_UNIT,
        {"scrapped_on": "2031-06-30", "reason": "安全评估结论为报废"},
    ),
    "hazard.listed": (
        _R.REGULATOR,
        {"hazard_id": "H-2024-012", "description": "曳引钢丝绳断丝超标", "deadline": "2024-06-30"},
    ),
    "rectification.ordered": (
        _R.INSPECTION_INSTITUTE,
        {
            "order_id": "ZG-2024-031",
            "hazard_id": "H-2024-012",
            "items": ["更换曳引钢丝绳"],
            "deadline": "2024-06-15",
        },
    ),
    "rectification.completed": (
        _R.MAINTENANCE_UNIT,
        {"order_id": "ZG-2024-031", "description": "已更换全部曳引钢丝绳"},
    ),
    "hazard.closed": (_R.REGULATOR, {"hazard_id": "H-2024-012", "note": "复查合格，销号"}),
    "supervision.checked": (
        _R.REGULATOR,
        {"result": "non_compliant", "findings": ["维保记录缺少使用单位确认"]},
    ),
    "penalty.imposed": (
        _R.REGULATOR,
        {
            "decision_number": "益市监罚〔2024〕12号",
            "target": _ORGS[Role.MAINTENANCE_UNIT],
            "amount_yuan": "20000.00",
            "reason": "未按规定进行维护保养",
        },
    ),
    "assessment.concluded": (
        _R.INSPECTION_INSTITUTE,
        {"conclusion": "continue", "report_number": "PG-2031-0042"},
    ),
    "insurance.policy_issued": (
        _R.INSURER,
        {
            "policy_number": "PZ-2024-88001",
            "insured": _ORGS[Role.USE_UNIT],
            "valid_from": "2024-01-01",
            "valid_to": "2024-12-31",
            "coverage_yuan": "1000000.00",
        },
    ),
    "insurance.claim_paid": (
        _R.INSURER,
        {
            "policy_number": "PZ-2024-88001",
            "claim_number": "LP-2024-0301",
            "amount_yuan": "3500.00",
            "rescue_id": "R-20240508-07",
        },
    ),
    "complaint.received": (
        _R.RESCUE_PLATFORM,
        {
            "complaint_id": "TS-2024-0420",
            "channel": "qr_scan",
            "summary": "电梯运行时异响",
            "complainant_contact": "138****0000",
        },
    ),
    "complaint.resolved": (
        _R.REGULATOR,
        {"complaint_id": "TS-2024-0420", "resolution": "已责令维保单位检修，异响消除"},
    ),
}


def example_statement(name: str) -> dict[str, Any]:
    """A valid example statement (a JSON-ready dict) for the catalogue type ``name``."""
    st = statement_type(name)
    role, data = _EXAMPLES[name]
    issuer = _ORGS[role]
    stmt: dict[str, Any] = {"type": name}
    if st.subject is Subject.ELEVATOR:
        stmt["elevator"] = EXAMPLE_ELEVATOR
    else:
        # trust statements are about the maintenance unit; keys are registered by itself
        stmt["organization"] = _ORGS[Role.MAINTENANCE_UNIT]
    stmt["issuer"] = issuer
    stmt["occurred_at"] = "2024-05-06T10:30:00+08:00"
    stmt["nonce"] = hashlib.sha256(name.encode()).hexdigest()[:32]
    stmt["data"] = copy.deepcopy(data)
    return stmt
