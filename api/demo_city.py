"""A deterministic synthetic city for ``elevator-ledger demo``: who says what, about which lift.

Pure planning: no keys, no clock, no I/O. :func:`plan_city` returns a :class:`CityPlan` with the
organizations of a Yiyang-like city and its elevators; :meth:`CityPlan.statements` yields every
elevator statement of the city's history (about five years ending just before ``now``) in ledger
order, ready for the CLI to add ``prev``, sign and submit at ``recorded_at``. Organization setup
(``org.registered``, role grants, licences, keys) is left to the CLI.

Everything is a function of ``(elevators, years, seed, now)``: each elevator draws from its own
random streams (``random.Random`` seeded with a string, stable across processes), so a history
does not depend on how many other elevators there are or in which order they are generated.

Memory stays small for large cities: an elevator's history is planned only when the city-wide
merge first needs more than its first statement (``elevator.manufactured``, which comes from the
cheap per-elevator profile), and is then produced as a stream. Within an elevator, histories are
built from sources (setup, contracts, insurance, visits, inspections, faults, rescues, one-off
events) yielding *groups* (a visit and its confirmation, a fault and its clearance, a rescue...)
in order of their first ``occurred_at``; since ``recorded_at >= occurred_at`` a small buffer puts
them in ``recorded_at`` order.

The histories obey the lifecycle rules the ledger enforces, checked in recorded order: the lift
is manufactured first; construction is completed by the unit that notified it; registration
follows a supervisory pass; a re-inspection follows a fail; maintenance is by the maintenance
unit of a contract active on the visit's date; confirmations follow the (possibly late) visit
record; contracts are signed with the registered use unit and never overlap another unit's; a
fault is cleared only while open; rescues go alarm, dispatched, arrived, released; nothing but
inspection, hazard and complaint statements happens while the lift is stopped; nothing but the
registration's cancellation follows a scrapping.
"""

from __future__ import annotations

import calendar
import heapq
import random
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from types import MappingProxyType
from typing import Any

from domain.identifiers import Category, is_escalator, make_uscc
from domain.roles import LICENCE_FOR_ROLE, LicenceKind, Role

__all__ = ["CST", "CityPlan", "DemoOrganization", "PlannedStatement", "plan_city"]

#: China Standard Time (Asia/Shanghai has had no DST since 1991): every ``occurred_at`` uses it.
CST = timezone(timedelta(hours=8), "CST")

_MAX_ELEVATORS = 99_999  # equipment-code serials are five digits
_DAY = timedelta(days=1)


# --------------------------------------------------------------------------------------------
# Public types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoOrganization:
    """An organization of the demo city. ``address`` and ``legal_representative`` are for the
    CLI's ``org.registered`` statement; :func:`plan_city` always sets them."""

    uscc: str
    name: str
    roles: tuple[Role, ...]
    district: str
    licences: tuple[tuple[LicenceKind, str], ...]
    address: str = ""
    legal_representative: str = ""


@dataclass(frozen=True)
class PlannedStatement:
    """One statement to submit: at ledger time ``recorded_at``, signed by ``signers``.

    ``signers[0]`` is the issuer; a second USCC co-signs (``maintenance_contract.signed``: the use
    unit). With ``via_terminal`` the issuer's IoT terminal key bound to the elevator signs instead
    of the issuer's organization key. ``statement`` has no ``prev``: the CLI adds the chain head.
    """

    recorded_at: datetime
    signers: tuple[str, ...]
    statement: dict[str, Any]
    via_terminal: bool = False


@dataclass(frozen=True)
class CityPlan:
    """The demo city: organizations, elevators, terminals, and (lazily) every elevator statement."""

    regulator: DemoOrganization
    organizations: tuple[DemoOrganization, ...]
    elevators: tuple[str, ...]
    terminals: Mapping[str, str]
    now: datetime
    years: int
    seed: int
    _city: _City = field(repr=False, compare=False)

    def statements(self) -> Iterator[PlannedStatement]:
        """All elevator statements, sorted by ``recorded_at`` (ties: elevator index, then order
        within the elevator's history). A fresh generator on every call."""
        city = self._city
        streams = [_elevator_stream(city, p) for p in city.profiles]
        for _recorded, _index, _seq, planned in heapq.merge(*streams):
            yield planned

    def by_role(self, role: Role) -> tuple[DemoOrganization, ...]:
        """The organizations (regulator included) holding ``role``."""
        return tuple(o for o in (self.regulator, *self.organizations) if role in o.roles)

    def organization(self, uscc: str) -> DemoOrganization:
        """The organization with this USCC; raises ``KeyError``."""
        for o in (self.regulator, *self.organizations):
            if o.uscc == uscc:
                return o
        raise KeyError(uscc)


def plan_city(elevators: int, *, years: int = 5, seed: int = 0, now: datetime) -> CityPlan:
    """Plan a synthetic city of ``elevators`` lifts whose histories span about ``years`` years
    before ``now`` (timezone-aware). Deterministic in its arguments.

    Histories start after ``now - (years + 1) years`` (where the CLI's role grants and licences
    begin) and end before ``now``.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if not 0 <= elevators <= _MAX_ELEVATORS:
        raise ValueError(f"elevators must be 0..{_MAX_ELEVATORS}")
    if years < 1:
        raise ValueError("years must be at least 1")
    now_utc = now.astimezone(UTC).replace(microsecond=0)
    orgs = _organizations(seed, now_utc)
    regulator, others = orgs[0], orgs[1:]

    def role(r: Role) -> tuple[DemoOrganization, ...]:
        return tuple(o for o in others if r in o.roles)

    maintainers, use_units = role(Role.MAINTENANCE_UNIT), role(Role.USE_UNIT)
    city_rng = random.Random(f"elevator-ledger-demo/{seed}/city")
    picks = [city_rng.randrange(elevators) for _ in range(6)] if elevators else [-1] * 6
    scrap = picks[0] if elevators >= 6 else -1
    assessment = picks[1]
    if elevators >= 2 and assessment == scrap:
        assessment = (assessment + 1) % elevators
    city = _City(
        seed=seed,
        years=years,
        now=now_utc,
        end=now_utc - timedelta(minutes=1),
        regulator=regulator,
        manufacturer=role(Role.MANUFACTURER)[0],
        construction=role(Role.CONSTRUCTION_UNIT)[0],
        institute=role(Role.INSPECTION_INSTITUTE)[0],
        testing=role(Role.TESTING_BODY)[0],
        insurer=role(Role.INSURER)[0],
        rescue=role(Role.RESCUE_PLATFORM)[0],
        maintainers=maintainers,
        use_units=use_units,
        technicians=tuple(_technicians(seed, k, o.district) for k, o in enumerate(maintainers)),
        safety_managers=tuple(_person(random.Random(f"{seed}/sm/{k}")) for k in range(9)),
        scrap_index=scrap,
        assessment_index=assessment,
        penalty_index=picks[2],
        hazard_index=picks[3],
        stop_index=picks[4],
        complaint_index=picks[5],
        profiles=(),
    )
    profiles = tuple(_profile(city, i) for i in range(elevators))
    city = replace(city, profiles=profiles)
    terminals = {p.code: maintainers[p.maintainer].uscc for p in profiles if p.terminal}
    return CityPlan(
        regulator=regulator,
        organizations=others,
        elevators=tuple(p.code for p in profiles),
        terminals=MappingProxyType(terminals),
        now=now_utc,
        years=years,
        seed=seed,
        _city=city,
    )


# --------------------------------------------------------------------------------------------
# Organizations
# --------------------------------------------------------------------------------------------

# role, registration department + organization type (GB 32100 positions 1-2), district, name,
# address, legal representative
_ORG_SPECS: tuple[tuple[Role, str, str, str, str, str], ...] = (
    (
        Role.REGULATOR,
        "11",
        "430900",
        "益阳市市场监督管理局",
        "益阳市赫山区康富南路8号",
        "刘建华",
    ),
    (
        Role.MAINTENANCE_UNIT,
        "91",
        "430903",
        "益阳市安达电梯维保有限公司",
        "益阳市赫山区龙岭大道88号",
        "陈志强",
    ),
    (
        Role.MAINTENANCE_UNIT,
        "91",
        "430902",
        "益阳市顺捷电梯工程有限公司",
        "益阳市资阳区资江西路126号",
        "周海涛",
    ),
    (
        Role.USE_UNIT,
        "91",
        "430902",
        "益阳市资阳区幸福里物业管理有限公司",
        "益阳市资阳区幸福里小区物业服务中心",
        "王丽华",
    ),
    (
        Role.USE_UNIT,
        "91",
        "430903",
        "益阳市赫山区碧水湾物业服务有限公司",
        "益阳市赫山区碧水湾花园1栋101",
        "李国庆",
    ),
    (
        Role.MANUFACTURER,
        "91",
        "430900",
        "湖南资江电梯制造有限公司",
        "益阳市高新区东部产业园资江路18号",
        "赵德华",
    ),
    (
        Role.CONSTRUCTION_UNIT,
        "91",
        "430923",
        "安化县建安电梯安装工程有限公司",
        "安化县东坪镇建设路56号",
        "黄永胜",
    ),
    (
        Role.INSPECTION_INSTITUTE,
        "12",
        "430900",
        "湖南省特种设备检验检测研究院益阳分院",
        "益阳市赫山区金山南路239号",
        "孙文斌",
    ),
    (
        Role.TESTING_BODY,
        "91",
        "430903",
        "益阳市华测电梯检测技术有限公司",
        "益阳市赫山区桃花仑东路66号",
        "吴俊杰",
    ),
    (
        Role.INSURER,
        "91",
        "430902",
        "湘资财产保险股份有限公司益阳中心支公司",
        "益阳市资阳区五一西路9号",
        "郭红兵",
    ),
    (
        Role.RESCUE_PLATFORM,
        "12",
        "430900",
        "益阳市96333电梯应急处置服务中心",
        "益阳市赫山区银城南路2号",
        "马小龙",
    ),
    (
        Role.MAINTENANCE_UNIT,
        "91",
        "430981",
        "沅江市恒力电梯服务有限公司",
        "沅江市琼湖街道庆丰路31号",
        "朱家豪",
    ),
    (
        Role.USE_UNIT,
        "91",
        "430922",
        "桃江县美华购物广场有限公司",
        "桃江县桃花江镇桃花西路200号",
        "何明辉",
    ),
)

_LICENCE_PREFIX: Mapping[LicenceKind, str] = MappingProxyType(
    {
        LicenceKind.MANUFACTURE: "TS2243",
        LicenceKind.INSTALLATION_REPAIR: "TS3343",
        LicenceKind.INSPECTION: "TS7143",
        LicenceKind.TESTING: "TS7243",
    }
)


def _organizations(seed: int, now: datetime) -> tuple[DemoOrganization, ...]:
    orgs = []
    for k, (role, dept, district, name, address, representative) in enumerate(_ORG_SPECS):
        block = "MB1P" if dept[0] == "1" else "MA4L"
        uscc = make_uscc(f"{dept}{district}{block}{seed % 1000:03d}{k:02d}")
        licences: tuple[tuple[LicenceKind, str], ...] = ()
        kind = LICENCE_FOR_ROLE.get(role)
        if kind is not None:
            licences = ((kind, f"{_LICENCE_PREFIX[kind]}{k:03d}-{now.year + 5}"),)
        orgs.append(
            DemoOrganization(
                uscc=uscc,
                name=name,
                roles=(role,),
                district=district,
                licences=licences,
                address=address,
                legal_representative=representative,
            )
        )
    return tuple(orgs)


_SURNAMES = "李王张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗曾彭谢邓"
_GIVEN = (
    "建国",
    "志强",
    "海涛",
    "伟",
    "军",
    "勇",
    "磊",
    "超",
    "明",
    "辉",
    "俊杰",
    "文斌",
    "小龙",
    "红梅",
    "德华",
    "永胜",
    "家豪",
    "丽娟",
    "桂英",
    "晓东",
)


def _person(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + rng.choice(_GIVEN)


def _technicians(seed: int, k: int, district: str) -> tuple[tuple[str, str], ...]:
    """Six technicians (name, certificate number) of maintenance unit ``k``."""
    rng = random.Random(f"elevator-ledger-demo/{seed}/technicians/{k}")
    crew: list[tuple[str, str]] = []
    seen: set[str] = set()
    while len(crew) < 6:
        born = date(1970, 1, 1) + timedelta(days=rng.randint(0, 30 * 365))
        cert = f"T{district}{born:%Y%m%d}{rng.randint(0, 9999):04d}"
        if cert not in seen:
            seen.add(cert)
            crew.append((_person(rng), cert))
    return tuple(crew)


# --------------------------------------------------------------------------------------------
# City context and elevator profiles
# --------------------------------------------------------------------------------------------

_MAKER_CODE = "43901"  # the manufacturer's code inside equipment codes

# model, rated load (kg), rated speed (m/s), stops (min, max), type-test certificate
_MODELS: Mapping[Category, tuple[tuple[str, int, str, tuple[int, int], str], ...]] = {
    Category.TRACTION_PASSENGER: (
        ("ZJ-KP800", 800, "1.00", (6, 11), "TSX3110-2018-0101"),
        ("ZJ-KP1000", 1000, "1.75", (12, 26), "TSX3110-2018-0102"),
        ("ZJ-KP1350", 1350, "2.00", (18, 33), "TSX3110-2019-0107"),
    ),
    Category.TRACTION_GOODS: (("ZJ-HF2000", 2000, "0.50", (2, 6), "TSX3120-2018-0203"),),
    Category.ESCALATOR: (("ZJ-FT1000-30", 4500, "0.50", (2, 2), "TSX3310-2019-0301"),),
}


@dataclass(frozen=True, slots=True)
class _Profile:
    """What the city-wide merge needs about an elevator before planning its history."""

    index: int
    code: str
    category: Category
    use_unit: int
    maintainer: int
    district: str
    site: str
    terminal: bool
    manufactured_at: datetime  # CST
    manufactured_recorded: datetime
    manufactured_data: dict[str, Any]


@dataclass(frozen=True)
class _City:
    seed: int
    years: int
    now: datetime
    end: datetime  # nothing is recorded after this
    regulator: DemoOrganization
    manufacturer: DemoOrganization
    construction: DemoOrganization
    institute: DemoOrganization
    testing: DemoOrganization
    insurer: DemoOrganization
    rescue: DemoOrganization
    maintainers: tuple[DemoOrganization, ...]
    use_units: tuple[DemoOrganization, ...]
    technicians: tuple[tuple[tuple[str, str], ...], ...]
    safety_managers: tuple[str, ...]
    scrap_index: int
    assessment_index: int
    penalty_index: int
    hazard_index: int
    stop_index: int
    complaint_index: int
    profiles: tuple[_Profile, ...]

    def rng(self, index: int, stream: str) -> random.Random:
        return random.Random(f"elevator-ledger-demo/{self.seed}/{index}/{stream}")


def _profile(city: _City, i: int) -> _Profile:
    rng = city.rng(i, "profile")
    n_use, n_maint = len(city.use_units), len(city.maintainers)
    use_unit = i % n_use
    maintainer = (i + i // n_use) % n_maint
    if use_unit == n_use - 1:  # the shopping mall: escalators and passenger lifts
        category = Category.ESCALATOR if rng.random() < 0.5 else Category.TRACTION_PASSENGER
    else:
        category = Category.TRACTION_GOODS if rng.random() < 0.1 else Category.TRACTION_PASSENGER
    # manufactured about years + 0.5 ago; one in five is newer (a later building)
    base = city.now - timedelta(days=round(city.years * 365.25) + 180)
    newest = min(730, city.years * 365 // 2)
    offset = rng.randint(0, 150) if rng.random() < 0.8 else rng.randint(150, newest)
    manufactured_at = _work_time((base + timedelta(days=offset)).astimezone(CST).date(), rng)
    year = manufactured_at.year
    serial = (i + city.seed * 10_007) % 100_000
    code = f"{category.value}{_MAKER_CODE}{year}{serial:05d}"
    building, unit = rng.randint(1, 30), rng.randint(1, 4)
    if use_unit == n_use - 1:
        site = (
            f"桃江县桃花江镇美华购物广场{rng.randint(1, 5)}层{rng.randint(1, 8)}号扶梯"
            if category is Category.ESCALATOR
            else f"桃江县桃花江镇美华购物广场{rng.randint(1, 6)}号客梯"
        )
    else:
        estate = ("益阳市资阳区幸福里小区", "益阳市赫山区碧水湾花园")[use_unit % 2]
        lift = "货梯" if category is Category.TRACTION_GOODS else f"{unit}单元"
        site = f"{estate}{building}栋{lift}"
    model, load, speed, (lo, hi), certificate = rng.choice(_MODELS[category])
    data = {
        "category": category.value,
        "model": model,
        "factory_serial": f"ZJ{year % 100:02d}{serial:05d}",
        "type_test_certificate": certificate,
        "rated_load_kg": load,
        "rated_speed_mps": speed,
        "stops": rng.randint(lo, hi),
        "manufactured_on": manufactured_at.date().isoformat(),
    }
    return _Profile(
        index=i,
        code=code,
        category=category,
        use_unit=use_unit,
        maintainer=maintainer,
        district=city.use_units[use_unit].district,
        site=site,
        terminal=rng.random() < 0.35,
        manufactured_at=manufactured_at,
        manufactured_recorded=_soon(manufactured_at, rng),
        manufactured_data=data,
    )


# --------------------------------------------------------------------------------------------
# Time helpers
# --------------------------------------------------------------------------------------------


def _work_time(day: date, rng: random.Random, lo: float = 8.5, hi: float = 17.5) -> datetime:
    """A random instant between ``lo`` and ``hi`` o'clock of ``day``, China time."""
    minute = rng.randint(int(lo * 60), int(hi * 60))
    return datetime.combine(day, time(minute // 60, minute % 60, rng.randint(0, 59)), CST)


def _soon(t: datetime, rng: random.Random, lo: int = 30, hi: int = 900) -> datetime:
    """``t`` plus ``lo``..``hi`` seconds: when a timely statement reaches the ledger."""
    return t + timedelta(seconds=rng.randint(lo, hi))


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _month_end(d: date) -> date:
    return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


def _iso(t: datetime) -> str:
    return t.astimezone(CST).replace(microsecond=0).isoformat()


def _local_date(t: datetime) -> date:
    return t.astimezone(CST).date()


# --------------------------------------------------------------------------------------------
# Texts
# --------------------------------------------------------------------------------------------

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
_LIFT_FINDINGS = (
    "制动器制动力不足",
    "层门门锁啮合长度不足7mm",
    "轿厢意外移动保护装置未按要求试验",
    "限速器动作速度校验记录缺失",
    "井道照明不足",
    "紧急报警装置无法正常使用",
)
_ESCALATOR_FINDINGS = (
    "梳齿板缺齿",
    "扶手带入口保护开关失效",
    "梯级与围裙板间隙超标",
    "附加制动器动作试验记录缺失",
)
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
_STOP_REASONS = (
    ("小区电力线路改造施工", "施工结束，恢复使用"),
    ("楼宇外立面装修，暂停使用", "装修结束，经自查后恢复使用"),
    ("使用单位自查发现异常，停梯待修", "维修完成，经自查后恢复使用"),
)


def _weighted(
    rng: random.Random, table: tuple[tuple[str, int, str, str], ...]
) -> tuple[str, str, str]:
    code, _w, cause, action = rng.choices(table, weights=[row[1] for row in table])[0]
    return code, cause, action


# --------------------------------------------------------------------------------------------
# One elevator's history
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Ev:
    occurred: datetime
    recorded: datetime
    type: str
    issuer: str
    data: dict[str, Any]
    cosigner: str | None = None
    via_terminal: bool = False


@dataclass(slots=True)
class _Group:
    """Statements that belong together, keyed by the earliest ``occurred``."""

    events: list[_Ev]
    prefix_ok: bool = False  # a leading part may stand alone when the rest is blocked
    fixed: bool = False  # never blocked (the stop itself, the scrapping)
    key: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.key = min(e.occurred for e in self.events)


@dataclass(frozen=True, slots=True)
class _Contract:
    number: str
    unit: int
    valid_from: date
    valid_to: date
    signed: datetime


@dataclass(frozen=True, slots=True)
class _Policy:
    number: str
    valid_from: date
    valid_to: date
    issued: datetime


#: Statement types that may happen while the elevator is stopped.
_WHILE_STOPPED = frozenset(
    {
        "inspection.concluded",
        "hazard.listed",
        "hazard.closed",
        "rectification.ordered",
        "rectification.completed",
        "complaint.received",
        "complaint.resolved",
    }
)
_PERIODIC_YEARS = frozenset({1, 4, 7, 9, 11, 13, 15})


def _elevator_stream(
    city: _City, prof: _Profile
) -> Iterator[tuple[datetime, int, int, PlannedStatement]]:
    """The elevator's statements in ledger order as ``(recorded_at, index, seq, planned)``.

    The first one comes from the profile alone; the history is planned when the second is asked
    for, so merging thousands of these streams starts at once.
    """
    first = PlannedStatement(
        recorded_at=prof.manufactured_recorded.astimezone(UTC),
        signers=(city.manufacturer.uscc,),
        statement={
            "type": "elevator.manufactured",
            "elevator": prof.code,
            "issuer": city.manufacturer.uscc,
            "occurred_at": _iso(prof.manufactured_at),
            "nonce": _nonce(city, prof, 0),
            "data": dict(prof.manufactured_data),
        },
    )
    yield first.recorded_at, prof.index, 0, first
    yield from _History(city, prof).rest()


def _nonce(city: _City, prof: _Profile, seq: int) -> str:
    return f"demo-{city.seed}-{prof.index}-{seq}"


class _History:
    """Plans one elevator's life and streams it after ``elevator.manufactured``."""

    def __init__(self, city: _City, prof: _Profile) -> None:
        self.city = city
        self.p = prof
        self.i = prof.index
        self.ref = f"{prof.index + 1:05d}"
        self.use = city.use_units[prof.use_unit]
        self.escalator = is_escalator(prof.category)
        self.stops: list[tuple[datetime, datetime, date, date]] = []  # occ, rec end, dates
        self.cut: datetime | None = None
        self.stop_group: _Group | None = None
        self._plan_setup()
        self._plan_contracts()
        self._plan_insurance()
        if self.i == city.scrap_index:
            rng = city.rng(self.i, "scrap")
            self.cut = _work_time(_local_date(city.end) - timedelta(days=rng.randint(20, 60)), rng)
        self.horizon = self.cut if self.cut is not None else city.end
        self._plan_stops()

    # ---- planning ---------------------------------------------------------------------------

    def _plan_setup(self) -> None:
        rng = self.city.rng(self.i, "setup")
        man = self.p.manufactured_at
        self.t_sold = _work_time(man.date() + timedelta(days=rng.randint(5, 30)), rng)
        self.t_notice = _work_time(self.t_sold.date() + timedelta(days=rng.randint(10, 40)), rng)
        self.planned_start = self.t_notice.date() + timedelta(days=rng.randint(3, 10))
        self.t_built = _work_time(self.t_notice.date() + timedelta(days=rng.randint(30, 60)), rng)
        self.t_supervisory = _work_time(
            self.t_built.date() + timedelta(days=rng.randint(5, 15)), rng
        )
        self.supervisory_fail = rng.random() < 0.10
        self.t_reinspect: datetime | None = None
        passed = self.t_supervisory
        if self.supervisory_fail:
            self.t_reinspect = _work_time(
                self.t_supervisory.date() + timedelta(days=rng.randint(18, 22)), rng
            )
            passed = self.t_reinspect
        self.baseline = passed.date()
        self.t_registered = _work_time(self.baseline + timedelta(days=rng.randint(3, 25)), rng)
        self.t_rescue_code = _work_time(
            self.t_registered.date() + timedelta(days=rng.randint(1, 10)), rng
        )

    def _plan_contracts(self) -> None:
        rng = self.city.rng(self.i, "contracts")
        n_maint = len(self.city.maintainers)
        switch_at = -1
        if not self.p.terminal and rng.random() < 0.12:
            switch_at = rng.randint(1, 2)
        unit = self.p.maintainer
        signed = _work_time(self.t_registered.date() + timedelta(days=rng.randint(1, 3)), rng)
        valid_from = signed.date()
        contracts: list[_Contract] = []
        end_date = _local_date(self.city.end)
        while True:
            years = rng.choice((1, 1, 2))
            valid_to = _add_months(valid_from, 12 * years) - _DAY
            contracts.append(
                _Contract(
                    f"WB-{valid_from.year}-{self.ref}-{len(contracts) + 1}",
                    unit,
                    valid_from,
                    valid_to,
                    signed,
                )
            )
            if valid_to >= end_date:
                break
            signed = _work_time(valid_to - timedelta(days=rng.randint(3, 20)), rng)
            valid_from = valid_to + _DAY
            if len(contracts) == switch_at:
                unit = (unit + 1 + rng.randrange(n_maint - 1)) % n_maint
        self.contracts = contracts
        self.service_start = contracts[0].signed

    def _plan_insurance(self) -> None:
        rng = self.city.rng(self.i, "insurance")
        self.policies: list[_Policy] = []
        self.coverage = rng.choice(("1000000.00", "2000000.00"))
        if rng.random() >= 0.85:
            return
        issued = _work_time(self.t_registered.date() + timedelta(days=rng.randint(2, 15)), rng)
        valid_from = issued.date()
        end_date = _local_date(self.city.end)
        while True:
            valid_to = _add_months(valid_from, 12) - _DAY
            number = f"PZ-{valid_from.year}-{self.ref}-{len(self.policies) + 1:02d}"
            self.policies.append(_Policy(number, valid_from, valid_to, issued))
            if valid_to >= end_date:
                break
            issued = _work_time(valid_to - timedelta(days=rng.randint(1, 10)), rng)
            if issued > self.city.end:
                break
            valid_from = valid_to + _DAY

    def _plan_stops(self) -> None:
        rng = self.city.rng(self.i, "stops")
        if not (self.i == self.city.stop_index or rng.random() < 0.06):
            return
        lo = self.service_start.date() + timedelta(days=60)
        hi = _local_date(self.horizon) - timedelta(days=45)
        if hi <= lo:
            return
        busy = [c.signed for c in self.contracts] + [p.issued for p in self.policies]
        for _ in range(8):
            day = lo + timedelta(days=rng.randint(0, (hi - lo).days))
            a = _work_time(day, rng)
            b = _work_time(day + timedelta(days=rng.randint(3, 30)), rng)
            if any(a - 3 * _DAY <= t <= b + 3 * _DAY for t in busy):
                continue
            a_rec, b_rec = _soon(a, rng, 60, 600), _soon(b, rng, 60, 600)
            self.stops.append((a, b_rec, a.date(), b.date()))
            reason, note = rng.choice(_STOP_REASONS)
            self.stop_group = _Group(
                [
                    _Ev(a, a_rec, "use.stopped", self.use.uscc, {"reason": reason}),
                    _Ev(b, b_rec, "use.resumed", self.use.uscc, {"note": note}),
                ],
                fixed=True,
            )
            return

    # ---- lookups ----------------------------------------------------------------------------

    def unit_on(self, d: date) -> DemoOrganization | None:
        for c in self.contracts:
            if c.valid_from <= d <= c.valid_to:
                return self.city.maintainers[c.unit]
        return None

    def policy_on(self, d: date) -> _Policy | None:
        for p in self.policies:
            if p.valid_from <= d <= p.valid_to:
                return p
        return None

    def blocked(self, occurred: datetime, recorded: datetime, type_: str) -> bool:
        """Whether a statement so timed would fall in a stop or after the scrapping."""
        if self.cut is not None and recorded >= self.cut:
            return True
        if type_ in _WHILE_STOPPED:
            return False
        return any(occurred <= b and recorded >= a for a, b, _da, _db in self.stops)

    def stopped_on(self, d: date) -> date | None:
        """The resume date if ``d`` lies in a stop, else None."""
        for _a, _b, da, db in self.stops:
            if da <= d <= db:
                return db
        return None

    def free_day(self, rng: random.Random, lo: date, hi: date, span: int) -> date | None:
        """A day in ``lo..hi`` whose next ``span`` days avoid every stop (or None)."""
        if hi <= lo:
            return None
        for _ in range(6):
            d = lo + timedelta(days=rng.randint(0, (hi - lo).days))
            if all(
                d + timedelta(days=span + 1) < da or d - _DAY > db for _a, _b, da, db in self.stops
            ):
                return d
        return None

    # ---- streaming --------------------------------------------------------------------------

    def rest(self) -> Iterator[tuple[datetime, int, int, PlannedStatement]]:
        sources: list[Iterable[_Group]] = [
            self._setup(),
            self._contract_groups(),
            self._policy_groups(),
            self._visits(),
            self._inspections(),
            self._faults(),
            self._rescues(),
            self._one_offs(),
        ]
        buffer: list[tuple[datetime, int, _Ev]] = []
        seq = 1
        for group in heapq.merge(*sources, key=lambda g: g.key):
            for ev in self._admit(group):
                heapq.heappush(buffer, (ev.recorded, seq, ev))
                seq += 1
            while buffer and buffer[0][0] <= group.key:
                yield self._emit(*heapq.heappop(buffer))
        while buffer:
            yield self._emit(*heapq.heappop(buffer))

    def _admit(self, group: _Group) -> list[_Ev]:
        kept: list[_Ev] = []
        for ev in group.events:
            if ev.recorded > self.city.end:
                return kept  # still to come after now: what happened so far stands
            if not group.fixed and self.blocked(ev.occurred, ev.recorded, ev.type):
                return kept if group.prefix_ok else []
            kept.append(ev)
        return kept

    def _emit(
        self, recorded: datetime, seq: int, ev: _Ev
    ) -> tuple[datetime, int, int, PlannedStatement]:
        recorded_utc = recorded.astimezone(UTC)
        signers = (ev.issuer,) if ev.cosigner is None else (ev.issuer, ev.cosigner)
        statement = {
            "type": ev.type,
            "elevator": self.p.code,
            "issuer": ev.issuer,
            "occurred_at": _iso(ev.occurred),
            "nonce": _nonce(self.city, self.p, seq),
            "data": ev.data,
        }
        return (
            recorded_utc,
            self.i,
            seq,
            PlannedStatement(recorded_utc, signers, statement, ev.via_terminal),
        )

    # ---- sources (each yields groups in order of their key) ----------------------------------

    def _setup(self) -> Iterator[_Group]:
        city, rng = self.city, self.city.rng(self.i, "setup-records")
        kind = "installation"
        yield _Group(
            [
                _Ev(
                    self.t_sold,
                    _soon(self.t_sold, rng),
                    "elevator.sold",
                    city.manufacturer.uscc,
                    {
                        "buyer": self.use.uscc,
                        "buyer_name": self.use.name,
                        "contract_number": f"XS-{self.t_sold.year}-{self.ref}",
                    },
                )
            ]
        )
        builder = city.construction.uscc
        yield _Group(
            [
                _Ev(
                    self.t_notice,
                    _soon(self.t_notice, rng),
                    "construction.notified",
                    builder,
                    {
                        "kind": kind,
                        "site_address": self.p.site,
                        "district": self.p.district,
                        "planned_start": self.planned_start.isoformat(),
                    },
                ),
            ]
        )
        yield _Group(
            [
                _Ev(
                    self.t_built,
                    _soon(self.t_built, rng),
                    "construction.completed",
                    builder,
                    {
                        "kind": kind,
                        "completed_on": self.t_built.date().isoformat(),
                        "self_check_passed": True,
                    },
                )
            ]
        )
        institute = city.institute.uscc
        first_due = _month_end(_add_months(self.baseline, 12)).isoformat()
        report = f"JD-{self.t_supervisory.year}-{self.ref}"
        if self.t_reinspect is None:
            yield _Group(
                [
                    _Ev(
                        self.t_supervisory,
                        _soon(self.t_supervisory, rng),
                        "inspection.concluded",
                        institute,
                        {
                            "kind": "supervisory",
                            "conclusion": "pass",
                            "report_number": report,
                            "findings": [],
                            "next_due": first_due,
                        },
                    )
                ]
            )
        else:
            findings = self._findings(rng)
            yield _Group(
                [
                    _Ev(
                        self.t_supervisory,
                        _soon(self.t_supervisory, rng),
                        "inspection.concluded",
                        institute,
                        {
                            "kind": "supervisory",
                            "conclusion": "fail",
                            "report_number": report,
                            "findings": findings,
                            "rectification_deadline": (
                                self.t_supervisory.date() + timedelta(days=15)
                            ).isoformat(),
                        },
                    ),
                    _Ev(
                        self.t_reinspect,
                        _soon(self.t_reinspect, rng),
                        "inspection.concluded",
                        institute,
                        {
                            "kind": "re_inspection",
                            "conclusion": "pass",
                            "report_number": f"{report}-F",
                            "findings": [],
                            "next_due": first_due,
                        },
                    ),
                ]
            )
        reg = self.t_registered
        category = self.p.category.value
        yield _Group(
            [
                _Ev(
                    reg,
                    _soon(reg, rng),
                    "registration.issued",
                    city.regulator.uscc,
                    {
                        "registration_code": (
                            f"{category}{self.p.district}{reg:%Y%m}{self.i % 9999 + 1:04d}"
                        ),
                        "certificate_number": f"梯{category[1:3]}湘H{self.i + 1}({reg:%y})",
                        "use_unit": self.use.uscc,
                        "district": self.p.district,
                        "regime": "tsg_t7001_2023",
                    },
                )
            ]
        )
        rescue_code = (self.i * 7919 + (city.seed % 1000) * 104_729 + 350_000) % 1_000_000
        yield _Group(
            [
                _Ev(
                    self.t_rescue_code,
                    _soon(self.t_rescue_code, rng),
                    "rescue_code.assigned",
                    city.rescue.uscc,
                    {"rescue_code": f"{rescue_code:06d}"},
                )
            ]
        )

    def _findings(self, rng: random.Random) -> list[str]:
        pool = _ESCALATOR_FINDINGS if self.escalator else _LIFT_FINDINGS
        return rng.sample(pool, rng.randint(1, 2))

    def _contract_groups(self) -> Iterator[_Group]:
        rng = self.city.rng(self.i, "contract-records")
        for c in self.contracts:
            unit = self.city.maintainers[c.unit]
            yield _Group(
                [
                    _Ev(
                        c.signed,
                        _soon(c.signed, rng),
                        "maintenance_contract.signed",
                        unit.uscc,
                        {
                            "contract_number": c.number,
                            "maintenance_unit": unit.uscc,
                            "use_unit": self.use.uscc,
                            "valid_from": c.valid_from.isoformat(),
                            "valid_to": c.valid_to.isoformat(),
                            "policy": "classic_15_day",
                        },
                        cosigner=self.use.uscc,
                    )
                ]
            )

    def _policy_groups(self) -> Iterator[_Group]:
        rng = self.city.rng(self.i, "policy-records")
        for p in self.policies:
            yield _Group(
                [
                    _Ev(
                        p.issued,
                        _soon(p.issued, rng),
                        "insurance.policy_issued",
                        self.city.insurer.uscc,
                        {
                            "policy_number": p.number,
                            "insured": self.use.uscc,
                            "valid_from": p.valid_from.isoformat(),
                            "valid_to": p.valid_to.isoformat(),
                            "coverage_yuan": self.coverage,
                        },
                    )
                ]
            )

    def _visits(self) -> Iterator[_Group]:
        city, rng = self.city, self.city.rng(self.i, "visits")
        last = _local_date(self.horizon)
        # the first visit the day after the contract is signed at the earliest
        day = self.contracts[0].valid_from + timedelta(days=rng.randint(1, 5))
        prefix = "D" if self.escalator else "A"
        counts = _ESCALATOR_ITEMS if self.escalator else _LIFT_ITEMS
        work = _ESCALATOR_WORK if self.escalator else _LIFT_WORK
        month_seen: tuple[int, int] | None = None
        manager = city.safety_managers[self.p.use_unit % len(city.safety_managers)]
        while True:
            resume = self.stopped_on(day)
            if resume is not None:
                day = resume + timedelta(days=rng.randint(1, 2))
            if day > last:
                return
            unit = self.unit_on(day)
            if unit is None:
                return
            levels = ["half_month"]
            if month_seen != (day.year, day.month):
                month_seen = (day.year, day.month)
                k = (day.month - self.baseline.month) % 12
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
            arrived = _work_time(day, rng, 8.5, 16.0)
            departed = arrived + timedelta(minutes=rng.randint(40, 90), seconds=rng.randint(0, 59))
            visit_id = f"V{day:%Y%m%d}-{self.ref}"
            data: dict[str, Any] = {
                "visit_id": visit_id,
                "levels": levels,
                "items": items,
                "arrived_at": _iso(arrived),
                "departed_at": _iso(departed),
                "technicians": [
                    {"name": crew[a][0], "certificate_number": crew[a][1]},
                    {"name": crew[b][0], "certificate_number": crew[b][1]},
                ],
            }
            if parts:
                data["parts_replaced"] = parts
            if problems:
                data["problems_found"] = problems
            recorded = _soon(departed, rng, 60, 1800)
            if rng.random() < 0.03:  # recorded late: a back-filled paper record
                late = departed + timedelta(days=rng.randint(3, 20), seconds=rng.randint(0, 36_000))
                if (
                    late <= city.end
                    and self.unit_on(_local_date(late)) is unit
                    and not self.blocked(departed, late, "maintenance.performed")
                ):
                    recorded = late
            events = [_Ev(departed, recorded, "maintenance.performed", unit.uscc, data)]
            if rng.random() < 0.6:
                confirmed = recorded + timedelta(minutes=rng.randint(10, 180))
            else:
                confirmed = _work_time(
                    _local_date(recorded) + timedelta(days=rng.randint(1, 3)), rng
                )
            events.append(
                _Ev(
                    confirmed,
                    _soon(confirmed, rng, 20, 600),
                    "maintenance.confirmed",
                    self.use.uscc,
                    {"visit_id": visit_id, "confirmed_by": manager},
                )
            )
            yield _Group(events, prefix_ok=True)
            gap = rng.randint(18, 25) if rng.random() < 0.05 else rng.randint(14, 15)
            day += timedelta(days=gap)

    def _inspections(self) -> Iterator[_Group]:
        city, rng = self.city, self.city.rng(self.i, "inspections")
        year = 1
        while True:
            due = _month_end(_add_months(self.baseline, 12 * year))
            at = _work_time(due - timedelta(days=rng.randint(0, 45)), rng)
            if at > self.horizon:
                return
            next_due = _month_end(_add_months(self.baseline, 12 * (year + 1))).isoformat()
            periodic = year in _PERIODIC_YEARS or year > 15
            if not periodic:
                report = f"ZJ-{at.year}-{self.ref}"
                yield _Group(
                    [
                        _Ev(
                            at,
                            _soon(at, rng),
                            "inspection.concluded",
                            city.testing.uscc,
                            {
                                "kind": "self_test",
                                "conclusion": "pass",
                                "report_number": report,
                                "findings": [],
                                "next_due": next_due,
                            },
                        )
                    ],
                    prefix_ok=True,
                )
            elif rng.random() < 0.05:
                deadline = at.date() + timedelta(days=15)
                again = _work_time(at.date() + timedelta(days=rng.randint(15, 25)), rng)
                report = f"DJ-{at.year}-{self.ref}"
                yield _Group(
                    [
                        _Ev(
                            at,
                            _soon(at, rng),
                            "inspection.concluded",
                            city.institute.uscc,
                            {
                                "kind": "periodic",
                                "conclusion": "fail",
                                "report_number": report,
                                "findings": self._findings(rng),
                                "rectification_deadline": deadline.isoformat(),
                            },
                        ),
                        _Ev(
                            again,
                            _soon(again, rng),
                            "inspection.concluded",
                            city.institute.uscc,
                            {
                                "kind": "re_inspection",
                                "conclusion": "pass",
                                "report_number": f"{report}-F",
                                "findings": [],
                                "next_due": next_due,
                            },
                        ),
                    ],
                    prefix_ok=True,
                )
            else:
                yield _Group(
                    [
                        _Ev(
                            at,
                            _soon(at, rng),
                            "inspection.concluded",
                            city.institute.uscc,
                            {
                                "kind": "periodic",
                                "conclusion": "pass",
                                "report_number": f"DJ-{at.year}-{self.ref}",
                                "findings": [],
                                "next_due": next_due,
                            },
                        )
                    ],
                    prefix_ok=True,
                )
            year += 1

    def _faults(self) -> Iterator[_Group]:
        rng = self.city.rng(self.i, "faults")
        table = _ESCALATOR_FAULTS if self.escalator else _LIFT_FAULTS
        mean = 365.25 * 86_400 / 2.5  # about 2.5 faults a year
        t = self.service_start + _DAY
        n = 0
        while True:
            detected = t + timedelta(seconds=int(rng.expovariate(1 / mean)) + 3600)
            if detected > self.horizon:
                return
            code, cause, action = _weighted(rng, table)
            via_terminal = self.p.terminal and rng.random() < 0.5
            by_use_unit = not via_terminal and rng.random() < 0.3
            if via_terminal:  # the terminal reports at once, the lift still in normal mode
                occurred = detected + timedelta(seconds=rng.randint(0, 20))
                recorded = _soon(occurred, rng, 2, 30)
            else:  # a phone call to the duty line; the lift is out of service
                occurred = detected + timedelta(minutes=rng.randint(10, 60))
                recorded = _soon(occurred, rng, 60, 600)
            cleared = occurred + timedelta(minutes=rng.randint(60, 360))
            t = cleared
            reporter = self.unit_on(_local_date(detected))
            clearer = self.unit_on(_local_date(cleared))
            if reporter is None or reporter != clearer:
                continue  # a fault across a change of maintenance unit: left out
            n += 1
            fault_id = f"F{detected:%Y%m%d}-{self.ref}-{n:03d}"
            yield _Group(
                [
                    _Ev(
                        occurred,
                        recorded,
                        "fault.reported",
                        self.use.uscc if by_use_unit else reporter.uscc,
                        {
                            "fault_id": fault_id,
                            "code": code,
                            "service_mode": 1 if via_terminal else 0,
                            "detected_at": _iso(detected),
                        },
                        via_terminal=via_terminal,
                    ),
                    _Ev(
                        cleared,
                        _soon(cleared, rng, 60, 900),
                        "fault.cleared",
                        reporter.uscc,
                        {"fault_id": fault_id, "cause": cause, "action": action},
                    ),
                ]
            )

    def _rescues(self) -> Iterator[_Group]:
        if self.escalator:
            return
        city, rng = self.city, self.city.rng(self.i, "rescues")
        mean = (365.25 / 12) * 86_400 / 0.005  # 0.5% of lifts a month
        t = self.service_start + timedelta(days=1)
        n = 0
        while True:
            t += timedelta(seconds=int(rng.expovariate(1 / mean)))
            if t > self.horizon:
                return
            unit = self.unit_on(_local_date(t))
            if unit is None or unit is not self.unit_on(_local_date(t + timedelta(hours=2))):
                continue
            n += 1
            rescue_id = f"R{t:%Y%m%d}-{self.ref}-{n:02d}"
            trapped = rng.choices((1, 2, 3, 4), weights=(50, 30, 15, 5))[0]
            dispatched = t + timedelta(seconds=rng.randint(90, 180))
            minutes = rng.randint(8, 25) if rng.random() < 0.85 else rng.randint(26, 40)
            arrived = t + timedelta(minutes=minutes, seconds=rng.randint(0, 59))
            released = arrived + timedelta(minutes=rng.randint(3, 20), seconds=rng.randint(0, 59))
            injured = 1 if rng.random() < 0.03 else 0
            cause = rng.choices(
                ("door_system", "external_power", "human", "other"), weights=(45, 25, 15, 15)
            )[0]
            events = [
                _Ev(
                    t,
                    _soon(t, rng, 10, 40),
                    "rescue.alarm",
                    city.rescue.uscc,
                    {
                        "rescue_id": rescue_id,
                        "source": "96333",
                        "alarm_at": _iso(t),
                        "trapped": trapped,
                    },
                ),
                _Ev(
                    dispatched,
                    _soon(dispatched, rng, 10, 40),
                    "rescue.dispatched",
                    city.rescue.uscc,
                    {
                        "rescue_id": rescue_id,
                        "dispatched_at": _iso(dispatched),
                        "responder": unit.uscc,
                    },
                ),
                _Ev(
                    arrived,
                    _soon(arrived, rng, 10, 60),
                    "rescue.arrived",
                    unit.uscc,
                    {"rescue_id": rescue_id, "arrived_at": _iso(arrived)},
                ),
                _Ev(
                    released,
                    _soon(released, rng, 30, 300),
                    "rescue.released",
                    unit.uscc,
                    {
                        "rescue_id": rescue_id,
                        "released_at": _iso(released),
                        "trapped": trapped,
                        "injured": injured,
                        "cause": cause,
                    },
                ),
            ]
            policy = self.policy_on(_local_date(t))
            if injured and policy is not None:
                paid = _work_time(released.date() + timedelta(days=rng.randint(10, 40)), rng)
                events.append(
                    _Ev(
                        paid,
                        _soon(paid, rng),
                        "insurance.claim_paid",
                        city.insurer.uscc,
                        {
                            "policy_number": policy.number,
                            "claim_number": f"LP-{paid.year}-{self.ref}-{n:02d}",
                            "amount_yuan": f"{rng.randint(20, 120) * 100}.00",
                            "rescue_id": rescue_id,
                        },
                    )
                )
            yield _Group(events)
            t = released + timedelta(days=1)

    def _one_offs(self) -> Iterator[_Group]:
        """Stops, supervision, complaints, hazards, penalty, assessments, the scrapping."""
        city, rng = self.city, self.city.rng(self.i, "one-offs")
        regulator = city.regulator.uscc
        groups: list[_Group] = []
        if self.stop_group is not None:
            groups.append(self.stop_group)
        lo = self.service_start.date() + timedelta(days=7)
        hi = _local_date(self.horizon) - timedelta(days=3)

        # supervision checks: in about three years out of five
        start = lo
        while start < hi:
            if rng.random() < 0.6:
                day = self.free_day(rng, start, min(start + timedelta(days=364), hi), 1)
                if day is not None:
                    at = _work_time(day, rng)
                    ok = rng.random() < 0.85
                    data: dict[str, Any] = {
                        "result": "compliant" if ok else "non_compliant",
                        "findings": [] if ok else rng.sample(_SUPERVISION_FINDINGS, 1),
                    }
                    groups.append(
                        _Group([_Ev(at, _soon(at, rng), "supervision.checked", regulator, data)])
                    )
            start += timedelta(days=365)

        # complaints
        count = sum(1 for _ in range(city.years) if rng.random() < 0.08)
        if self.i == city.complaint_index:
            count += 1
        for n in range(1, count + 1):
            day = self.free_day(rng, lo, hi - timedelta(days=12), 12)
            if day is None:
                continue
            at = _work_time(day, rng, 8.0, 21.0)
            channel = rng.choice(("12345", "96333", "qr_scan", "12315", "web"))
            complaint_id = f"TS-{at.year}-{self.ref}-{n}"
            received: dict[str, Any] = {
                "complaint_id": complaint_id,
                "channel": channel,
                "summary": rng.choice(
                    _COMPLAINTS_ESCALATOR if self.escalator else _COMPLAINTS_LIFT
                ),
            }
            if rng.random() < 0.7:
                received["complainant_contact"] = (
                    f"1{rng.randint(30, 99)}****{rng.randint(0, 9999):04d}"
                )
            receiver = city.rescue.uscc if channel == "96333" else regulator
            done = _work_time(day + timedelta(days=rng.randint(2, 10)), rng)
            groups.append(
                _Group(
                    [
                        _Ev(at, _soon(at, rng), "complaint.received", receiver, received),
                        _Ev(
                            done,
                            _soon(done, rng),
                            "complaint.resolved",
                            regulator,
                            {"complaint_id": complaint_id, "resolution": rng.choice(_RESOLUTIONS)},
                        ),
                    ]
                )
            )

        # hazards listed for supervision
        if self.i == city.hazard_index or rng.random() < 0.03:
            day = self.free_day(rng, lo, hi - timedelta(days=40), 40)
            if day is not None:
                groups.append(self._hazard(rng, day))

        if self.i == city.penalty_index:
            day = self.free_day(rng, lo, hi, 1)
            if day is not None:
                at = _work_time(day, rng)
                target = self.unit_on(day)
                assert target is not None
                data = {
                    "decision_number": f"益市监罚〔{at.year}〕{10 + self.i % 90}号",
                    "target": target.uscc,
                    "amount_yuan": "20000.00",
                    "reason": "未按规定进行维护保养，维保间隔超过15日",
                }
                groups.append(_Group([_Ev(at, _soon(at, rng), "penalty.imposed", regulator, data)]))

        if self.i == city.assessment_index:
            day = self.free_day(rng, lo, hi, 1)
            if day is not None:
                groups.append(self._assessment(rng, day, "continue"))

        if self.cut is not None:
            cut = self.cut
            day = self.free_day(
                rng, _local_date(cut) - timedelta(days=40), _local_date(cut) - timedelta(days=15), 1
            )
            if day is not None:
                groups.append(self._assessment(rng, day, "scrap"))
            groups.append(self._scrapping(rng, cut))

        groups.sort(key=lambda g: g.key)
        yield from groups

    def _hazard(self, rng: random.Random, day: date) -> _Group:
        regulator = self.city.regulator.uscc
        description, item, done = rng.choice(
            _HAZARDS_ESCALATOR if self.escalator else _HAZARDS_LIFT
        )
        listed = _work_time(day, rng)
        deadline = (day + timedelta(days=30)).isoformat()
        hazard_id = f"H-{listed.year}-{self.ref}"
        order_id = f"ZG-{listed.year}-{self.ref}"
        ordered = _work_time(day + timedelta(days=rng.randint(1, 3)), rng)
        completed = _work_time(ordered.date() + timedelta(days=rng.randint(5, 20)), rng)
        closed = _work_time(completed.date() + timedelta(days=rng.randint(2, 7)), rng)
        worker = self.unit_on(completed.date())
        assert worker is not None
        return _Group(
            [
                _Ev(
                    listed,
                    _soon(listed, rng),
                    "hazard.listed",
                    regulator,
                    {"hazard_id": hazard_id, "description": description, "deadline": deadline},
                ),
                _Ev(
                    ordered,
                    _soon(ordered, rng),
                    "rectification.ordered",
                    regulator,
                    {
                        "order_id": order_id,
                        "hazard_id": hazard_id,
                        "items": [item],
                        "deadline": deadline,
                    },
                ),
                _Ev(
                    completed,
                    _soon(completed, rng),
                    "rectification.completed",
                    worker.uscc,
                    {"order_id": order_id, "description": done},
                ),
                _Ev(
                    closed,
                    _soon(closed, rng),
                    "hazard.closed",
                    regulator,
                    {"hazard_id": hazard_id, "note": "复查合格，销号"},
                ),
            ]
        )

    def _assessment(self, rng: random.Random, day: date, conclusion: str) -> _Group:
        at = _work_time(day, rng)
        data = {"conclusion": conclusion, "report_number": f"PG-{at.year}-{self.ref}"}
        return _Group(
            [_Ev(at, _soon(at, rng), "assessment.concluded", self.city.institute.uscc, data)]
        )

    def _scrapping(self, rng: random.Random, cut: datetime) -> _Group:
        events: list[_Ev] = []
        at = cut
        for c in self.contracts:
            if c.signed < cut and c.valid_to >= cut.date():
                events.append(
                    _Ev(
                        at,
                        _soon(at, rng, 10, 50),
                        "maintenance_contract.ended",
                        self.use.uscc,
                        {"contract_number": c.number, "reason": "电梯报废，终止维保合同"},
                    )
                )
                at += timedelta(minutes=1)
        scrapped = cut + timedelta(hours=rng.randint(1, 3))
        cancelled = _work_time(scrapped.date() + timedelta(days=rng.randint(1, 10)), rng)
        events += [
            _Ev(
                scrapped,
                _soon(scrapped, rng),
                "elevator.scrapped",
                self.use.uscc,
                {"scrapped_on": scrapped.date().isoformat(), "reason": "安全评估结论为报废"},
            ),
            _Ev(
                cancelled,
                _soon(cancelled, rng),
                "registration.cancelled",
                self.city.regulator.uscc,
                {"reason": "设备已报废，注销使用登记"},
            ),
        ]
        return _Group(events, fixed=True)
