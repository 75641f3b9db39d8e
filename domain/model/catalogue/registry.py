"""The registry: one :class:`StatementType` per kind of statement (its ``data`` model and who may
sign it, as policy data), gathered by name in :data:`CATALOGUE`."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from types import MappingProxyType

from pydantic import BaseModel

from domain.model.catalogue.elevator_data import (
    AssessmentConcluded,
    ComplaintReceived,
    ComplaintResolved,
    ConstructionCompleted,
    ConstructionNotified,
    ElevatorManufactured,
    ElevatorScrapped,
    ElevatorSold,
    FaultCleared,
    FaultReported,
    HazardClosed,
    HazardListed,
    InspectionConcluded,
    InsuranceClaimPaid,
    InsurancePolicyIssued,
    MaintenanceConfirmed,
    MaintenanceContractEnded,
    MaintenanceContractSigned,
    MaintenancePerformed,
    PenaltyImposed,
    RectificationCompleted,
    RectificationOrdered,
    RegistrationCancelled,
    RegistrationChanged,
    RegistrationIssued,
    RescueAlarm,
    RescueArrived,
    RescueCodeAssigned,
    RescueDispatched,
    RescueReleased,
    SupervisionChecked,
    UseResumed,
    UseStopped,
)
from domain.model.catalogue.enums import InspectionKind
from domain.model.catalogue.trust_data import (
    KeyRegistered,
    KeyRevoked,
    OrgLicenceGranted,
    OrgLicenceRevoked,
    OrgRegistered,
    OrgRoleGranted,
    OrgRoleRevoked,
)
from domain.model.roles import LicenceKind, Role


class Subject(StrEnum):
    ELEVATOR = "elevator"
    ORGANIZATION = "organization"


@dataclass(frozen=True)
class StatementType:
    """One entry of the catalogue: the schema of ``data`` and who may sign."""

    name: str  # e.g. "maintenance.performed"
    data_model: type[BaseModel]
    subject: Subject
    #: The issuer must hold one of these roles (trust statements: Role.REGULATOR).
    signer_roles: frozenset[Role]
    #: A second organization holding one of these roles must sign the same envelope.
    cosigner_roles: frozenset[Role] = frozenset()
    #: Licence the issuer must hold, valid on occurred_at (None: none, or decided per role/kind).
    licence: LicenceKind | None = None
    #: Dotted paths inside data never shown publicly; ``*`` walks every element of a list.
    personal_fields: tuple[str, ...] = ()
    #: An IoT terminal key bound to the elevator may sign it.
    terminal_may_sign: bool = False
    #: Recorded later than this after occurred_at => marked late (policy data).
    late_after: timedelta = timedelta(days=7)
    #: Short Chinese name, e.g. "维保记录".
    summary_zh: str = ""
    #: The subject organization itself (with a current key) may sign, besides ``signer_roles``.
    organization_may_sign: bool = False


_R = Role
_ORG = Subject.ORGANIZATION
_ELEV = Subject.ELEVATOR


def _roles(*roles: Role) -> frozenset[Role]:
    return frozenset(roles)


_TYPES: tuple[StatementType, ...] = (
    # --- trust (organization) ---
    StatementType(
        "org.registered",
        OrgRegistered,
        _ORG,
        _roles(_R.REGULATOR),
        personal_fields=("legal_representative",),
        summary_zh="机构登记",
    ),
    StatementType(
        "org.role_granted", OrgRoleGranted, _ORG, _roles(_R.REGULATOR), summary_zh="角色授予"
    ),
    StatementType(
        "org.role_revoked", OrgRoleRevoked, _ORG, _roles(_R.REGULATOR), summary_zh="角色撤销"
    ),
    StatementType(
        "org.licence_granted",
        OrgLicenceGranted,
        _ORG,
        _roles(_R.REGULATOR),
        summary_zh="许可核准",
    ),
    StatementType(
        "org.licence_revoked",
        OrgLicenceRevoked,
        _ORG,
        _roles(_R.REGULATOR),
        summary_zh="许可撤销",
    ),
    StatementType(
        "key.registered",
        KeyRegistered,
        _ORG,
        _roles(_R.REGULATOR),
        organization_may_sign=True,
        summary_zh="密钥登记",
    ),
    StatementType(
        "key.revoked",
        KeyRevoked,
        _ORG,
        _roles(_R.REGULATOR),
        organization_may_sign=True,
        summary_zh="密钥吊销",
    ),
    # --- manufacture and construction ---
    StatementType(
        "elevator.manufactured",
        ElevatorManufactured,
        _ELEV,
        _roles(_R.MANUFACTURER),
        licence=LicenceKind.MANUFACTURE,
        summary_zh="出厂信息",
    ),
    StatementType(
        "elevator.sold", ElevatorSold, _ELEV, _roles(_R.MANUFACTURER), summary_zh="销售记录"
    ),
    StatementType(
        "construction.notified",
        ConstructionNotified,
        _ELEV,
        _roles(_R.CONSTRUCTION_UNIT),
        licence=LicenceKind.INSTALLATION_REPAIR,
        summary_zh="施工告知",
    ),
    StatementType(
        "construction.completed",
        ConstructionCompleted,
        _ELEV,
        _roles(_R.CONSTRUCTION_UNIT),
        licence=LicenceKind.INSTALLATION_REPAIR,
        summary_zh="施工完成自检",
    ),
    # --- inspection and registration ---
    StatementType(
        "inspection.concluded",
        InspectionConcluded,
        _ELEV,
        _roles(_R.INSPECTION_INSTITUTE, _R.TESTING_BODY, _R.MAINTENANCE_UNIT),
        summary_zh="检验检测结论",
    ),
    StatementType(
        "registration.issued",
        RegistrationIssued,
        _ELEV,
        _roles(_R.REGULATOR),
        summary_zh="使用登记",
    ),
    StatementType(
        "registration.changed",
        RegistrationChanged,
        _ELEV,
        _roles(_R.REGULATOR),
        summary_zh="变更登记",
    ),
    StatementType(
        "registration.cancelled",
        RegistrationCancelled,
        _ELEV,
        _roles(_R.REGULATOR),
        summary_zh="注销登记",
    ),
    StatementType(
        "rescue_code.assigned",
        RescueCodeAssigned,
        _ELEV,
        _roles(_R.RESCUE_PLATFORM, _R.REGULATOR),
        summary_zh="救援识别码",
    ),
    # --- maintenance ---
    StatementType(
        "maintenance_contract.signed",
        MaintenanceContractSigned,
        _ELEV,
        _roles(_R.MAINTENANCE_UNIT),
        cosigner_roles=_roles(_R.USE_UNIT),
        licence=LicenceKind.INSTALLATION_REPAIR,
        summary_zh="维保合同",
    ),
    StatementType(
        "maintenance_contract.ended",
        MaintenanceContractEnded,
        _ELEV,
        _roles(_R.MAINTENANCE_UNIT, _R.USE_UNIT),
        summary_zh="维保合同终止",
    ),
    StatementType(
        "maintenance.performed",
        MaintenancePerformed,
        _ELEV,
        _roles(_R.MAINTENANCE_UNIT),
        licence=LicenceKind.INSTALLATION_REPAIR,
        personal_fields=("technicians.*.name", "technicians.*.certificate_number"),
        late_after=timedelta(days=2),
        summary_zh="维保记录",
    ),
    StatementType(
        "maintenance.confirmed",
        MaintenanceConfirmed,
        _ELEV,
        _roles(_R.USE_UNIT),
        personal_fields=("confirmed_by",),
        summary_zh="维保确认",
    ),
    # --- faults and rescue ---
    StatementType(
        "fault.reported",
        FaultReported,
        _ELEV,
        _roles(_R.MAINTENANCE_UNIT, _R.USE_UNIT),
        terminal_may_sign=True,
        summary_zh="故障报告",
    ),
    StatementType(
        "fault.cleared",
        FaultCleared,
        _ELEV,
        _roles(_R.MAINTENANCE_UNIT),
        terminal_may_sign=True,
        summary_zh="故障排除",
    ),
    StatementType(
        "rescue.alarm",
        RescueAlarm,
        _ELEV,
        _roles(_R.RESCUE_PLATFORM, _R.USE_UNIT),
        terminal_may_sign=True,
        summary_zh="困人报警",
    ),
    StatementType(
        "rescue.dispatched",
        RescueDispatched,
        _ELEV,
        _roles(_R.RESCUE_PLATFORM, _R.USE_UNIT),
        summary_zh="救援派单",
    ),
    StatementType(
        "rescue.arrived",
        RescueArrived,
        _ELEV,
        _roles(_R.MAINTENANCE_UNIT, _R.RESCUE_PLATFORM),
        summary_zh="救援到达",
    ),
    StatementType(
        "rescue.released",
        RescueReleased,
        _ELEV,
        _roles(_R.MAINTENANCE_UNIT, _R.RESCUE_PLATFORM),
        summary_zh="解困完成",
    ),
    # --- use ---
    StatementType("use.stopped", UseStopped, _ELEV, _roles(_R.USE_UNIT), summary_zh="停止使用"),
    StatementType("use.resumed", UseResumed, _ELEV, _roles(_R.USE_UNIT), summary_zh="恢复使用"),
    StatementType(
        "elevator.scrapped",
        ElevatorScrapped,
        _ELEV,
        _roles(_R.USE_UNIT),
        summary_zh="报废",
    ),
    # --- supervision ---
    StatementType(
        "hazard.listed", HazardListed, _ELEV, _roles(_R.REGULATOR), summary_zh="隐患挂牌督办"
    ),
    StatementType(
        "rectification.ordered",
        RectificationOrdered,
        _ELEV,
        _roles(_R.REGULATOR, _R.INSPECTION_INSTITUTE),
        summary_zh="整改通知",
    ),
    StatementType(
        "rectification.completed",
        RectificationCompleted,
        _ELEV,
        _roles(_R.MAINTENANCE_UNIT, _R.USE_UNIT, _R.CONSTRUCTION_UNIT),
        summary_zh="整改完成",
    ),
    StatementType(
        "hazard.closed", HazardClosed, _ELEV, _roles(_R.REGULATOR), summary_zh="隐患销号"
    ),
    StatementType(
        "supervision.checked",
        SupervisionChecked,
        _ELEV,
        _roles(_R.REGULATOR),
        summary_zh="监督检查",
    ),
    StatementType(
        "penalty.imposed", PenaltyImposed, _ELEV, _roles(_R.REGULATOR), summary_zh="行政处罚"
    ),
    StatementType(
        "assessment.concluded",
        AssessmentConcluded,
        _ELEV,
        _roles(_R.INSPECTION_INSTITUTE),
        licence=LicenceKind.INSPECTION,
        summary_zh="安全评估",
    ),
    # --- insurance and complaints ---
    StatementType(
        "insurance.policy_issued",
        InsurancePolicyIssued,
        _ELEV,
        _roles(_R.INSURER),
        summary_zh="保险保单",
    ),
    StatementType(
        "insurance.claim_paid",
        InsuranceClaimPaid,
        _ELEV,
        _roles(_R.INSURER),
        summary_zh="保险理赔",
    ),
    StatementType(
        "complaint.received",
        ComplaintReceived,
        _ELEV,
        _roles(_R.REGULATOR, _R.RESCUE_PLATFORM),
        personal_fields=("complainant_contact",),
        summary_zh="投诉受理",
    ),
    StatementType(
        "complaint.resolved",
        ComplaintResolved,
        _ELEV,
        _roles(_R.REGULATOR),
        summary_zh="投诉办结",
    ),
)

#: Every statement type by name.
CATALOGUE: Mapping[str, StatementType] = MappingProxyType({t.name: t for t in _TYPES})

#: ``inspection.concluded`` lists the union of signer roles; the lifecycle layer narrows by kind:
#: inspections by an inspection institute (licence ``inspection``), self-tests by a testing body
#: (licence ``testing``) or a capable maintenance unit (licence ``installation_repair``).
INSPECTION_SIGNER_ROLES: Mapping[InspectionKind, frozenset[Role]] = MappingProxyType(
    {
        InspectionKind.SUPERVISORY: _roles(_R.INSPECTION_INSTITUTE),
        InspectionKind.PERIODIC: _roles(_R.INSPECTION_INSTITUTE),
        InspectionKind.RE_INSPECTION: _roles(_R.INSPECTION_INSTITUTE),
        InspectionKind.SELF_TEST: _roles(_R.TESTING_BODY, _R.MAINTENANCE_UNIT),
    }
)


class UnknownStatementType(KeyError):
    """The name is not in the catalogue."""

    def __init__(self, name: str) -> None:
        self.name = name
        close = difflib.get_close_matches(name, list(CATALOGUE), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        self.message = f"unknown statement type {name!r}{hint}"
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


def statement_type(name: str) -> StatementType:
    """The catalogue entry for ``name``; raises :class:`UnknownStatementType`."""
    try:
        return CATALOGUE[name]
    except (KeyError, TypeError):
        raise UnknownStatementType(str(name)) from None
