"""What the elevator's file says, in Chinese: identifiers, flags, the replay's accountability
report (who answered for the lift, what was overdue, what was open) and what each step changed.

The report's claims are the replay's (:mod:`domain.replay`); only their wording is made here,
from the claim's own fields, the replayed state and the statements of the entries that prove it
— never from anything else. Each proving entry becomes an :class:`EntryLink` (its version, log
index and entry hash) so the page links it to ``/console/entries/{i}``. The words the QR page
already has (roles, lifecycle, inspection kinds) are imported from it, so the console and the
page in the car cannot name one thing two ways.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import Any

from api.local_time import local_time
from api.pages import KIND_ZH, LIFECYCLE_ZH, ROLE_ZH, summary_zh
from domain.model.catalogue import CATALOGUE
from domain.replay import AccountabilityReport, Evidence, Obligation, OpenItem, Party, Replay
from domain.replay.steps import Step

IDENTIFIER_KIND_ZH = {
    "equipment_code": "设备代码",
    "registration_code": "注册代码",
    "use_certificate_number": "使用登记证编号",
    "rescue_code": "96333 救援识别码",
    "factory_serial": "出厂编号",
}
#: Each flag of ``projections.status.flags``, as a regulator reads it.
FLAG_ZH = {
    "maintenance_overdue": "维保逾期",
    "inspection_overdue": "检验逾期",
    "uninsured": "在用未投保责任保险",
    "no_maintenance_contract": "在用无有效维保合同",
    "old_without_assessment": "使用超过 15 年未做安全评估",
    "late_entries": "有逾期补录的记录",
    "under_supervision": "有挂牌督办隐患",
    "self_test_in_periodic_year": "定期检验年度以自行检测代替",
    "must_not_run": "定期检验不合格，禁止使用",
    "used_while_failed": "检验不合格后仍在使用",
    "used_while_stopped": "停用期间仍在使用",
    "used_unregistered": "曾在未办理使用登记时使用",
    "modified_without_change_registration": "改造后未办理变更登记",
    "illegal_use": "违规使用",
}
OBLIGATION_ZH = {"maintenance": "维保", "inspection": "检验", "maintenance_contract": "维保合同"}
OPEN_KIND_ZH = {
    "failed_inspection": "检验不合格",
    "hazard": "隐患（挂牌督办）",
    "rectification_order": "整改指令",
    "fault": "故障",
    "rescue": "困人救援",
    "complaint": "投诉",
}
RESCUE_STAGE_ZH = {
    "alarm": "已报警",
    "dispatched": "已派遣救援",
    "arrived": "救援人员已到达",
    "released": "已解困",
}
CONSTRUCTION_KIND_ZH = {
    "installation": "安装",
    "modification": "改造",
    "major_repair": "重大修理",
    "relocation": "移装",
}
CONCLUSION_ZH = {"pass": "合格", "fail": "不合格"}
#: GB/T 24476 fault codes (domain.model.catalogue.enums.FaultCode).
FAULT_ZH = {
    "01": "安全回路断路",
    "02": "关门故障",
    "03": "开门故障",
    "04": "轿厢在开锁区域外停止",
    "05": "轿厢意外移动",
    "06": "电动机运转时间限制器动作",
    "07": "楼层位置丢失",
    "08": "防止电梯再运行",
    "09": "冲顶",
    "10": "蹲底",
    "11": "困人",
    "61": "扶梯安全回路断路",
    "62": "扶梯超速",
    "63": "扶梯非操纵逆转",
    "64": "扶梯梯级缺失",
    "65": "扶梯再启动故障",
}
#: The replayed state's fields, as a step's changes name them (``contracts[WB-1].ended_on``).
FIELD_ZH = {
    "category": "品种",
    "manufacturer": "制造单位",
    "lifecycle": "状态",
    "manufactured_at": "出厂时间",
    "construction": "施工",
    "last_construction_kind": "最近施工类别",
    "awaiting_supervisory": "待监督检验",
    "failed_inspection_open": "未复检合格的不合格检验",
    "last_supervisory_pass_at": "最近监督检验合格",
    "last_periodic_pass_at": "最近定期检验合格",
    "registration": "使用登记",
    "rescue_code": "救援识别码",
    "contracts": "维保合同",
    "visits": "维保记录",
    "open_faults": "未排除故障",
    "rescues": "救援",
    "hazards": "隐患",
    "rectification_orders": "整改指令",
    "stopped_at": "停用时间",
    "scrapped_at": "报废时间",
    "open_complaints": "投诉",
    "insurance_policies": "保险单",
    "used_unregistered": "未登记使用",
    "change_registration_due": "待办理变更登记",
    "used_while_stopped": "停用期间使用",
    "inspections": "检验计划",
    "policy_insurers": "保险单承保人",
}
AXIS_ZH = {"occurred": "按发生时间", "recorded": "按记录时间"}
#: The one sentence that says what the two axes are.
AXES_EXPLAINED = (
    "按发生时间：截至该时刻实际发生了什么（事后补录的记录也计入）；"
    "按记录时间：截至该时刻账本已经知道什么（当时尚未录入的记录不计入）。"
)


def type_zh(type_: str) -> str:
    """The catalogue's Chinese name of a statement type (the type itself if it has none)."""
    found = CATALOGUE.get(type_)
    return (found.summary_zh if found else "") or type_


def flags_zh(flags: Mapping[str, bool], next_inspection_kind: str | None) -> list[str]:
    """The flags that hold, in Chinese (检测逾期 where what is overdue is a self-test, as the QR
    page's badge says)."""
    out = []
    for name, raised in flags.items():
        if not raised:
            continue
        if name == "inspection_overdue" and next_inspection_kind == "self_test":
            out.append("检测逾期")
        else:
            out.append(FLAG_ZH.get(name, name))
    return out


@dataclass(frozen=True)
class EntryLink:
    """A proving entry: its version in the chain, where it is in the log, what it is."""

    version: int | None  # None: named by its log index only (the status's proofs)
    entry_hash: str
    type_zh: str
    log_index: int | None  # None: the entries read model has not folded it (or disagrees)


def links(
    evidence: tuple[Evidence, ...],
    positions: Mapping[int, tuple[int, str]],
    data: Mapping[int, Any] | None = None,
) -> list[EntryLink]:
    """The log entries behind a claim, named as the history names them (``data``: each
    version's public data, for an inspection's kind). A version the read model holds under
    another hash is given no log index: the page must not link a claim to an entry that is not
    its proof."""
    out = []
    for ev in evidence:
        found = positions.get(ev.version)
        index = found[0] if found and found[1] == ev.entry_hash else None
        statement = {"data": (data or {}).get(ev.version) or {}}
        name = (
            summary_zh({"type": ev.type, "statement": statement})
            if ev.type in CATALOGUE
            else ev.type
        )
        out.append(EntryLink(ev.version, ev.entry_hash, name, index))
    return out


@dataclass(frozen=True)
class Claim:
    """One line of the accountability report, in Chinese, with its proving entries."""

    what: str  # role, obligation or kind of item
    text: str
    organization: str | None  # USCC of the party (or the party responsible), if any
    proofs: list[EntryLink]
    overdue: bool = False


class ReportWords:
    """Words for one replay's report: the state, the steps' statements and the log positions it
    takes them from."""

    def __init__(self, result: Replay, positions: Mapping[int, tuple[int, str]], zone: tzinfo):
        self.result, self.positions, self.zone = result, positions, zone
        self.on: date = result.report.as_of.date()
        self._data = {s.version: s.statement.get("data", {}) for s in result.steps}

    def data(self, evidence: tuple[Evidence, ...]) -> dict[str, Any]:
        """The public data of the first proving entry (a step of this replay)."""
        found = self._data.get(evidence[0].version) if evidence else None
        return found if isinstance(found, dict) else {}

    def parties(self) -> list[Claim]:
        return [self.party(p) for p in self.result.report.parties]

    def party(self, p: Party) -> Claim:
        return Claim(
            ROLE_ZH.get(str(p.role), str(p.role)),
            self._basis(p),
            p.uscc,
            links(p.evidence, self.positions, self._data),
        )

    def _basis(self, p: Party) -> str:
        role, data, state = str(p.role), self.data(p.evidence), self.result.state
        if role == "manufacturer":
            return "出厂记录的制造单位"
        if role == "construction_unit" and data.get("kind"):
            kind = CONSTRUCTION_KIND_ZH.get(data["kind"], data["kind"])
            return f"最近一次施工（{kind}）"
        if role == "inspection_institute" and data.get("kind"):
            kind = KIND_ZH.get(data["kind"], data["kind"])
            conclusion = CONCLUSION_ZH.get(data.get("conclusion", ""), "")
            return f"最近一次检验：{kind}{conclusion}"
        if role == "use_unit" and state.registration is not None:
            r = state.registration
            codes = f"注册代码 {r.registration_code}，使用登记证 {r.certificate_number}"
            return f"登记的使用单位（{codes}）"
        if role == "maintenance_unit" and data.get("contract_number"):
            number = data["contract_number"]
            contract = state.contracts.get(number)
            until = (contract.ended_on or contract.valid_to) if contract else data.get("valid_to")
            return f"维保合同 {number}（{data.get('valid_from')} 至 {until}），{self.on} 在有效期内"
        if role == "insurer" and data.get("policy_number"):
            return (
                f"保险单 {data['policy_number']}（{data.get('valid_from')} 至"
                f" {data.get('valid_to')}）"
            )
        return p.basis

    def overdue(self) -> list[Claim]:
        return [self.obligation(o) for o in self.result.report.overdue]

    def obligation(self, o: Obligation) -> Claim:
        days = (self.on - o.due).days if o.due else 0
        if o.obligation == "maintenance" and o.due:
            text = f"维保应于 {o.due} 前完成，至 {self.on} 已逾期 {days} 天"
        elif o.obligation == "inspection" and o.due:
            upcoming = self.result.report.next_inspection
            kind = KIND_ZH.get(str(upcoming.kind), "检验") if upcoming else "检验"
            text = f"{kind}应于 {o.due} 前完成，至 {self.on} 已逾期 {days} 天"
        elif o.obligation == "maintenance_contract":
            text = f"在用，{self.on} 无有效的维保合同"
        else:
            text = o.detail
        what = OBLIGATION_ZH.get(o.obligation, o.obligation)
        upcoming = self.result.report.next_inspection
        if o.obligation == "inspection" and upcoming and str(upcoming.kind) == "self_test":
            what = "检测"  # a self-test (自行检测) is not an inspection (检验)
        return Claim(what, text, o.responsible, links(o.evidence, self.positions, self._data), True)

    def open_items(self) -> list[Claim]:
        return [self.item(i) for i in self.result.report.open_items]

    def item(self, i: OpenItem) -> Claim:
        state = self.result.state
        if i.kind == "failed_inspection":
            text = f"{KIND_ZH.get(i.id, i.id)}不合格，此后未复检合格"
        elif i.kind == "fault" and i.id in state.open_faults:
            code = state.open_faults[i.id].value
            text = f"故障 {i.id}：代码 {code}（{FAULT_ZH.get(code, '')}），尚未排除"
        elif i.kind == "rescue" and i.id in state.rescues:
            rescue = state.rescues[i.id]
            alarm = local_time(rescue.alarm_at, self.zone)
            stage = RESCUE_STAGE_ZH.get(str(rescue.stage), str(rescue.stage))
            text = f"救援 {i.id}：{stage}（报警于 {alarm}），尚未解困"
        elif i.kind == "complaint":
            text = f"投诉 {i.id} 尚未办结"
        else:
            text = f"{OPEN_KIND_ZH.get(i.kind, i.kind)} {i.id} 未关闭"
        if i.deadline is not None:
            text += f"；整改期限 {i.deadline}" + ("，已超期" if i.overdue else "")
        responsible = None
        if i.kind == "rectification_order" and i.id in state.rectification_orders:
            responsible = state.rectification_orders[i.id].responsible
        what = OPEN_KIND_ZH.get(i.kind, i.kind)
        return Claim(
            what, text, responsible, links(i.evidence, self.positions, self._data), i.overdue
        )


def report_organizations(report: AccountabilityReport) -> set[str]:
    """Every organization the report names, to look their names up at once."""
    named = {p.uscc for p in report.parties} | {
        o.responsible for o in report.overdue if o.responsible
    }
    return named


def change_rows(step: Step) -> list[tuple[str, str, str, str]]:
    """What a step changed: (field in Chinese, field as the replay names it, before, after);
    a lifecycle in Chinese."""
    rows = []
    for key, (before, after) in step.changes.items():
        root = key.split("[", 1)[0].split(".", 1)[0]
        if root == "lifecycle":
            before, after = LIFECYCLE_ZH.get(before, before), LIFECYCLE_ZH.get(after, after)
        rows.append((FIELD_ZH.get(root, root), key, before, after))
    return rows
