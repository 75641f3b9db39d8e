"""Why the ledger refused a submission, in Chinese: each problem type and each rule id the
write path can answer with, as a short title (pure data and two lookups).

The write path speaks English (domain/model/errors.py, domain/model/rules.py): ids are stable
for integrators and messages name the facts. A Chinese admin on the desk's 被拒提交 page needs
to read why without English, so each id has a title here; an id added to the domain without one
is shown as "规则 <id>（暂无中文说明）" (and tests/unit/test_rule_words.py fails until it has one).
"""

from __future__ import annotations

#: Each problem type (``slug`` of a ``Rejected`` subclass) in words.
PROBLEM_ZH: dict[str, str] = {
    "rejected": "提交被拒收",
    "malformed-envelope": "信封格式错误",
    "non-canonical-payload": "记录内容不是规范 JSON",
    "invalid-statement": "记录格式或内容不合规",
    "bad-signature": "签名无法用已登记的密钥验证",
    "not-authorized": "无权提交此类记录",
    "rule-violation": "违反业务规则",
    "stale-prev": "链头已变化（prev 不是最新版本）",
    "write-conflict": "并发写入冲突（可重试）",
    "writes-stopped": "账本暂停写入",
    "log-tampered": "账本暂停写入：日志被账本之外改动",
    "event-store-disagrees": "账本暂停写入：事件库与日志不一致",
}

#: Each rule id the write path raises (domain/model/rules.py RULES, and the signer's checks of
#: domain/model/authorization.py and admission.py), as a short title.
RULE_ZH: dict[str, str] = {
    # --- any subject ---
    "occurred-in-the-future": "发生时间晚于账本时钟（超出允许的时钟误差）",
    "backdated-breaks-later": "补录的记录会使其后已入账的记录违反规则",
    # --- elevator: existence and time ---
    "statement-for-another-elevator": "记录不是关于这台电梯的",
    "elevator-unknown": "账本中没有这台电梯的出厂记录",
    "already-manufactured": "这台电梯已有出厂记录（只记一次）",
    "only-manufacturer-sells": "只有记录出厂的制造单位才能记录销售",
    "elevator-cancelled": "电梯已注销，不再接受记录",
    "elevator-scrapped": "电梯已报废，只接受注销登记",
    "before-manufacture": "记录的时间早于电梯出厂",
    # --- construction ---
    "installation-needs-new-elevator": "只有从未安装的电梯才能告知安装",
    "construction-needs-registration": "改造、重大修理、移装只适用于已登记、在用或停用的电梯",
    "one-construction-at-a-time": "已有一项施工尚未通过监督检验",
    "construction-not-open": "没有已告知、未完工的施工",
    "construction-kind-mismatch": "完工的施工类别与告知的不一致",
    "construction-unit-mismatch": "只有告知施工的单位才能记录完工",
    # --- inspection ---
    "supervisory-inspection-without-construction": "监督检验需要一项已完工、待检验的施工",
    "re-inspection-without-failure": "复检需要一次尚未了结的不合格检验",
    "inspection-needs-registration": "定期检验和自行检测只适用于已登记、在用或停用的电梯",
    "self-test-by-other-maintainer": "维保单位自行检测须是当天持有维保合同的维保单位",
    # --- registration ---
    "already-registered": "电梯已办理使用登记（请办理变更）",
    "registration-requires-supervisory-pass": "使用登记需要安装后监督检验合格",
    "registration-change-without-registration": "没有使用登记，无法变更",
    "relocation-change-needs-inspection": "移装变更登记需要移装后监督检验合格",
    "modification-change-needs-inspection": "改造变更登记需要改造监督检验合格且尚未变更登记",
    "cancellation-without-registration": "只有已登记（或已报废）的电梯才能注销登记",
    # --- maintenance contracts ---
    "contract-number-taken": "这台电梯已有同号的维保合同",
    "contract-not-with-use-unit": "维保合同须与登记的使用单位签订",
    "one-maintenance-unit-at-a-time": "两家维保单位的合同期不得重叠（不得转包）",
    "contract-unknown": "这台电梯没有该编号的维保合同",
    "contract-already-ended": "维保合同已经终止",
    "only-contract-party-ends": "只有合同的维保单位、使用单位或登记的使用单位才能终止合同",
    # --- maintenance visits ---
    "maintenance-before-installation": "电梯尚未安装（或施工中），不能记录维保",
    "maintenance-without-active-contract": "维保当天没有在有效期内的维保合同",
    "visit-id-taken": "这台电梯已有同号的维保记录",
    "only-use-unit-confirms": "只有登记的使用单位才能确认维保",
    "visit-unknown": "这台电梯没有该编号的维保记录",
    "visit-already-confirmed": "这次维保已经确认过",
    # --- use ---
    "only-registered-use-unit": "停用、恢复使用和报废须由登记的使用单位提交",
    "stop-only-in-service": "只有在用的电梯才能停用",
    "resume-only-when-stopped": "只有停用的电梯才能恢复使用",
    "failed-elevator-must-not-run": "检验不合格尚未了结，电梯不得恢复使用",
    "restart-after-a-year-needs-inspection": "停用超过一年，恢复使用前须定期检验合格",
    # --- faults and rescue ---
    "fault-reporter-not-a-party": "故障须由登记的使用单位或当天的合同维保单位（或其终端）报告",
    "only-contracted-maintainer-clears": "故障须由当天的合同维保单位排除",
    "rescue-alarm-not-a-party": "困人报警须由登记的使用单位或 96333 平台提交",
    "rescue-dispatch-not-a-party": "救援派遣须由 96333 平台或登记的使用单位提交",
    "rescue-arrival-not-a-party": "救援到场须由 96333 平台、当天的合同维保单位或被派遣的单位提交",
    "rescue-release-not-a-party": "解困须由 96333 平台、当天的合同维保单位或被派遣的单位提交",
    "fault-already-open": "同号的故障尚未排除",
    "fault-not-open": "没有该编号的未排除故障",
    "rescue-id-taken": "这台电梯已有同号的救援",
    "rescue-not-open": "没有该编号的进行中救援（不存在或已解困）",
    "rescue-out-of-order": "救援步骤顺序不对（报警、派遣、到场、解困）",
    "rescue-times-go-backwards": "救援步骤的时间早于上一步",
    # --- supervision ---
    "hazard-id-taken": "这台电梯已有同号的隐患",
    "hazard-not-open": "没有该编号的未销号隐患",
    "order-id-taken": "这台电梯已有同号的整改通知",
    "rectification-hazard-not-open": "整改通知只能针对未销号的隐患",
    "order-not-open": "没有该编号的未完成整改通知",
    "rectification-by-other-party": "整改须由通知点名的单位完成（未点名：使用单位或合同维保单位）",
    "insured-not-use-unit": "电梯保险的被保险人须是登记的使用单位",
    "claim-by-other-insurer": "理赔须由出具保单的保险公司提交",
    "complaint-not-open": "没有该编号的未办结投诉",
    "insurance-policy-unknown": "这台电梯没有该编号的保单",
    # --- organization ---
    "statement-for-another-organization": "记录不是关于这个单位的",
    "organization-unknown": "单位尚未在账本登记",
    "organization-already-registered": "单位已经登记（只记一次）",
    "role-not-granted": "要撤销的角色当前并未授予",
    "licence-number-taken": "这个单位已有同号的许可",
    "licence-unknown": "这个单位没有该编号的许可",
    "licence-already-revoked": "许可已经撤销",
    "key-id-taken": "密钥编号已被登记（撤销的编号不能再用）",
    "key-not-registered": "这个单位没有登记该编号的密钥",
    "key-already-revoked": "密钥已经吊销",
    "terminal-elevator-unknown": "终端密钥绑定的电梯不在账本中（未出厂或已注销）",
    "terminal-owner-not-a-party": "终端密钥须由登记的使用单位或当天的合同维保单位绑定",
    # --- the signer (domain/model/authorization.py, admission.py) ---
    "role-required": "签发单位当天不具有提交此类记录所需的角色",
    "issuer-unknown": "签发单位不是账本中已登记的单位",
    "signer-is-not-issuer": "没有签发单位自己的密钥签名",
    "key-revoked": "签名密钥已吊销",
    "terminal-may-not-sign": "物联网终端不能签发此类记录",
    "terminal-not-bound": "终端密钥绑定的不是这台电梯",
    "licence-required": "签发单位当天没有有效的相应许可",
    "cosignature-required": "此类记录还须由另一方共同签名",
    "key-malformed": "登记的公钥格式错误",
    "key-id-mismatch": "密钥编号与公钥不符",
}


def problem_zh(slug: str) -> str:
    """The problem type in words; an unknown one says so."""
    return PROBLEM_ZH.get(slug, f"拒收（{slug}，暂无中文说明）")


def rule_zh(rule: str) -> str:
    """The rule's title; an id without one says so (a gap the unit test catches)."""
    return RULE_ZH.get(rule, f"规则 {rule}（暂无中文说明）")
