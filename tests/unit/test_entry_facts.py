"""The desk's elevator page reads an entry's public data as labelled lines, not raw JSON."""

from __future__ import annotations

from datetime import timedelta, timezone

from api.desk.entry_facts import facts, organizations

CST = timezone(timedelta(hours=8))
MAINTAINER = "91430903MA4L000017"
CONTRACT = {
    "type": "maintenance_contract.signed",
    "data": {
        "contract_number": "WB-2026-017",
        "maintenance_unit": MAINTAINER,
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
        "policy": "classic_15_day",
    },
}


def test_fields_are_labelled_organizations_named_codes_in_words() -> None:
    lines = facts(CONTRACT, {MAINTAINER: "安达电梯维保有限公司"}, CST)
    assert lines == [
        "合同编号：WB-2026-017",
        "维保单位：安达电梯维保有限公司",
        "有效期自：2026-01-01",
        "有效期至：2026-12-31",
        "维保方式：每 15 日一次",
    ]


def test_instants_are_on_the_ledger_clock_and_unknown_fields_keep_their_name() -> None:
    visit = {"data": {"arrived_at": "2026-12-01T01:30:00+00:00", "odd_field": "x", "empty": []}}
    assert facts(visit, {}, CST) == ["到场：2026-12-01 09:30 (UTC+08:00)", "odd_field：x"]


def test_an_unnamed_organization_stays_its_code_and_lists_are_joined() -> None:
    data = {"data": {"use_unit": MAINTAINER, "levels": ["half_month", "quarterly"], "ok": True}}
    assert facts(data, {}, CST) == [f"使用单位：{MAINTAINER}", "维保项目：半月、季度", "ok：是"]


def test_the_organizations_to_look_up() -> None:
    assert organizations(CONTRACT) == {MAINTAINER}
