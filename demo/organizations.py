"""The organizations of the demo city (one per role, a few maintenance and use units) and the
people in it: legal representatives, technicians."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import MappingProxyType

from domain.model.identifiers import make_uscc
from domain.model.roles import LICENCE_FOR_ROLE, LicenceKind, Role


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


def city_organizations(seed: int, now: datetime) -> tuple[DemoOrganization, ...]:
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


def person_name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + rng.choice(_GIVEN)


def technicians_of(seed: int, k: int, district: str) -> tuple[tuple[str, str], ...]:
    """Six technicians (name, certificate number) of maintenance unit ``k``."""
    rng = random.Random(f"elevator-ledger-demo/{seed}/technicians/{k}")
    crew: list[tuple[str, str]] = []
    seen: set[str] = set()
    while len(crew) < 6:
        born = date(1970, 1, 1) + timedelta(days=rng.randint(0, 30 * 365))
        cert = f"T{district}{born:%Y%m%d}{rng.randint(0, 9999):04d}"
        if cert not in seen:
            seen.add(cert)
            crew.append((person_name(rng), cert))
    return tuple(crew)
