"""The QR page's badge: one precedence, highest first — a rescue in progress, 禁止使用
(scrapped, cancelled, failed inspection, not registered), 停用, 挂牌督办, overdue, and only then
正常使用 — each with the details a passenger needs, and whatever else holds listed below."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from api.badge import Badge, Level, badge
from projections.status import ElevatorStatus, flags

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)  # 18:00 in Beijing
TODAY = NOW.date()
IN_SERVICE = ElevatorStatus(
    "311023010201500098",
    lifecycle="in_service",
    next_maintenance_due=TODAY + timedelta(days=10),
    next_inspection_due=TODAY + timedelta(days=100),
    insured_until=TODAY + timedelta(days=100),
)


def shown(s: ElevatorStatus, **overrides: bool) -> Badge:
    return badge(s, flags(s, TODAY) | overrides, NOW)


def text(b: Badge) -> str:
    return " ".join(line.text + (line.free or "") for line in b.main.lines)


def with_(**changes: object) -> ElevatorStatus:
    return dataclasses.replace(IN_SERVICE, **changes)  # type: ignore[arg-type]


def test_a_lift_in_service_with_nothing_open_is_in_normal_use() -> None:
    b = shown(IN_SERVICE)
    assert (b.label, b.tone, b.main.level, b.also) == ("正常使用", "ok", Level.NORMAL, ())


def test_a_rescue_in_progress_says_how_many_are_trapped_and_since_when() -> None:
    alarm = NOW - timedelta(minutes=25)
    b = shown(with_(open_rescues=1, rescues_in_progress=(("R-1", 2, alarm),)))
    assert (b.label, b.tone) == ("困人救援中", "alarm")
    assert "2 人被困" in text(b) and "报警于 2026-12-04 17:35" in text(b)
    assert "已 25 分钟" in text(b)


def test_a_rescue_outranks_everything_else_which_is_still_listed() -> None:
    alarm = NOW - timedelta(minutes=5)
    s = with_(
        lifecycle="stopped",
        stop_reason="改造",
        open_rescues=1,
        rescues_in_progress=(("R-1", 1, alarm),),
        open_hazards=1,
        hazards_listed=(("H-1", "钢丝绳断丝", TODAY + timedelta(days=3)),),
    )
    b = shown(s)
    assert b.label == "困人救援中"
    assert [n.label for n in b.also] == ["停用", "挂牌督办"]


def test_a_rescue_known_only_by_its_count_is_still_a_rescue() -> None:
    b = shown(with_(open_rescues=1))
    assert b.label == "困人救援中" and "1 起救援尚未结束" in text(b)


def test_a_scrapped_lift_is_prohibited_with_its_reason() -> None:
    b = shown(with_(lifecycle="scrapped", scrapped_on=date(2026, 11, 1), scrap_reason="锈蚀"))
    assert (b.label, b.tone) == ("禁止使用", "bad")
    assert "已报废（2026-11-01）" in text(b) and "锈蚀" in text(b) and "请勿乘坐" in text(b)
    assert b.main.lines[0].free == "锈蚀", "the signer's reason is shown as isolated free text"


def test_a_retired_lift_is_not_called_overdue() -> None:
    s = with_(lifecycle="scrapped", next_inspection_due=TODAY - timedelta(days=5))
    assert shown(s, inspection_overdue=True, maintenance_overdue=True).also == ()


def test_a_cancelled_registration_is_prohibited_with_its_reason() -> None:
    at = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    b = shown(with_(lifecycle="cancelled", cancelled_at=at, cancel_reason="拆除"))
    assert b.label == "禁止使用"
    assert "使用登记已注销（2026-11-02 09:00）" in text(b) and "拆除" in text(b)


def test_a_failed_inspection_is_prohibited_with_findings_and_deadline() -> None:
    s = with_(
        inspection_failed_since=NOW - timedelta(days=2),
        inspection_findings=("制动器间隙超标",),
        next_inspection_due=TODAY + timedelta(days=28),
        last_inspection_conclusion="fail",
    )
    b = shown(s)
    assert b.label == "禁止使用"
    assert "检验不合格（2026-12-02 18:00）" in text(b)
    assert "制动器间隙超标" in text(b) and "整改复检期限 2027-01-01" in text(b)


def test_a_failed_periodic_inspection_says_first_that_the_lift_is_out_of_service() -> None:
    failed_at = NOW - timedelta(days=2)
    s = with_(
        inspection_failed_since=failed_at,
        inspection_findings=("制动器间隙超标",),
        failed_periodic=("inspection.concluded", failed_at.isoformat(), 7, "h7"),
        must_not_run_since=failed_at,
        next_inspection_due=TODAY + timedelta(days=28),
    )
    b = shown(s)
    assert (b.label, b.tone) == ("禁止使用", "bad")
    assert b.main.lines[0].text == "定期检验不合格，禁止使用"
    assert "不合格结论于 2026-12-02 18:00，复检合格前禁止使用" in text(b)
    assert "制动器间隙超标" in text(b) and "整改复检期限 2027-01-01" in text(b)
    stopped = shown(dataclasses.replace(s, lifecycle="stopped"))  # declared stopped as well
    assert stopped.main.lines[0].text == "定期检验不合格，禁止使用"
    assert [n.label for n in stopped.also] == ["停用"]


def test_a_lift_not_registered_is_prohibited() -> None:
    for lifecycle, says in [
        (None, "尚无出厂记录"),
        ("manufactured", "尚未安装"),
        ("under_construction", "正在施工"),
        ("awaiting_inspection", "待监督检验"),
        ("inspected", "尚未办理使用登记"),
    ]:
        b = shown(with_(lifecycle=lifecycle))
        assert b.label == "禁止使用" and "未办理使用登记" in text(b) and says in text(b)


def test_a_stopped_lift_says_why_since_when_and_not_to_ride() -> None:
    s = with_(lifecycle="stopped", stop_reason="井道改造", stopped_since=NOW - timedelta(days=1))
    b = shown(s)
    assert (b.label, b.tone) == ("停用", "bad")
    assert "停用原因：井道改造" in text(b) and "停用自 2026-12-03 18:00" in text(b)
    assert "请勿乘坐" in text(b)


def test_prohibited_outranks_stopped() -> None:
    s = with_(lifecycle="stopped", inspection_failed_since=NOW - timedelta(days=2))
    b = shown(s)
    assert b.label == "禁止使用" and [n.label for n in b.also] == ["停用"]


def test_a_hazard_under_supervision_says_what_and_by_when() -> None:
    deadline = TODAY + timedelta(days=20)
    s = with_(open_hazards=1, hazards_listed=(("H-1", "曳引钢丝绳断丝超标", deadline),))
    b = shown(s)
    assert (b.label, b.tone) == ("挂牌督办", "bad")
    assert f"整改期限 {deadline.isoformat()}" in text(b) and "曳引钢丝绳断丝超标" in text(b)


def test_a_hazard_past_its_deadline_says_so() -> None:
    s = with_(open_hazards=1, hazards_listed=(("H-1", "x", TODAY - timedelta(days=1)),))
    assert "已超期" in text(shown(s))


def test_stopped_outranks_a_hazard() -> None:
    s = with_(lifecycle="stopped", open_hazards=1, hazards_listed=(("H-1", "x", TODAY),))
    b = shown(s)
    assert b.label == "停用" and [n.label for n in b.also] == ["挂牌督办"]


def test_a_hazard_outranks_overdue_obligations() -> None:
    s = with_(
        open_hazards=1,
        hazards_listed=(("H-1", "x", TODAY),),
        next_maintenance_due=TODAY - timedelta(days=2),
    )
    b = shown(s)
    assert b.label == "挂牌督办" and [n.label for n in b.also] == ["维保逾期"]


def test_an_overdue_inspection_is_shown_before_overdue_maintenance() -> None:
    s = with_(
        next_inspection_due=TODAY - timedelta(days=3),
        next_maintenance_due=TODAY - timedelta(days=2),
    )
    # whether it is overdue is the schedule's to say (tests/integration/test_inspection_schedule.py)
    b = shown(s, inspection_overdue=True)
    assert (b.label, b.tone) == ("检验逾期", "bad")
    assert "应于" in text(b) and [n.label for n in b.also] == ["维保逾期"]


@pytest.mark.parametrize(
    ("kind", "label", "line"),
    [
        ("periodic", "检验逾期", "定期检验应于"),
        ("re_inspection", "检验逾期", "复检应于"),
        ("self_test", "检测逾期", "自行检测应于"),  # a self-test is 检测, not an institute's 检验
    ],
)
def test_an_overdue_inspection_says_检验_and_an_overdue_self_test_检测(
    kind: str, label: str, line: str
) -> None:
    overdue = with_(next_inspection_due=TODAY - timedelta(days=3), next_inspection_kind=kind)
    b = shown(overdue, inspection_overdue=True)  # the schedule's verdict (next_obligation)
    assert b.label == label and line in text(b)


def test_overdue_maintenance_alone_is_a_warning() -> None:
    b = shown(with_(next_maintenance_due=TODAY - timedelta(days=2)))
    assert (b.label, b.tone) == ("维保逾期", "warn")
