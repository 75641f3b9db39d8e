"""Incidents: faults (reported by the maintenance unit, the use unit or the IoT terminal, then
cleared) and rescues of trapped passengers (alarm, dispatch, arrival, release, and an insurance
claim when someone was injured)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from demo.events import Draft, Group
from demo.life import ElevatorLife
from demo.scenarios import Scenario
from demo.timing import DAY, iso, local_date, soon, work_time

_LIFT_FAULTS: tuple[tuple[str, int, str, str], ...] = (
    ("01", 12, "安全回路继电器触点氧化", "清洁触点并更换继电器"),
    ("02", 25, "门刀变形，关门受阻", "校正门刀，调整门机力矩"),
    ("03", 20, "开门限位开关松动", "紧固限位开关并试运行"),
    ("04", 12, "平层感应器脏污", "清洁平层感应器，重新校准平层"),
    ("05", 2, "制动器间隙过大", "调整制动器间隙并做制动试验"),
    ("06", 5, "曳引机过热触发运行时间限制器", "检查曳引机散热，复位限制器"),
    ("07", 8, "编码器信号干扰", "更换编码器屏蔽线，重新自学习井道"),
    ("08", 8, "变频器故障保护", "复位变频器，检查主回路接线"),
    ("09", 3, "上端站减速开关移位", "重新固定减速开关并试验"),
    ("10", 3, "下端站限位开关失效", "更换限位开关"),
)
_ESCALATOR_FAULTS: tuple[tuple[str, int, str, str], ...] = (
    ("61", 35, "梳齿板安全开关误动作", "清理梳齿板异物，调整开关"),
    ("62", 10, "速度传感器检测异常", "更换速度传感器并校验"),
    ("63", 5, "驱动链松弛", "张紧驱动链，检查逆转保护装置"),
    ("64", 10, "梯级缺失检测装置脏污", "清洁检测装置并试验"),
    ("65", 30, "扶手带速度监测故障", "调整扶手带张紧度，复位控制柜"),
)


def _weighted(
    rng: random.Random, table: tuple[tuple[str, int, str, str], ...]
) -> tuple[str, str, str]:
    code, _w, cause, action = rng.choices(table, weights=[row[1] for row in table])[0]
    return code, cause, action


def fault_groups(h: ElevatorLife) -> Iterator[Group]:
    """Faults, about 2.5 a year, each reported and cleared."""
    rng = h.city.rng(h.i, "faults")
    table = _ESCALATOR_FAULTS if h.escalator else _LIFT_FAULTS
    mean = 365.25 * 86_400 / 2.5  # about 2.5 faults a year
    t = h.service_start + DAY
    n = 0
    if h.scenario is Scenario.UNREGISTERED_USE:  # inspected, carrying people, not registered
        detected = (h.t_reinspect or h.t_supervisory) + timedelta(days=2, hours=1)
        if detected < h.t_registered - DAY:
            n += 1
            yield _in_service_fault(h, rng, detected, f"F{detected:%Y%m%d}-{h.ref}-{n:03d}")
    while True:
        detected = t + timedelta(seconds=int(rng.expovariate(1 / mean)) + 3600)
        if detected > h.horizon:
            break
        code, cause, action = _weighted(rng, table)
        via_terminal = h.p.terminal and rng.random() < 0.5
        by_use_unit = not via_terminal and rng.random() < 0.3
        if via_terminal:  # the terminal reports at once, the lift still in normal mode
            occurred = detected + timedelta(seconds=rng.randint(0, 20))
            recorded = soon(occurred, rng, 2, 30)
        else:  # a phone call to the duty line; the lift is out of service
            occurred = detected + timedelta(minutes=rng.randint(10, 60))
            recorded = soon(occurred, rng, 60, 600)
        cleared = occurred + timedelta(minutes=rng.randint(60, 360))
        t = cleared
        reporter = h.unit_on(local_date(detected))
        clearer = h.unit_on(local_date(cleared))
        if reporter is None or reporter != clearer:
            continue  # a fault across a change of maintenance unit: left out
        n += 1
        fault_id = f"F{detected:%Y%m%d}-{h.ref}-{n:03d}"
        yield Group(
            [
                Draft(
                    occurred,
                    recorded,
                    "fault.reported",
                    h.use_on(local_date(occurred)).uscc if by_use_unit else reporter.uscc,
                    {
                        "fault_id": fault_id,
                        "code": code,
                        "service_mode": 1 if via_terminal else 0,
                        "detected_at": iso(detected),
                    },
                    via_terminal=via_terminal,
                ),
                Draft(
                    cleared,
                    soon(cleared, rng, 60, 900),
                    "fault.cleared",
                    reporter.uscc,
                    {"fault_id": fault_id, "cause": cause, "action": action},
                ),
            ]
        )
    if h.scenario is Scenario.FAILED_OPEN:  # failed its periodic inspection, still running
        detected = h.city.end - timedelta(days=3, hours=5)
        if detected > t and h.unit_on(local_date(detected)) is not None:
            n += 1
            yield _in_service_fault(h, rng, detected, f"F{detected:%Y%m%d}-{h.ref}-{n:03d}")


def _in_service_fault(
    h: ElevatorLife, rng: random.Random, detected: datetime, fault_id: str
) -> Group:
    """A fault the maintainer under contract reports and clears, found while the lift carried
    passengers (service mode 1, normal) when it must not: inspected but not yet registered, or
    after a failed periodic inspection — the evidence of use the regulator's lists show."""
    table = _ESCALATOR_FAULTS if h.escalator else _LIFT_FAULTS
    code, cause, action = _weighted(rng, table)
    unit_index = h.unit_on(local_date(detected))
    unit = (unit_index or h.city.maintainers[h.contracts[0].unit]).uscc
    occurred = detected + timedelta(minutes=rng.randint(10, 60))
    cleared = occurred + timedelta(minutes=rng.randint(60, 180))
    return Group(
        [
            Draft(
                occurred,
                soon(occurred, rng, 60, 600),
                "fault.reported",
                unit,
                {
                    "fault_id": fault_id,
                    "code": code,
                    "service_mode": 1,
                    "detected_at": iso(detected),
                },
            ),
            Draft(
                cleared,
                soon(cleared, rng, 60, 900),
                "fault.cleared",
                unit,
                {"fault_id": fault_id, "cause": cause, "action": action},
            ),
        ]
    )


def rescue_groups(h: ElevatorLife) -> Iterator[Group]:
    """Rescues (lifts only), each from alarm to release; with a scenario, one before the
    registration (the lift was used unregistered) or one still going on now."""
    if h.escalator:
        return
    city, rng = h.city, h.city.rng(h.i, "rescues")
    mean = (365.25 / 12) * 86_400 / 0.005  # 0.5% of lifts a month
    t = h.service_start + timedelta(days=1)
    n = 0
    if h.scenario is Scenario.UNREGISTERED_USE:
        alarm = h.t_built + timedelta(days=2, hours=3)
        if alarm < h.t_supervisory - DAY:
            n += 1
            yield _rescue(h, rng, alarm, f"R{alarm:%Y%m%d}-{h.ref}-{n:02d}", h.contracts[0].unit)
    last: datetime | None = None
    while True:
        t += timedelta(seconds=int(rng.expovariate(1 / mean)))
        if t > h.horizon:
            break
        unit = h.unit_on(local_date(t))
        if unit is None or unit is not h.unit_on(local_date(t + timedelta(hours=2))):
            continue
        n += 1
        group = _rescue(h, rng, t, f"R{t:%Y%m%d}-{h.ref}-{n:02d}", city.maintainers.index(unit))
        yield group
        last = group.events[3].occurred  # released
        t = last + timedelta(days=1)
    if h.scenario is Scenario.OPEN_RESCUE:  # trapped now: dispatched, arrived, not released
        alarm = city.end - timedelta(minutes=rng.randint(25, 40))
        unit = h.unit_on(local_date(alarm))
        if unit is not None and (last is None or last < alarm):
            n += 1
            rescue_id = f"R{alarm:%Y%m%d}-{h.ref}-{n:02d}"
            going = _rescue(h, rng, alarm, rescue_id, city.maintainers.index(unit), minutes=18)
            yield Group(going.events[:3])  # alarm, dispatch, arrival: not yet released


def _rescue(
    h: ElevatorLife,
    rng: random.Random,
    t: datetime,
    rescue_id: str,
    responder: int,
    minutes: int | None = None,
) -> Group:
    """A rescue from the alarm at ``t``: the 96333 platform dispatches ``responder`` (an index
    into the maintainers), who arrives and releases the trapped; an injury's insurance claim."""
    city = h.city
    unit = city.maintainers[responder]
    trapped = rng.choices((1, 2, 3, 4), weights=(50, 30, 15, 5))[0]
    dispatched = t + timedelta(seconds=rng.randint(90, 180))
    if minutes is None:
        minutes = rng.randint(8, 25) if rng.random() < 0.85 else rng.randint(26, 40)
    arrived = t + timedelta(minutes=minutes, seconds=rng.randint(0, 59))
    released = arrived + timedelta(minutes=rng.randint(3, 20), seconds=rng.randint(0, 59))
    injured = 1 if rng.random() < 0.03 else 0
    cause = rng.choices(
        ("door_system", "external_power", "human", "other"), weights=(45, 25, 15, 15)
    )[0]
    events = [
        Draft(
            t,
            soon(t, rng, 10, 40),
            "rescue.alarm",
            city.rescue.uscc,
            {
                "rescue_id": rescue_id,
                "source": "96333",
                "alarm_at": iso(t),
                "trapped": trapped,
            },
        ),
        Draft(
            dispatched,
            soon(dispatched, rng, 10, 40),
            "rescue.dispatched",
            city.rescue.uscc,
            {
                "rescue_id": rescue_id,
                "dispatched_at": iso(dispatched),
                "responder": unit.uscc,
            },
        ),
        Draft(
            arrived,
            soon(arrived, rng, 10, 60),
            "rescue.arrived",
            unit.uscc,
            {"rescue_id": rescue_id, "arrived_at": iso(arrived)},
        ),
        Draft(
            released,
            soon(released, rng, 30, 300),
            "rescue.released",
            unit.uscc,
            {
                "rescue_id": rescue_id,
                "released_at": iso(released),
                "trapped": trapped,
                "injured": injured,
                "cause": cause,
            },
        ),
    ]
    policy = h.policy_on(local_date(t))
    if injured and policy is not None:
        paid = work_time(released.date() + timedelta(days=rng.randint(10, 40)), rng)
        events.append(
            Draft(
                paid,
                soon(paid, rng),
                "insurance.claim_paid",
                city.insurer.uscc,
                {
                    "policy_number": policy.number,
                    "claim_number": f"LP-{paid.year}-{h.ref}-{rescue_id[-2:]}",
                    "amount_yuan": f"{rng.randint(20, 120) * 100}.00",
                    "rescue_id": rescue_id,
                },
            )
        )
    return Group(events)
