"""Occasional statements: a stop of use, supervision checks, complaints, hazards listed for
supervision with their rectification, a penalty, safety assessments, and the scrapping."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from demo.events import Draft, Group
from demo.life import ElevatorLife
from demo.scenarios import Scenario
from demo.timing import local_date, soon, work_time

_HAZARDS_LIFT = (
    ("曳引钢丝绳断丝超标", "更换全部曳引钢丝绳", "已更换全部曳引钢丝绳并做平衡系数试验"),
    ("层门自闭装置失效", "修复或更换层门自闭装置", "已更换各层层门自闭重锤"),
    ("制动器制动力不足", "检修或更换制动器", "已更换制动器闸瓦并做125%载荷制动试验"),
)
_HAZARDS_ESCALATOR = (
    ("梯级断裂", "更换断裂梯级并检查梯级链", "已更换梯级并检查全部梯级链"),
    ("扶手带破损", "更换扶手带", "已更换扶手带并调整张紧度"),
)
_COMPLAINTS_LIFT = (
    "电梯运行时异响",
    "电梯关门过快夹人",
    "电梯经常停运",
    "轿厢内照明不亮",
    "维保人员长期未到场",
    "电梯按钮失灵",
)
_COMPLAINTS_ESCALATOR = ("扶梯运行时抖动", "扶手带与梯级不同步", "扶梯经常停运")
_RESOLUTIONS = (
    "已责令维保单位检修，问题已处理",
    "经核查维保记录正常，已向投诉人解释",
    "已约谈使用单位，限期整改完成",
)
_SUPERVISION_FINDINGS = (
    "维保记录缺少使用单位确认",
    "应急救援演练记录不全",
    "安全管理员证书过期",
    "使用标志未张贴在轿厢显著位置",
)


def one_off_groups(h: ElevatorLife) -> Iterator[Group]:
    """Stops, supervision, complaints, hazards, penalty, assessments, the scrapping."""
    city, rng = h.city, h.city.rng(h.i, "one-offs")
    regulator = city.regulator.uscc
    groups: list[Group] = []
    if h.stop_group is not None:
        groups.append(h.stop_group)
    if h.works_group is not None:
        groups.append(h.works_group)
    lo = h.service_start.date() + timedelta(days=7)
    hi = local_date(h.horizon) - timedelta(days=3)

    # supervision checks: in about three years out of five
    start = lo
    while start < hi:
        if rng.random() < 0.6:
            day = h.free_day(rng, start, min(start + timedelta(days=364), hi), 1)
            if day is not None:
                at = work_time(day, rng)
                ok = rng.random() < 0.85
                data: dict[str, Any] = {
                    "result": "compliant" if ok else "non_compliant",
                    "findings": [] if ok else rng.sample(_SUPERVISION_FINDINGS, 1),
                }
                groups.append(
                    Group([Draft(at, soon(at, rng), "supervision.checked", regulator, data)])
                )
        start += timedelta(days=365)

    # complaints
    count = sum(1 for _ in range(city.years) if rng.random() < 0.08)
    if h.i == city.complaint_index:
        count += 1
    for n in range(1, count + 1):
        day = h.free_day(rng, lo, hi - timedelta(days=12), 12)
        if day is None:
            continue
        at = work_time(day, rng, 8.0, 21.0)
        channel = rng.choice(("12345", "96333", "qr_scan", "12315", "web"))
        complaint_id = f"TS-{at.year}-{h.ref}-{n}"
        received: dict[str, Any] = {
            "complaint_id": complaint_id,
            "channel": channel,
            "summary": rng.choice(_COMPLAINTS_ESCALATOR if h.escalator else _COMPLAINTS_LIFT),
        }
        if rng.random() < 0.7:
            received["complainant_contact"] = (
                f"1{rng.randint(30, 99)}****{rng.randint(0, 9999):04d}"
            )
        receiver = city.rescue.uscc if channel == "96333" else regulator
        done = work_time(day + timedelta(days=rng.randint(2, 10)), rng)
        groups.append(
            Group(
                [
                    Draft(at, soon(at, rng), "complaint.received", receiver, received),
                    Draft(
                        done,
                        soon(done, rng),
                        "complaint.resolved",
                        regulator,
                        {"complaint_id": complaint_id, "resolution": rng.choice(_RESOLUTIONS)},
                    ),
                ]
            )
        )

    # hazards listed for supervision
    if h.i == city.hazard_index or rng.random() < 0.03:
        day = h.free_day(rng, lo, hi - timedelta(days=40), 40)
        hazard = _hazard(h, rng, day) if day is not None else None
        if hazard is not None:
            groups.append(hazard)
    if h.scenario is Scenario.OPEN_HAZARD:  # listed three weeks ago, the order not yet done
        end = local_date(city.end)
        day = h.free_day(rng, end - timedelta(days=25), end - timedelta(days=18), 1)
        hazard = _hazard(h, rng, day) if day is not None else None
        if hazard is not None:
            groups.append(Group(hazard.events[:2]))

    if h.i == city.penalty_index:
        day = h.free_day(rng, lo, hi, 1)
        target = h.unit_on(day) if day is not None else None
        if day is not None and target is not None:
            at = work_time(day, rng)
            data = {
                "decision_number": f"益市监罚〔{at.year}〕{10 + h.i % 90}号",
                "target": target.uscc,
                "amount_yuan": "20000.00",
                "reason": "未按规定进行维护保养，维保间隔超过15日",
            }
            groups.append(Group([Draft(at, soon(at, rng), "penalty.imposed", regulator, data)]))

    if h.i == city.assessment_index:
        day = h.free_day(rng, lo, hi, 1)
        if day is not None:
            groups.append(_assessment(h, rng, day, "continue"))
    if h.scenario is Scenario.OLD_ASSESSED:  # assessed after 15 years in use: may continue
        day = h.free_day(rng, hi - timedelta(days=300), hi - timedelta(days=100), 1)
        if day is not None:
            groups.append(_assessment(h, rng, day, "continue"))

    if h.cut is not None:
        cut = h.cut
        day = h.free_day(
            rng, local_date(cut) - timedelta(days=40), local_date(cut) - timedelta(days=15), 1
        )
        if day is not None:
            groups.append(_assessment(h, rng, day, "scrap"))
        groups.append(_scrapping(h, rng, cut))

    groups.sort(key=lambda g: g.key)
    yield from groups


def _hazard(h: ElevatorLife, rng: random.Random, day: date) -> Group | None:
    regulator = h.city.regulator.uscc
    description, item, done = rng.choice(_HAZARDS_ESCALATOR if h.escalator else _HAZARDS_LIFT)
    listed = work_time(day, rng)
    deadline = (day + timedelta(days=30)).isoformat()
    hazard_id = f"H-{listed.year}-{h.ref}"
    order_id = f"ZG-{listed.year}-{h.ref}"
    ordered = work_time(day + timedelta(days=rng.randint(1, 3)), rng)
    completed = work_time(ordered.date() + timedelta(days=rng.randint(5, 20)), rng)
    closed = work_time(completed.date() + timedelta(days=rng.randint(2, 7)), rng)
    worker = h.unit_on(completed.date())
    if worker is None:
        return None  # no maintainer under contract to do the work: not planned
    return Group(
        [
            Draft(
                listed,
                soon(listed, rng),
                "hazard.listed",
                regulator,
                {"hazard_id": hazard_id, "description": description, "deadline": deadline},
            ),
            Draft(
                ordered,
                soon(ordered, rng),
                "rectification.ordered",
                regulator,
                {
                    "order_id": order_id,
                    "hazard_id": hazard_id,
                    "items": [item],
                    "deadline": deadline,
                },
            ),
            Draft(
                completed,
                soon(completed, rng),
                "rectification.completed",
                worker.uscc,
                {"order_id": order_id, "description": done},
            ),
            Draft(
                closed,
                soon(closed, rng),
                "hazard.closed",
                regulator,
                {"hazard_id": hazard_id, "note": "复查合格，销号"},
            ),
        ]
    )


def _assessment(h: ElevatorLife, rng: random.Random, day: date, conclusion: str) -> Group:
    at = work_time(day, rng)
    data = {"conclusion": conclusion, "report_number": f"PG-{at.year}-{h.ref}"}
    return Group([Draft(at, soon(at, rng), "assessment.concluded", h.city.institute.uscc, data)])


def _scrapping(h: ElevatorLife, rng: random.Random, cut: datetime) -> Group:
    events: list[Draft] = []
    at = cut
    for c in h.contracts:
        if c.signed < cut and c.valid_to >= cut.date():
            events.append(
                Draft(
                    at,
                    soon(at, rng, 10, 50),
                    "maintenance_contract.ended",
                    h.use.uscc,
                    {"contract_number": c.number, "reason": "电梯报废，终止维保合同"},
                )
            )
            at += timedelta(minutes=1)
    scrapped = cut + timedelta(hours=rng.randint(1, 3))
    cancelled = work_time(scrapped.date() + timedelta(days=rng.randint(1, 10)), rng)
    events += [
        Draft(
            scrapped,
            soon(scrapped, rng),
            "elevator.scrapped",
            h.use.uscc,
            {"scrapped_on": scrapped.date().isoformat(), "reason": "安全评估结论为报废"},
        ),
        Draft(
            cancelled,
            soon(cancelled, rng),
            "registration.cancelled",
            h.city.regulator.uscc,
            {"reason": "设备已报废，注销使用登记"},
        ),
    ]
    return Group(events, fixed=True)
