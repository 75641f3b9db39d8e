"""Maintenance visits: a visit about every 15 days by the unit under contract, with its items by
level, and the use unit's confirmation; now and then a record back-filled late."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from demo.events import Draft, Group
from demo.life import ElevatorLife
from demo.scenarios import Scenario
from demo.timing import iso, local_date, soon, work_time

_LIFT_ITEMS = {"half_month": 31, "quarterly": 12, "half_yearly": 15, "annual": 17}
_ESCALATOR_ITEMS = {"half_month": 31, "quarterly": 6, "half_yearly": 10, "annual": 12}
_LEVEL_PREFIX = {"half_month": "1", "quarterly": "2", "half_yearly": "3", "annual": "4"}
_LIFT_WORK = (
    ("制动器间隙调整", "制动器闸瓦"),
    ("门刀与门轮间隙调整", "层门滑块"),
    ("轿门门锁触点清洁", "门锁触点"),
    ("平层精度调整", "平层感应器"),
    ("限速器销轴润滑", "限速器开关"),
)
_ESCALATOR_WORK = (
    ("梯级链润滑", "梯级滚轮"),
    ("扶手带张紧度调整", "扶手带导向轮"),
    ("梳齿板调整", "梳齿板"),
    ("驱动链张紧", "驱动链滑块"),
)


def visit_groups(h: ElevatorLife) -> Iterator[Group]:
    """Maintenance visits and their confirmations, until the horizon or the last contract."""
    city, rng = h.city, h.city.rng(h.i, "visits")
    last = local_date(h.horizon)
    # the first visit the day after the contract is signed (and the lift registered) at the
    # earliest; with an on-demand contract about monthly; a maintainer who stopped coming
    first = max(h.contracts[0].valid_from, local_date(h.t_registered))
    day = first + timedelta(days=rng.randint(1, 5))
    on_demand = h.scenario is Scenario.ON_DEMAND
    stops_coming = last - timedelta(days=25) if h.scenario is Scenario.MAINTENANCE_OVERDUE else None
    prefix = "D" if h.escalator else "A"
    counts = _ESCALATOR_ITEMS if h.escalator else _LIFT_ITEMS
    work = _ESCALATOR_WORK if h.escalator else _LIFT_WORK
    month_seen: tuple[int, int] | None = None
    manager = city.safety_managers[h.p.use_unit % len(city.safety_managers)]
    while True:
        resume = h.stopped_on(day)
        if resume is not None:
            day = resume + timedelta(days=rng.randint(1, 2))
        if day > last or (stops_coming is not None and day > stops_coming):
            return
        unit = h.unit_on(day)
        if unit is None:
            return
        levels = ["half_month"]
        if month_seen != (day.year, day.month):
            month_seen = (day.year, day.month)
            k = (day.month - h.baseline.month) % 12
            if k % 3 == 2:
                levels.append("quarterly")
            if k % 6 == 5:
                levels.append("half_yearly")
            if k == 11:
                levels.append("annual")
        items: list[dict[str, Any]] = []
        parts: list[dict[str, Any]] = []
        problems: list[dict[str, Any]] = []
        for level in levels:
            n = rng.randint(3, 5) if level == "half_month" else rng.randint(1, 2)
            for number in sorted(rng.sample(range(1, counts[level] + 1), n)):
                item: dict[str, Any] = {
                    "code": f"{prefix}{_LEVEL_PREFIX[level]}.{number}",
                    "result": "ok",
                }
                roll = rng.random()
                adjustment, part = rng.choice(work)
                if roll < 0.08:
                    item.update(result="adjusted", note=adjustment)
                elif roll < 0.11:
                    item.update(result="replaced", note=f"更换{part}")
                    parts.append({"name": part, "quantity": rng.randint(1, 4)})
                elif roll < 0.12:
                    item.update(result="defect", note=f"{part}磨损")
                    problems.append(
                        {"description": f"{part}磨损超标", "handling": "已报使用单位，择日更换"}
                    )
                items.append(item)
        crew = city.technicians[city.maintainers.index(unit)]
        a, b = rng.sample(range(len(crew)), 2)
        arrived = work_time(day, rng, 8.5, 16.0)
        departed = arrived + timedelta(minutes=rng.randint(40, 90), seconds=rng.randint(0, 59))
        if stops_coming is not None and day + timedelta(days=15) > stops_coming:
            departed = arrived + timedelta(minutes=rng.randint(11, 16))  # its last visit: brief
        visit_id = f"V{day:%Y%m%d}-{h.ref}"
        data: dict[str, Any] = {
            "visit_id": visit_id,
            "levels": levels,
            "items": items,
            "arrived_at": iso(arrived),
            "departed_at": iso(departed),
            "technicians": [
                {"name": crew[a][0], "certificate_number": crew[a][1]},
                {"name": crew[b][0], "certificate_number": crew[b][1]},
            ],
        }
        if parts:
            data["parts_replaced"] = parts
        if problems:
            data["problems_found"] = problems
        recorded = soon(departed, rng, 60, 1800)
        if rng.random() < 0.03:  # recorded late: a back-filled paper record
            late = departed + timedelta(days=rng.randint(3, 20), seconds=rng.randint(0, 36_000))
            if (
                late <= city.end
                and h.unit_on(local_date(late)) is unit
                and not h.blocked(departed, late, "maintenance.performed")
            ):
                recorded = late
        events = [Draft(departed, recorded, "maintenance.performed", unit.uscc, data)]
        if rng.random() < 0.6:
            confirmed = recorded + timedelta(minutes=rng.randint(10, 180))
        else:
            confirmed = work_time(local_date(recorded) + timedelta(days=rng.randint(1, 3)), rng)
        events.append(
            Draft(
                confirmed,
                soon(confirmed, rng, 20, 600),
                "maintenance.confirmed",
                h.use_on(local_date(confirmed)).uscc,
                {"visit_id": visit_id, "confirmed_by": manager},
            )
        )
        yield Group(events, prefix_ok=True)
        gap = rng.randint(18, 25) if rng.random() < 0.05 else rng.randint(14, 15)
        if on_demand:  # half-month items spread over each calendar month
            gap = rng.randint(26, 31)
        day += timedelta(days=gap)
