"""Roles organizations hold in the elevator lifecycle, and the licences some roles require."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

__all__ = ["LICENCE_FOR_ROLE", "LicenceKind", "Role"]


class Role(StrEnum):
    """A role granted to an organization by the regulator (``org.role_granted``)."""

    MANUFACTURER = "manufacturer"  # 制造单位
    CONSTRUCTION_UNIT = "construction_unit"  # 安装/改造/修理单位
    MAINTENANCE_UNIT = "maintenance_unit"  # 维保单位
    INSPECTION_INSTITUTE = "inspection_institute"  # 检验机构
    TESTING_BODY = "testing_body"  # 检测机构
    USE_UNIT = "use_unit"  # 使用单位
    INSURER = "insurer"  # 保险公司
    RESCUE_PLATFORM = "rescue_platform"  # 96333 应急处置平台
    REGULATOR = "regulator"  # 市场监管部门


class LicenceKind(StrEnum):
    """A licence or approval an organization must hold, valid on the date, to act in a role."""

    MANUFACTURE = "manufacture"  # 制造许可
    INSTALLATION_REPAIR = "installation_repair"  # 安装改造修理许可 (also covers maintenance)
    INSPECTION = "inspection"  # 检验机构核准
    TESTING = "testing"  # 检测机构核准


#: The licence a role's licensed work requires. Roles absent here need no licence.
LICENCE_FOR_ROLE: Mapping[Role, LicenceKind] = MappingProxyType(
    {
        Role.MANUFACTURER: LicenceKind.MANUFACTURE,
        Role.CONSTRUCTION_UNIT: LicenceKind.INSTALLATION_REPAIR,
        Role.MAINTENANCE_UNIT: LicenceKind.INSTALLATION_REPAIR,
        Role.INSPECTION_INSTITUTE: LicenceKind.INSPECTION,
        Role.TESTING_BODY: LicenceKind.TESTING,
    }
)
