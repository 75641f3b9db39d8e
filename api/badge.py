"""The QR page's badge: the one thing a passenger must see first, chosen by one precedence.

A passenger standing at the car reads the badge and nothing else, so it must never look safer
than the signed record says. The precedence (highest first; docs/architecture.md):

1. **困人救援中** — a rescue not yet released: people are trapped in this very lift now;
2. **禁止使用** — scrapped, registration cancelled, an inspection failed and not passed since (a
   failed periodic inspection says first 定期检验不合格，禁止使用), or never registered (a lift
   still being built or awaiting inspection must not carry people);
3. **停用** — the use unit declared it stopped: why, since when, 请勿乘坐;
4. **挂牌督办** — a hazard listed for supervision: what, and by when it must be fixed;
5. **检验逾期** (**检测逾期** when what is due is a self-test, 自行检测) / **维保逾期** — an
   obligation past due;
6. **正常使用** — only when none of the above holds and the lift is in service.

Whatever lower-precedence condition also holds is listed under the badge (``also``), so a
stopped lift with an open hazard says both. Every detail comes from the folded status
(projections/status.py), which comes from log entries only. Pure: no I/O, the clock is passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from enum import IntEnum
from zoneinfo import ZoneInfo

from projections.status import ElevatorStatus

#: Instants are shown on the ledger's clock (``LEDGER_TIME_ZONE``); this is its default.
SHANGHAI = ZoneInfo("Asia/Shanghai")
RETIRED = frozenset({"scrapped", "cancelled"})
#: what the inspection schedule says is due (domain/model/inspection_schedule.py)
_DUE_ZH = {"periodic": "定期检验", "self_test": "自行检测", "re_inspection": "复检"}
UNREGISTERED_ZH = {
    None: "账本中尚无出厂记录",
    "manufactured": "已出厂，尚未安装",
    "under_construction": "正在施工",
    "awaiting_inspection": "施工完成，待监督检验",
    "inspected": "监督检验合格，尚未办理使用登记",
}


class Level(IntEnum):
    """The precedence of what the badge says (lower value = shown first)."""

    RESCUE = 1
    PROHIBITED = 2
    STOPPED = 3
    SUPERVISED = 4
    OVERDUE = 5
    NORMAL = 6


@dataclass(frozen=True)
class Line:
    """One line of explanation: fixed wording, then (optionally) free text from a signer,
    which the page shows isolated (``<bdi dir="auto">``) because it may be in any script."""

    text: str
    free: str | None = None


@dataclass(frozen=True)
class Notice:
    level: Level
    label: str
    tone: str  # css class: alarm, bad, warn, ok
    lines: tuple[Line, ...] = ()


@dataclass(frozen=True)
class Badge:
    """The notice shown first, and every other one that also holds, in precedence order."""

    main: Notice
    also: tuple[Notice, ...] = ()

    @property
    def label(self) -> str:
        return self.main.label

    @property
    def tone(self) -> str:
        return self.main.tone


def when(moment: datetime, zone: tzinfo = SHANGHAI) -> str:
    """``2026-12-04 14:03`` on the ledger's clock."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _for(elapsed: timedelta) -> str:
    minutes = max(0, int(elapsed.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} 分钟"
    hours, rest = divmod(minutes, 60)
    return f"{hours} 小时 {rest} 分钟" if hours < 48 else f"{hours // 24} 天"


def rescue(s: ElevatorStatus, now: datetime, zone: tzinfo) -> Notice | None:
    if not s.open_rescues and not s.rescues_in_progress:
        return None
    lines = [
        Line(f"{trapped} 人被困 · 报警于 {when(at, zone)}（已 {_for(now - at)}）")
        if trapped
        else Line(f"被困报警于 {when(at, zone)}（已 {_for(now - at)}）")
        for _, trapped, at in s.rescues_in_progress
    ]
    unknown = s.open_rescues - len(s.rescues_in_progress)
    if unknown > 0:  # a status folded before the details were kept: say only what is known
        lines.append(Line(f"{unknown} 起救援尚未结束"))
    lines.append(Line("救援人员处置中：被困人员请保持冷静，勿强行扒门；其他人请勿乘坐"))
    return Notice(Level.RESCUE, "困人救援中", "alarm", tuple(lines))


def prohibited(s: ElevatorStatus, zone: tzinfo) -> Notice | None:
    lines: list[Line] = []
    if s.lifecycle == "scrapped":
        on = f"（{s.scrapped_on.isoformat()}）" if s.scrapped_on else ""
        lines.append(
            Line(f"已报废{on}，原因：", s.scrap_reason) if s.scrap_reason else Line(f"已报废{on}")
        )
    elif s.lifecycle == "cancelled":
        on = f"（{when(s.cancelled_at, zone)}）" if s.cancelled_at else ""
        lines.append(
            Line(f"使用登记已注销{on}，原因：", s.cancel_reason)
            if s.cancel_reason
            else Line(f"使用登记已注销{on}")
        )
    elif s.failed_periodic is not None and s.must_not_run_since is not None:
        # out of service (docs/lifecycle.md, "Must not run"): said first, in plain words
        lines.append(Line("定期检验不合格，禁止使用"))
        since = when(s.must_not_run_since, zone)
        lines.append(Line(f"不合格结论于 {since}，复检合格前禁止使用"))
        lines.extend(Line("问题：", finding) for finding in s.inspection_findings)
        if s.next_inspection_due:
            lines.append(Line(f"整改复检期限 {s.next_inspection_due.isoformat()}"))
    elif s.inspection_failed_since is not None:
        failed = when(s.inspection_failed_since, zone)
        lines.append(Line(f"检验不合格（{failed}），未经复检合格不得使用"))
        lines.extend(Line("问题：", finding) for finding in s.inspection_findings)
        if s.next_inspection_due:
            lines.append(Line(f"整改复检期限 {s.next_inspection_due.isoformat()}"))
    elif s.lifecycle not in ("in_service", "stopped"):
        lines.append(Line(f"未办理使用登记：{UNREGISTERED_ZH.get(s.lifecycle, s.lifecycle or '')}"))
    else:
        return None
    lines.append(Line("请勿乘坐"))
    return Notice(Level.PROHIBITED, "禁止使用", "bad", tuple(lines))


def stopped(s: ElevatorStatus, zone: tzinfo) -> Notice | None:
    if s.lifecycle != "stopped":
        return None
    lines = []
    if s.stop_reason:
        lines.append(Line("停用原因：", s.stop_reason))
    if s.stopped_since:
        lines.append(Line(f"停用自 {when(s.stopped_since, zone)}"))
    lines.append(Line("请勿乘坐"))
    return Notice(Level.STOPPED, "停用", "bad", tuple(lines))


def supervised(s: ElevatorStatus, today: date) -> Notice | None:
    if not s.open_hazards and not s.hazards_listed:
        return None
    lines = []
    for _, description, deadline in sorted(s.hazards_listed, key=lambda h: h[2]):
        past = "，已超期" if deadline < today else ""
        lines.append(Line(f"整改期限 {deadline.isoformat()}{past} · 隐患：", description))
    unknown = s.open_hazards - len(s.hazards_listed)
    if unknown > 0:
        lines.append(Line(f"另有 {unknown} 项隐患整改中"))
    return Notice(Level.SUPERVISED, "挂牌督办", "bad", tuple(lines))


def overdue(s: ElevatorStatus, flags: dict[str, bool]) -> list[Notice]:
    out = []
    if flags.get("inspection_overdue"):
        due = s.next_inspection_due.isoformat() if s.next_inspection_due else "—"
        # what is due, in the schedule's words: a self-test (检测) is not an inspection (检验)
        what = _DUE_ZH.get(s.next_inspection_kind or "", "检验")
        label = "检测逾期" if s.next_inspection_kind == "self_test" else "检验逾期"
        out.append(Notice(Level.OVERDUE, label, "bad", (Line(f"{what}应于 {due} 前完成"),)))
    if flags.get("maintenance_overdue"):
        line = (
            Line(f"应于 {s.next_maintenance_due.isoformat()} 前维保")
            if s.next_maintenance_due
            else Line("没有在有效期内的维保记录")
        )
        out.append(Notice(Level.OVERDUE, "维保逾期", "warn", (line,)))
    return out


def badge(
    s: ElevatorStatus, flags: dict[str, bool], now: datetime, zone: tzinfo = SHANGHAI
) -> Badge:
    """The badge for a status and its flags (``projections.status.flags``) at ``now``, its
    instants and dates on the clock of ``zone`` (the ledger's time zone)."""
    today = now.astimezone(zone).date()
    notices = [
        n
        for n in (rescue(s, now, zone), prohibited(s, zone), stopped(s, zone), supervised(s, today))
        if n is not None
    ]
    if s.lifecycle not in RETIRED:
        notices.extend(overdue(s, flags))
    if not notices:
        notices.append(Notice(Level.NORMAL, "正常使用", "ok"))
    return Badge(notices[0], tuple(notices[1:]))
