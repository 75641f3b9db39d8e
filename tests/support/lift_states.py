"""Elevators brought into service through the real signed write path (tests/support/city.py):
:func:`commissioned`, the steps every test of a lift in service under a maintenance contract
starts from; and the lifts in each state a passenger must be told about, one registered lift in
service, then one per state, each reached from its own copy of that life — for the QR page's
tests, in a test client and in a browser."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from domain.application.service import Receipt
from domain.model.roles import Role
from tests.support.city import NOW, City, Org, statement
from tests.support.timeline import Days

HISTORY = Days(NOW - timedelta(days=200))
at, day = HISTORY.at, HISTORY.day
#: The free texts the page must show (isolated), one distinctive phrase each.
STOP_REASON = "井道改造施工"
HAZARD = "曳引钢丝绳断丝超标"
HAZARD_DEADLINE = (NOW + timedelta(days=20)).date()
SCRAP_REASON = "安全评估结论为报废"
CANCEL_REASON = "设备已报废拆除"
FINDING = "制动器间隙超标"
TRAPPED = 2
#: Equipment codes (GB/T 18 digits) per state.
CODES = {
    "normal": "311023010201500101",
    "rescue": "311023010201500102",
    "stopped": "311023010201500103",
    "hazard": "311023010201500104",
    "scrapped": "311023010201500105",
    "cancelled": "311023010201500106",
    "failed": "311023010201500107",
    "unregistered": "311023010201500108",
}


@dataclass
class Commissioners:
    """The organizations that bring an elevator into service under a maintenance contract."""

    maker: Org
    builder: Org
    institute: Org
    owner: Org
    maintainer: Org
    bureau: Org


@dataclass(frozen=True)
class Step:
    """One statement of a history, with the organization that signs it as its issuer and any
    that co-sign it."""

    name: str
    signer: Org
    statement: dict[str, Any]
    cosigners: tuple[Org, ...] = ()


@dataclass(frozen=True)
class Schedule:
    """On which days of a life (manufactured on day 0) an elevator's construction is notified
    and completed, it passes its supervisory inspection, is registered and put under contract."""

    notified: float
    completed: float
    inspected: float
    registered: float
    contracted: float


#: In service within a month of manufacture.
PROMPT = Schedule(notified=1, completed=20, inspected=25, registered=30, contracted=31)
#: Installed over a month, in service seven weeks after manufacture.
UNHURRIED = Schedule(notified=10, completed=40, inspected=45, registered=50, contracted=51)
NOTHING: Mapping[str, Any] = MappingProxyType({})


def construction(p: Commissioners, code: str, life: Days, days: Schedule = PROMPT) -> list[Step]:
    """Manufactured on day 0 of ``life``, its construction notified and completed: awaiting its
    supervisory inspection."""
    at, day = life.at, life.day
    return [
        Step(
            "manufactured",
            p.maker,
            statement("elevator.manufactured", code, p.maker, at(0), manufactured_on=day(0)),
        ),
        Step(
            "notified",
            p.builder,
            statement(
                "construction.notified",
                code,
                p.builder,
                at(days.notified),
                planned_start=day(days.notified + 1),
            ),
        ),
        Step(
            "completed",
            p.builder,
            statement(
                "construction.completed",
                code,
                p.builder,
                at(days.completed),
                completed_on=day(days.completed),
            ),
        ),
    ]


def registration(p: Commissioners, code: str, at: datetime, **fields: Any) -> Step:
    """Use registration by the bureau to the owner at ``at``, with ``fields`` set."""
    return Step(
        "registered",
        p.bureau,
        statement("registration.issued", code, p.bureau, at, use_unit=p.owner.uscc, **fields),
    )


def commissioned(
    p: Commissioners,
    code: str,
    life: Days = HISTORY,
    days: Schedule = PROMPT,
    *,
    next_due: str | None = None,
    registration_fields: Mapping[str, Any] = NOTHING,
    rescue_platform: Org | None = None,
    rescue_code: str | None = None,
    contract_fields: Mapping[str, Any] = NOTHING,
) -> list[Step]:
    """An elevator in service under a maintenance contract, step by step on ``days`` of
    ``life``: manufactured, installed (:func:`construction`), its supervisory inspection passed
    (next due on ``next_due``, or as the regime says), registered to the owner (with
    ``registration_fields``), a rescue code from ``rescue_platform`` if one is given (the
    catalogue example's unless ``rescue_code`` says), and a contract with the maintainer,
    co-signed by the owner: number ``WB-`` and the code's last three digits, valid from its day
    to day 850 (``contract_fields`` changes any of that).

    The steps are returned, not said, so that a test can say them its own way (:func:`tell`,
    a batch with recorded times, interleaved with other lifts' steps)."""
    at, day = life.at, life.day
    steps = construction(p, code, life, days)
    steps.append(
        Step(
            "inspected",
            p.institute,
            statement(
                "inspection.concluded", code, p.institute, at(days.inspected), next_due=next_due
            ),
        )
    )
    steps.append(registration(p, code, at(days.registered), **registration_fields))
    if rescue_platform is not None:
        chosen = {} if rescue_code is None else {"rescue_code": rescue_code}
        assigned = statement(
            "rescue_code.assigned", code, rescue_platform, at(days.contracted), **chosen
        )
        steps.append(Step("rescue code", rescue_platform, assigned))
    contract = {
        "contract_number": f"WB-{code[-3:]}",
        "maintenance_unit": p.maintainer.uscc,
        "use_unit": p.owner.uscc,
        "valid_from": day(days.contracted),
        "valid_to": day(850),
        **contract_fields,
    }
    signed = statement(
        "maintenance_contract.signed", code, p.maintainer, at(days.contracted), **contract
    )
    steps.append(Step("contracted", p.maintainer, signed, (p.owner,)))
    return steps


def tell(city: City, steps: Iterable[Step]) -> dict[str, Receipt]:
    """Say each step in ``city``, in order: the receipts by step name."""
    return {step.name: city.say(step.signer, step.statement, *step.cosigners) for step in steps}


@dataclass
class Parties(Commissioners):
    """The commissioners of the lifts in each state, and the platform and insurer they need."""

    platform: Org
    insurer: Org

    @classmethod
    def onboard(cls, city: City) -> Parties:
        return cls(
            maker=city.org(Role.MANUFACTURER, name="益阳电梯制造有限公司"),
            builder=city.org(Role.CONSTRUCTION_UNIT, name="益阳电梯安装有限公司"),
            institute=city.org(Role.INSPECTION_INSTITUTE, name="益阳市特种设备检验所"),
            owner=city.org(Role.USE_UNIT, name="赫山花园物业服务有限公司"),
            maintainer=city.org(Role.MAINTENANCE_UNIT, name="安达电梯维保有限公司"),
            bureau=city.org(Role.REGULATOR, name="益阳市市场监督管理局"),
            platform=city.org(Role.RESCUE_PLATFORM, name="96333 应急处置平台"),
            insurer=city.org(Role.INSURER, name="平安财产保险益阳支公司"),
        )


def constructed(city: City, p: Parties, code: str, life: Days = HISTORY) -> None:
    """Manufactured on day 0 of ``life``, construction notified on day 1 and completed on day
    20: awaiting its supervisory inspection."""
    tell(city, construction(p, code, life))


def identified(code: str) -> dict[str, str]:
    """Registration fields of its own for the lift ``code``: under TSG T7001-2023, with a
    registration code and certificate number from its code."""
    return {
        "regime": "tsg_t7001_2023",
        "registration_code": f"3110430900201605{code[-4:]}",
        "certificate_number": f"梯11湘H{code[-4:]}(16)",
    }


def registered(city: City, p: Parties, code: str, days: float, life: Days = HISTORY) -> None:
    """Use registration by the bureau to the owner, under TSG T7001-2023, on day ``days``."""
    tell(city, [registration(p, code, life.at(days), **identified(code))])


def in_service(city: City, p: Parties, code: str, *, recent_visit: bool = True) -> None:
    """Manufactured, installed, inspected, registered, a rescue code, a contract, insured and
    maintained three days ago: nothing a passenger needs to be warned of. Without
    ``recent_visit`` the last visit is left out (so that a construction dated after the
    insurance breaks no later statement: each statement is judged on its own date)."""
    say = city.say
    life = commissioned(
        p,
        code,
        registration_fields=identified(code),
        rescue_platform=p.platform,
        rescue_code=f"09{code[-4:]}",
        contract_fields={"contract_number": f"C-{code[-4:]}", "valid_to": day(600)},
    )
    tell(city, life)
    say(
        p.insurer,
        statement(
            "insurance.policy_issued",
            code,
            p.insurer,
            at(32),
            policy_number=f"P-{code[-4:]}",
            insured=p.owner.uscc,
            valid_from=day(32),
            valid_to=day(500),
        ),
    )
    if not recent_visit:
        return
    visit = NOW - timedelta(days=3)
    say(
        p.maintainer,
        statement(
            "maintenance.performed",
            code,
            p.maintainer,
            visit,
            visit_id=f"V-{code[-4:]}",
            arrived_at=visit.isoformat(),
            departed_at=(visit + timedelta(hours=1)).isoformat(),
        ),
    )


def build(
    city: City, states: tuple[str, ...] = tuple(CODES), p: Parties | None = None
) -> dict[str, str]:
    """An elevator in each of ``states`` (state → equipment code), the read models caught up."""
    p = p or Parties.onboard(city)
    say = city.say
    for state in states:
        code = CODES[state]
        if state == "unregistered":
            made = statement("elevator.manufactured", code, p.maker, at(0), manufactured_on=day(0))
            say(p.maker, made)
            continue
        in_service(city, p, code)
        recent = NOW - timedelta(minutes=40)
        ago = NOW - timedelta(days=2)  # after the last maintenance visit (three days ago)
        if state == "rescue":
            alarm = statement(
                "rescue.alarm",
                code,
                p.platform,
                recent,
                rescue_id="R-LIVE-1",
                alarm_at=recent.isoformat(),
                trapped=TRAPPED,
            )
            say(p.platform, alarm)
        elif state == "stopped":
            say(p.owner, statement("use.stopped", code, p.owner, ago, reason=STOP_REASON))
        elif state == "hazard":
            listed = statement(
                "hazard.listed",
                code,
                p.bureau,
                ago,
                hazard_id="H-1",
                description=HAZARD,
                deadline=HAZARD_DEADLINE.isoformat(),
            )
            say(p.bureau, listed)
        elif state in ("scrapped", "cancelled"):
            scrap = statement(
                "elevator.scrapped",
                code,
                p.owner,
                ago,
                scrapped_on=ago.date().isoformat(),
                reason=SCRAP_REASON,
            )
            say(p.owner, scrap)
            if state == "cancelled":
                cancel = statement(
                    "registration.cancelled",
                    code,
                    p.bureau,
                    NOW - timedelta(days=1),
                    reason=CANCEL_REASON,
                )
                say(p.bureau, cancel)
        elif state == "failed":
            failed = statement(
                "inspection.concluded",
                code,
                p.institute,
                ago,
                kind="periodic",
                conclusion="fail",
                report_number="DJ-FAIL-1",
                findings=[FINDING],
                rectification_deadline=(NOW + timedelta(days=30)).date().isoformat(),
                next_due=None,
            )
            say(p.institute, failed)
    city.node.projections.catch_up()
    return {state: CODES[state] for state in states}


def close(city: City, p: Parties, state: str, code: str) -> None:
    """End ``state`` (rescue, stopped or hazard) of the elevator ``code`` built by :func:`build`
    with the statements that end it."""
    now = NOW - timedelta(minutes=1)
    steps: dict[str, list[tuple[Org, str, dict[str, object]]]] = {
        "rescue": [
            (p.platform, "rescue.dispatched", {"responder": p.maintainer.uscc}),
            (p.maintainer, "rescue.arrived", {}),
            (p.maintainer, "rescue.released", {"trapped": TRAPPED}),
        ],
        "stopped": [(p.owner, "use.resumed", {})],
        "hazard": [(p.bureau, "hazard.closed", {"hazard_id": "H-1"})],
    }
    moments = {
        "rescue.dispatched": "dispatched_at",
        "rescue.arrived": "arrived_at",
        "rescue.released": "released_at",
    }
    for org, kind, data in steps[state]:
        extra = {"rescue_id": "R-LIVE-1", moments[kind]: now.isoformat()} if kind in moments else {}
        city.say(org, statement(kind, code, org, now, **data, **extra))
    city.node.projections.catch_up()
