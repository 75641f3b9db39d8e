"""The console's Chinese for scorecard details, personal fields and districts: every detail
projections/scorecard.py writes reads as Chinese, an unknown one is shown as it is."""

from __future__ import annotations

from api.console.words import RULE_ZH, detail_zh, field_zh, rule_zh
from api.web.render import district_zh

NAMES = {"91430900MA4L00501K": "益阳市安达电梯维保有限公司"}


def test_each_scorecard_detail_reads_as_chinese() -> None:
    late = "arrived after 45 min (limit 30 min), recorded by"
    words = "报警后 45 分钟到场（时限 30 分钟），到场由"
    cases = {
        f"{late} 91430900MA4L00501K, dispatched to X": f"{words} 益阳市安达电梯维保有限公司 记录",
        f"{late} 12430900MB1P00510J": f"{words} 12430900MB1P00510J 记录",
        "no arrival recorded within limit 30 min, dispatched to Y": "时限 30 分钟内无到场记录",
        "4 faults in month 3": "3 月内故障 4 次",
        "first-time pass rate 80% of 5": "定期检验一次合格率 80%（共 5 次）",
        "21 days between visits": "两次维保相隔 21 天",
        "penalty 益市监罚〔2026〕12号": "处罚决定书 益市监罚〔2026〕12号",
        "something new": "something new",
    }
    for detail, expected in cases.items():
        assert detail_zh({"detail": detail}, NAMES) == expected


def test_every_rule_has_its_chinese_name() -> None:
    rules = {
        "rescue-arrival-late",
        "rescue-arrival-missing",
        "faults-in-a-month",
        "first-time-pass-rate",
        "maintenance-overdue",
        "penalty",
    }
    assert set(RULE_ZH) == rules and rule_zh("unknown-rule") == "unknown-rule"


def test_personal_fields_and_districts_are_named() -> None:
    assert field_zh("technicians[1].certificate_number") == "维保人员 2 · 证书编号"
    assert field_zh("legal_representative") == "法定代表人"
    assert field_zh("odd-field") == "odd-field"
    assert district_zh("430902") == "资阳区（430902）"
    assert district_zh("430900") == "益阳市（430900）"  # the city, not two areas coded with it
    assert district_zh("350102") == "350102" and district_zh(None) == "—"
