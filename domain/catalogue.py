"""The statement catalogue: every kind of signed statement the ledger accepts.

A :class:`Statement` is the signed payload (DESIGN.md, "Wire formats"): who (``issuer``) says what
(``type`` + ``data``) about which elevator or organization, when (``occurred_at``). Each statement
type in :data:`CATALOGUE` has a pydantic model for its ``data`` and the authorization facts the
lifecycle layer checks: the roles the issuer must hold, a co-signer role, the licence that must be
valid on ``occurred_at``, whether an IoT terminal key may sign it, and which data fields are
personal (never shown publicly, see :func:`public_view`).

Validation of ``data`` is strict JSON validation: dates are ``"YYYY-MM-DD"`` strings, instants
RFC 3339 strings with an offset, booleans real JSON booleans, counts JSON integers (``"3"`` is
rejected), decimals (money in yuan, speeds) JSON strings such as ``"1.75"`` (JSON numbers are
accepted too; strings are recommended because they are exact), and unknown fields are rejected.
``Statement.data`` itself keeps exactly what was signed; :meth:`Statement.parsed_data` gives the
typed view.

What this module checks is the statement on its own: shape, identifiers, and consistency between the
envelope fields and ``data`` (e.g. a fault code must fit the elevator's category). Who may sign, and
whether the statement fits the elevator's history, is the lifecycle layer's job.
"""

from __future__ import annotations

import base64
import binascii
import copy
import difflib
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import IntEnum, StrEnum
from types import MappingProxyType
from typing import Annotated, Any, Literal, NoReturn, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import (
    InitErrorDetails,
    PydanticCustomError,
    PydanticSerializationError,
    to_json,
)

from domain.identifiers import (
    USCC,
    AreaCode,
    Category,
    EquipmentCode,
    RegistrationCode,
    RescueCode,
    UseCertificateNumber,
    category_of,
    is_escalator,
    make_uscc,
    validate_factory_serial,
)
from domain.roles import LicenceKind, Role

__all__ = [
    "CATALOGUE",
    "EXAMPLE_ELEVATOR",
    "EXAMPLE_ORGANIZATIONS",
    "INSPECTION_SIGNER_ROLES",
    "AssessmentConclusion",
    "ComplaintChannel",
    "ConstructionKind",
    "FaultCode",
    "InspectionConclusion",
    "InspectionKind",
    "ItemResult",
    "MaintenanceLevel",
    "MaintenancePolicy",
    "RegistrationChangeReason",
    "RegistrationRegime",
    "RescueCause",
    "RescueSource",
    "ServiceMode",
    "Statement",
    "StatementType",
    "Subject",
    "SupervisionResult",
    "UnknownStatementType",
    "example_statement",
    "public_view",
    "statement_type",
]


# --------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------


class _Data(BaseModel):
    """Base of every ``data`` model: unknown fields rejected, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


#: A reference number or id (contract, report, visit, decision...): 1..64 characters, one line,
#: no surrounding whitespace.
Ref = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^\S(?:.*\S)?$")]
#: A name (organization, model, person): 1..200 characters, one line, no surrounding whitespace.
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^\S(?:.*\S)?$")]
#: Free text: 1..2000 characters, not blank.
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=r"\S")]
#: Money in yuan, exact to the fen.
Yuan = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=2)]
Count = Annotated[int, Field(ge=0)]
FactorySerial = Annotated[str, AfterValidator(validate_factory_serial)]


def _ed25519_public_key(s: str) -> str:
    try:
        raw = base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("public_key must be standard base64") from None
    if len(raw) != 32:
        raise ValueError(f"an Ed25519 public key is 32 raw bytes, got {len(raw)}")
    return s


Ed25519PublicKey = Annotated[str, AfterValidator(_ed25519_public_key)]


class Concealed(_Data):
    """A personal field as signed: the digest of its disclosure (:mod:`ledger.disclosure`)."""

    concealed: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{43}$")]


_PERSONAL = (
    'Personal: the signed statement carries {"concealed": <digest>} and the value travels '
    "beside the envelope as a disclosure (docs/integration.md, section 3)."
)
#: A person's name or contact, signed concealed; the ledger checks the disclosed value as Name.
PersonalName = Annotated[Name | Concealed, Field(description=_PERSONAL)]
#: A personal reference (e.g. a certificate number), signed concealed; the value checked as Ref.
PersonalRef = Annotated[Ref | Concealed, Field(description=_PERSONAL)]


def _unique(items: list[Any], what: str) -> None:
    if len(set(items)) != len(items):
        raise ValueError(f"{what} must not repeat")


# --------------------------------------------------------------------------------------------
# Enumerations used in data
# --------------------------------------------------------------------------------------------


class ConstructionKind(StrEnum):
    INSTALLATION = "installation"  # 安装
    MODIFICATION = "modification"  # 改造
    MAJOR_REPAIR = "major_repair"  # 重大修理
    RELOCATION = "relocation"  # 移装


class InspectionKind(StrEnum):
    SUPERVISORY = "supervisory"  # 监督检验
    PERIODIC = "periodic"  # 定期检验
    RE_INSPECTION = "re_inspection"  # 复检
    SELF_TEST = "self_test"  # 自行检测 (TSG T7008)


class InspectionConclusion(StrEnum):
    PASS = "pass"
    FAIL = "fail"


class RegistrationRegime(StrEnum):
    """Which periodic-inspection schedule applies to the elevator."""

    TSG_T7001_2023 = "tsg_t7001_2023"  # years 1,4,7,9,11,13,15 inspected, self-test otherwise
    LEGACY_ANNUAL = "legacy_annual"  # inspected every year


class RegistrationChangeReason(StrEnum):
    USE_UNIT_CHANGE = "use_unit_change"
    RELOCATION = "relocation"
    MODIFICATION = "modification"
    OTHER = "other"


class MaintenancePolicy(StrEnum):
    CLASSIC_15_DAY = "classic_15_day"  # a visit at least every 15 days
    ON_DEMAND_MONTHLY = "on_demand_monthly"  # half-month items spread over a calendar month
    ON_DEMAND_IOT_QUARTERLY = "on_demand_iot_quarterly"  # IoT-connected: over three months


class MaintenanceLevel(StrEnum):
    HALF_MONTH = "half_month"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    ANNUAL = "annual"


class ItemResult(StrEnum):
    OK = "ok"
    ADJUSTED = "adjusted"
    REPLACED = "replaced"
    DEFECT = "defect"


class FaultCode(StrEnum):
    """IoT fault codes (GB/T 24476 model): 01-11 lifts, 61-65 escalators and moving walks."""

    SAFETY_CIRCUIT_BROKEN = "01"
    DOOR_CLOSING_FAULT = "02"
    DOOR_OPENING_FAULT = "03"
    STOPPED_OUTSIDE_DOOR_ZONE = "04"
    UNINTENDED_CAR_MOVEMENT = "05"
    MOTOR_RUN_TIME_LIMITER = "06"
    FLOOR_POSITION_LOST = "07"
    RESTART_PREVENTED = "08"
    OVERTRAVEL_TOP = "09"
    OVERTRAVEL_BOTTOM = "10"
    PASSENGER_TRAPPED = "11"
    ESCALATOR_SAFETY_CIRCUIT = "61"
    ESCALATOR_OVERSPEED = "62"
    ESCALATOR_UNINTENDED_REVERSAL = "63"
    ESCALATOR_MISSING_STEP = "64"
    ESCALATOR_RESTART_FAULT = "65"

    @property
    def for_escalators(self) -> bool:
        return self.value >= "61"


class ServiceMode(IntEnum):
    OUT_OF_SERVICE = 0
    NORMAL = 1
    INSPECTION = 2  # 检修: corroborates a maintenance visit
    FIRE_RETURN = 3
    FIREFIGHTER = 4
    EMERGENCY_POWER = 5
    EARTHQUAKE = 6
    UNKNOWN = 7


class RescueSource(StrEnum):
    CALL_96333 = "96333"
    IOT = "iot"
    ALARM_BUTTON = "alarm_button"
    QR_SCAN = "qr_scan"


class RescueCause(StrEnum):
    EXTERNAL_POWER = "external_power"
    HUMAN = "human"
    DOOR_SYSTEM = "door_system"
    OTHER = "other"


class SupervisionResult(StrEnum):
    COMPLIANT = "compliant"
    NON_COMPLIANT = "non_compliant"


class AssessmentConclusion(StrEnum):
    CONTINUE = "continue"
    REPAIR = "repair"
    SCRAP = "scrap"


class ComplaintChannel(StrEnum):
    HOTLINE_96333 = "96333"
    HOTLINE_12345 = "12345"
    HOTLINE_12315 = "12315"
    QR_SCAN = "qr_scan"
    WEB = "web"
    LETTER = "letter"
    VISIT = "visit"
    OTHER = "other"


# --------------------------------------------------------------------------------------------
# Trust statements (subject: organization)
# --------------------------------------------------------------------------------------------


class OrgRegistered(_Data):
    name: Name
    district: AreaCode
    address: Text
    legal_representative: PersonalName


class OrgRoleGranted(_Data):
    role: Role
    valid_from: date
    valid_to: date | None = None

    @model_validator(mode="after")
    def _dates(self) -> Self:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to must not be before valid_from")
        return self


class OrgRoleRevoked(_Data):
    role: Role
    reason: Text | None = None


class OrgLicenceGranted(_Data):
    kind: LicenceKind
    number: Ref
    scope: Annotated[list[Category], Field(min_length=1)]
    valid_from: date
    valid_to: date

    @model_validator(mode="after")
    def _check(self) -> Self:
        _unique(self.scope, "scope categories")
        if self.valid_to < self.valid_from:
            raise ValueError("valid_to must not be before valid_from")
        return self


class OrgLicenceRevoked(_Data):
    number: Ref
    reason: Text | None = None


class KeyRegistered(_Data):
    key_id: Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^\S+$")]
    algorithm: Literal["ed25519"]
    public_key: Ed25519PublicKey  # base64 of the raw 32-byte key
    bound_elevator: EquipmentCode | None = None  # set for IoT terminal keys


class KeyRevoked(_Data):
    key_id: Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^\S+$")]
    reason: Text


# --------------------------------------------------------------------------------------------
# Elevator statements
# --------------------------------------------------------------------------------------------


class ElevatorManufactured(_Data):
    category: Category  # must equal the equipment code's category
    model: Name
    factory_serial: FactorySerial
    type_test_certificate: Ref
    rated_load_kg: Annotated[int, Field(gt=0)]
    rated_speed_mps: Annotated[Decimal, Field(gt=0, le=30, max_digits=5, decimal_places=2)]
    stops: Annotated[int, Field(ge=2)]
    manufactured_on: date


class ElevatorSold(_Data):
    buyer: USCC
    buyer_name: Name
    contract_number: Ref


class ConstructionNotified(_Data):
    kind: ConstructionKind
    site_address: Text
    district: AreaCode
    planned_start: date


class ConstructionCompleted(_Data):
    kind: ConstructionKind
    completed_on: date
    self_check_passed: bool


class InspectionConcluded(_Data):
    kind: InspectionKind
    conclusion: InspectionConclusion
    report_number: Ref
    findings: list[Text] = []
    rectification_deadline: date | None = None
    next_due: date | None = None  # the date on the use mark (使用标志)


class RegistrationIssued(_Data):
    registration_code: RegistrationCode
    certificate_number: UseCertificateNumber
    use_unit: USCC
    district: AreaCode
    regime: RegistrationRegime


class RegistrationChanged(_Data):
    reason: RegistrationChangeReason
    registration_code: RegistrationCode
    certificate_number: UseCertificateNumber
    use_unit: USCC
    district: AreaCode


class RegistrationCancelled(_Data):
    reason: Text


class RescueCodeAssigned(_Data):
    rescue_code: RescueCode


class MaintenanceContractSigned(_Data):
    contract_number: Ref
    maintenance_unit: USCC  # must be the issuer
    use_unit: USCC  # must co-sign
    valid_from: date
    valid_to: date
    policy: MaintenancePolicy

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.valid_to < self.valid_from:
            raise ValueError("valid_to must not be before valid_from")
        if self.maintenance_unit == self.use_unit:
            raise ValueError("maintenance_unit and use_unit must be different organizations")
        return self


class MaintenanceContractEnded(_Data):
    contract_number: Ref
    reason: Text


class MaintenanceItem(_Data):
    code: Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^\S+$")]
    result: ItemResult
    note: Text | None = None


class PartReplaced(_Data):
    name: Name
    quantity: Annotated[int, Field(ge=1)] = 1


class ProblemFound(_Data):
    description: Text
    handling: Text | None = None


class Technician(_Data):
    name: PersonalName
    certificate_number: PersonalRef


class MaintenancePerformed(_Data):
    visit_id: Ref
    levels: Annotated[list[MaintenanceLevel], Field(min_length=1)]
    items: Annotated[list[MaintenanceItem], Field(min_length=1)]
    parts_replaced: list[PartReplaced] = []
    problems_found: list[ProblemFound] = []
    arrived_at: AwareDatetime
    departed_at: AwareDatetime
    technicians: Annotated[list[Technician], Field(min_length=2, max_length=2)]

    @model_validator(mode="after")
    def _check(self) -> Self:
        _unique(self.levels, "levels")
        _unique([i.code for i in self.items], "item codes")
        if self.departed_at <= self.arrived_at:
            raise ValueError("departed_at must be after arrived_at")
        _unique([t.certificate_number for t in self.technicians], "technician certificate numbers")
        return self


class MaintenanceConfirmed(_Data):
    visit_id: Ref
    confirmed_by: PersonalName  # the use unit's safety manager


class FaultReported(_Data):
    fault_id: Ref
    code: FaultCode  # must fit the elevator's category (lift codes vs escalator codes)
    service_mode: ServiceMode
    detected_at: AwareDatetime


class FaultCleared(_Data):
    fault_id: Ref
    cause: Text
    action: Text


class RescueAlarm(_Data):
    rescue_id: Ref
    source: RescueSource
    alarm_at: AwareDatetime
    trapped: Count


class RescueDispatched(_Data):
    rescue_id: Ref
    dispatched_at: AwareDatetime
    responder: USCC


class RescueArrived(_Data):
    rescue_id: Ref
    arrived_at: AwareDatetime


class RescueReleased(_Data):
    rescue_id: Ref
    released_at: AwareDatetime
    trapped: Count
    injured: Count
    cause: RescueCause


class UseStopped(_Data):
    reason: Text


class UseResumed(_Data):
    note: Text | None = None


class HazardListed(_Data):
    hazard_id: Ref
    description: Text
    deadline: date


class RectificationOrdered(_Data):
    order_id: Ref
    hazard_id: Ref | None = None
    items: Annotated[list[Text], Field(min_length=1)]
    deadline: date


class RectificationCompleted(_Data):
    order_id: Ref
    description: Text


class HazardClosed(_Data):
    hazard_id: Ref
    note: Text


class SupervisionChecked(_Data):
    result: SupervisionResult
    findings: list[Text] = []


class PenaltyImposed(_Data):
    decision_number: Ref
    target: USCC
    amount_yuan: Yuan
    reason: Text


class AssessmentConcluded(_Data):
    conclusion: AssessmentConclusion
    report_number: Ref


class InsurancePolicyIssued(_Data):
    policy_number: Ref
    insured: USCC
    valid_from: date
    valid_to: date
    coverage_yuan: Yuan

    @model_validator(mode="after")
    def _dates(self) -> Self:
        if self.valid_to < self.valid_from:
            raise ValueError("valid_to must not be before valid_from")
        return self


class InsuranceClaimPaid(_Data):
    policy_number: Ref
    claim_number: Ref
    amount_yuan: Yuan
    rescue_id: Ref | None = None


class ComplaintReceived(_Data):
    complaint_id: Ref
    channel: ComplaintChannel
    summary: Text
    complainant_contact: PersonalName | None = None  # absent for anonymous complaints


class ComplaintResolved(_Data):
    complaint_id: Ref
    resolution: Text


class ElevatorScrapped(_Data):
    scrapped_on: date
    reason: Text


# --------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# The statement
# --------------------------------------------------------------------------------------------

Nonce = Annotated[str, StringConstraints(min_length=8, max_length=64, pattern=r"^[!-~]+$")]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


def _error(loc: tuple[str | int, ...], message: str, value: Any) -> InitErrorDetails:
    return InitErrorDetails(type=PydanticCustomError("statement", message), loc=loc, input=value)


def _fail(errors: list[InitErrorDetails]) -> NoReturn:
    raise ValidationError.from_exception_data("Statement", errors)


def _validate_data(st: StatementType, data: dict[str, Any]) -> BaseModel:
    """Validate ``data`` as strict JSON against the type's model; errors located under ``data``."""
    try:
        raw = to_json(data)
    except PydanticSerializationError as e:
        _fail([_error(("data",), f"data is not JSON-serializable: {e}", None)])
    try:
        return st.data_model.model_validate_json(raw, strict=True)
    except ValidationError as e:
        _fail(
            [
                InitErrorDetails(
                    type=PydanticCustomError(e_["type"], e_["msg"]),
                    loc=("data", *e_["loc"]),
                    input=e_["input"],
                )
                for e_ in e.errors(include_url=False)
            ]
        )


def _check_manufactured(stmt: Statement, data: BaseModel) -> None:
    assert isinstance(data, ElevatorManufactured) and stmt.elevator is not None
    if data.category != category_of(stmt.elevator):
        _fail(
            [
                _error(
                    ("data", "category"),
                    f"category {data.category} differs from the equipment code's"
                    f" {stmt.elevator[:4]}",
                    data.category.value,
                )
            ]
        )


def _check_fault(stmt: Statement, data: BaseModel) -> None:
    assert isinstance(data, FaultReported) and stmt.elevator is not None
    escalator = is_escalator(category_of(stmt.elevator))
    if data.code.for_escalators != escalator:
        family = "escalator (61-65)" if escalator else "lift (01-11)"
        _fail(
            [
                _error(
                    ("data", "code"),
                    f"fault code {data.code.value} does not fit this elevator: expected a"
                    f" {family} code",
                    data.code.value,
                )
            ]
        )


def _check_registration(stmt: Statement, data: BaseModel) -> None:
    assert isinstance(data, RegistrationIssued | RegistrationChanged)
    assert stmt.elevator is not None
    if data.registration_code[:4] != stmt.elevator[:4]:
        _fail(
            [
                _error(
                    ("data", "registration_code"),
                    f"registration code category {data.registration_code[:4]} differs from the"
                    f" equipment code's {stmt.elevator[:4]}",
                    data.registration_code,
                )
            ]
        )


def _check_contract(stmt: Statement, data: BaseModel) -> None:
    assert isinstance(data, MaintenanceContractSigned)
    if data.maintenance_unit != stmt.issuer:
        _fail(
            [
                _error(
                    ("data", "maintenance_unit"),
                    "the maintenance unit must be the issuer (the use unit co-signs)",
                    data.maintenance_unit,
                )
            ]
        )


#: Consistency checks between the envelope fields and data, beyond each data model.
_CROSS_CHECKS: Mapping[str, Callable[[Statement, BaseModel], None]] = MappingProxyType(
    {
        "elevator.manufactured": _check_manufactured,
        "fault.reported": _check_fault,
        "registration.issued": _check_registration,
        "registration.changed": _check_registration,
        "maintenance_contract.signed": _check_contract,
    }
)


class Statement(BaseModel):
    """The signed payload: one claim by one organization about one elevator or organization."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
    elevator: EquipmentCode | None = None  # required when the type's subject is an elevator
    organization: USCC | None = None  # required when the subject is an organization
    issuer: USCC
    occurred_at: AwareDatetime  # RFC 3339 with offset; naive datetimes rejected
    nonce: Nonce
    prev: Sha256Hex | None = None  # the elevator chain head the signer saw
    data: dict[str, Any]

    _parsed: BaseModel | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check(self) -> Self:
        try:
            st = statement_type(self.type)
        except UnknownStatementType as e:
            _fail([_error(("type",), str(e), self.type)])
        subject_field, other_field = (
            ("elevator", "organization")
            if st.subject is Subject.ELEVATOR
            else ("organization", "elevator")
        )
        errors: list[InitErrorDetails] = []
        if getattr(self, subject_field) is None:
            errors.append(
                _error(
                    (subject_field,),
                    f"{self.type} is about an {st.subject}: {subject_field} is required",
                    None,
                )
            )
        if getattr(self, other_field) is not None:
            errors.append(
                _error(
                    (other_field,),
                    f"{self.type} is about an {st.subject}: {other_field} must be absent",
                    getattr(self, other_field),
                )
            )
        if errors:
            _fail(errors)
        parsed = _validate_data(st, self.data)
        check = _CROSS_CHECKS.get(st.name)
        if check is not None:
            check(self, parsed)
        self._parsed = parsed
        return self

    @property
    def statement_type(self) -> StatementType:
        return statement_type(self.type)

    @property
    def subject_id(self) -> str:
        """The equipment code or the organization's USCC this statement is about."""
        subject = self.elevator if self.elevator is not None else self.organization
        assert subject is not None
        return subject

    def parsed_data(self) -> BaseModel:
        """``data`` validated against the catalogue model for ``type``."""
        if self._parsed is None:  # e.g. built with model_construct
            self._parsed = _validate_data(statement_type(self.type), self.data)
        return self._parsed


# --------------------------------------------------------------------------------------------
# Public view
# --------------------------------------------------------------------------------------------


def _strip(node: Any, path: list[str]) -> None:
    head, rest = path[0], path[1:]
    if head == "*":
        if isinstance(node, list):
            for item in node:
                if rest:
                    _strip(item, rest)
        return
    if not isinstance(node, dict) or head not in node:
        return
    if rest:
        _strip(node[head], rest)
    else:
        del node[head]


def public_view(stmt: Statement) -> dict[str, Any]:
    """The statement as a JSON-ready dict with every personal field of its type removed.

    Absent optional envelope fields (``prev``, the unused subject field) are left out.
    """
    view = stmt.model_dump(mode="json")
    view = {k: v for k, v in view.items() if v is not None}
    data = copy.deepcopy(view["data"])
    for dotted in statement_type(stmt.type).personal_fields:
        _strip(data, dotted.split("."))
    view["data"] = data
    return view


# --------------------------------------------------------------------------------------------
# Examples (integration docs, tests, demo)
# --------------------------------------------------------------------------------------------

#: A valid example USCC for each role (Yiyang, Hunan unless noted).
EXAMPLE_ORGANIZATIONS: Mapping[Role, str] = MappingProxyType(
    {
        Role.REGULATOR: make_uscc("11430900MB0000001"),
        Role.MANUFACTURER: make_uscc("91320500MA1M00001"),  # Suzhou, Jiangsu
        Role.CONSTRUCTION_UNIT: make_uscc("91430900MA4L00002"),
        Role.MAINTENANCE_UNIT: make_uscc("91430900MA4L00003"),
        Role.INSPECTION_INSTITUTE: make_uscc("12430000MB0000004"),  # Hunan provincial
        Role.TESTING_BODY: make_uscc("91430100MA4L00005"),  # Changsha
        Role.USE_UNIT: make_uscc("91430902MA4L00006"),
        Role.INSURER: make_uscc("91430000MA4L00007"),
        Role.RESCUE_PLATFORM: make_uscc("12430900MB0000008"),
    }
)
#: The example elevator: a 2015 traction passenger lift.
EXAMPLE_ELEVATOR = "311023010201500098"
_ORGS = EXAMPLE_ORGANIZATIONS
_PUBLIC_KEY = base64.b64encode(bytes(range(32))).decode()

_EXAMPLES: Mapping[str, tuple[Role, dict[str, Any]]] = {
    "org.registered": (
        _R.REGULATOR,
        {
            "name": "益阳市安顺电梯维保有限公司",
            "district": "430903",
            "address": "益阳市赫山区龙岭大道88号",
            "legal_representative": "张三",
        },
    ),
    "org.role_granted": (
        _R.REGULATOR,
        {"role": "maintenance_unit", "valid_from": "2024-01-01", "valid_to": None},
    ),
    "org.role_revoked": (_R.REGULATOR, {"role": "maintenance_unit", "reason": "业务终止"}),
    "org.licence_granted": (
        _R.REGULATOR,
        {
            "kind": "installation_repair",
            "number": "TS3343001-2027",
            "scope": ["3110", "3120", "3310"],
            "valid_from": "2023-06-01",
            "valid_to": "2027-05-31",
        },
    ),
    "org.licence_revoked": (
        _R.REGULATOR,
        {"number": "TS3343001-2027", "reason": "超出许可范围作业"},
    ),
    "key.registered": (
        _R.MAINTENANCE_UNIT,
        {"key_id": "k2024-01", "algorithm": "ed25519", "public_key": _PUBLIC_KEY},
    ),
    "key.revoked": (_R.MAINTENANCE_UNIT, {"key_id": "k2024-01", "reason": "设备遗失"}),
    "elevator.manufactured": (
        _R.MANUFACTURER,
        {
            "category": "3110",
            "model": "GeN2-MR",
            "factory_serial": "5R16074",
            "type_test_certificate": "TSX3110-2014-0123",
            "rated_load_kg": 1000,
            "rated_speed_mps": "1.75",
            "stops": 18,
            "manufactured_on": "2015-03-12",
        },
    ),
    "elevator.sold": (
        _R.MANUFACTURER,
        {
            "buyer": _ORGS[Role.USE_UNIT],
            "buyer_name": "益阳市资阳区幸福里物业管理有限公司",
            "contract_number": "XS-2015-0456",
        },
    ),
    "construction.notified": (
        _R.CONSTRUCTION_UNIT,
        {
            "kind": "installation",
            "site_address": "益阳市资阳区幸福里小区3栋2单元",
            "district": "430902",
            "planned_start": "2015-09-01",
        },
    ),
    "construction.completed": (
        _R.CONSTRUCTION_UNIT,
        {"kind": "installation", "completed_on": "2016-04-20", "self_check_passed": True},
    ),
    "inspection.concluded": (
        _R.INSPECTION_INSTITUTE,
        {
            "kind": "supervisory",
            "conclusion": "pass",
            "report_number": "JD-2016-3337",
            "findings": [],
            "next_due": "2017-05-31",
        },
    ),
    "registration.issued": (
        _R.REGULATOR,
        {
            "registration_code": "31104309002016053337",
            "certificate_number": "梯11湘H3622(16)",
            "use_unit": _ORGS[Role.USE_UNIT],
            "district": "430902",
            "regime": "legacy_annual",
        },
    ),
    "registration.changed": (
        _R.REGULATOR,
        {
            "reason": "use_unit_change",
            "registration_code": "31104309002016053337",
            "certificate_number": "梯11湘H3622(24)",
            "use_unit": _ORGS[Role.USE_UNIT],
            "district": "430902",
        },
    ),
    "registration.cancelled": (_R.REGULATOR, {"reason": "设备已报废"}),
    "rescue_code.assigned": (_R.RESCUE_PLATFORM, {"rescue_code": "035302"}),
    "maintenance_contract.signed": (
        _R.MAINTENANCE_UNIT,
        {
            "contract_number": "WB-2024-0017",
            "maintenance_unit": _ORGS[Role.MAINTENANCE_UNIT],
            "use_unit": _ORGS[Role.USE_UNIT],
            "valid_from": "2024-01-01",
            "valid_to": "2024-12-31",
            "policy": "classic_15_day",
        },
    ),
    "maintenance_contract.ended": (
        _R.USE_UNIT,
        {"contract_number": "WB-2024-0017", "reason": "合同期满"},
    ),
    "maintenance.performed": (
        _R.MAINTENANCE_UNIT,
        {
            "visit_id": "V-20240506-0098",
            "levels": ["half_month", "quarterly"],
            "items": [
                {"code": "A1.1", "result": "ok"},
                {"code": "A1.5", "result": "adjusted", "note": "制动器间隙调整"},
                {"code": "A2.3", "result": "replaced"},
            ],
            "parts_replaced": [{"name": "层门滑块", "quantity": 2}],
            "problems_found": [{"description": "厅门滑块磨损", "handling": "已更换"}],
            "arrived_at": "2024-05-06T09:30:00+08:00",
            "departed_at": "2024-05-06T10:25:00+08:00",
            "technicians": [
                {"name": "李四", "certificate_number": "T430902198001011234"},
                {"name": "王五", "certificate_number": "T430903198502022345"},
            ],
        },
    ),
    "maintenance.confirmed": (
        _R.USE_UNIT,
        {"visit_id": "V-20240506-0098", "confirmed_by": "赵六"},
    ),
    "fault.reported": (
        _R.MAINTENANCE_UNIT,
        {
            "fault_id": "F-20240507-01",
            "code": "02",
            "service_mode": 1,
            "detected_at": "2024-05-07T08:12:33+08:00",
        },
    ),
    "fault.cleared": (
        _R.MAINTENANCE_UNIT,
        {"fault_id": "F-20240507-01", "cause": "门刀变形", "action": "校正门刀"},
    ),
    "rescue.alarm": (
        _R.RESCUE_PLATFORM,
        {
            "rescue_id": "R-20240508-07",
            "source": "96333",
            "alarm_at": "2024-05-08T19:02:10+08:00",
            "trapped": 2,
        },
    ),
    "rescue.dispatched": (
        _R.RESCUE_PLATFORM,
        {
            "rescue_id": "R-20240508-07",
            "dispatched_at": "2024-05-08T19:03:00+08:00",
            "responder": _ORGS[Role.MAINTENANCE_UNIT],
        },
    ),
    "rescue.arrived": (
        _R.MAINTENANCE_UNIT,
        {"rescue_id": "R-20240508-07", "arrived_at": "2024-05-08T19:16:45+08:00"},
    ),
    "rescue.released": (
        _R.MAINTENANCE_UNIT,
        {
            "rescue_id": "R-20240508-07",
            "released_at": "2024-05-08T19:24:00+08:00",
            "trapped": 2,
            "injured": 0,
            "cause": "door_system",
        },
    ),
    "use.stopped": (_R.USE_UNIT, {"reason": "小区改造施工"}),
    "use.resumed": (_R.USE_UNIT, {"note": "施工结束"}),
    "elevator.scrapped": (
        _R.USE_UNIT,
        {"scrapped_on": "2031-06-30", "reason": "安全评估结论为报废"},
    ),
    "hazard.listed": (
        _R.REGULATOR,
        {"hazard_id": "H-2024-012", "description": "曳引钢丝绳断丝超标", "deadline": "2024-06-30"},
    ),
    "rectification.ordered": (
        _R.INSPECTION_INSTITUTE,
        {
            "order_id": "ZG-2024-031",
            "hazard_id": "H-2024-012",
            "items": ["更换曳引钢丝绳"],
            "deadline": "2024-06-15",
        },
    ),
    "rectification.completed": (
        _R.MAINTENANCE_UNIT,
        {"order_id": "ZG-2024-031", "description": "已更换全部曳引钢丝绳"},
    ),
    "hazard.closed": (_R.REGULATOR, {"hazard_id": "H-2024-012", "note": "复查合格，销号"}),
    "supervision.checked": (
        _R.REGULATOR,
        {"result": "non_compliant", "findings": ["维保记录缺少使用单位确认"]},
    ),
    "penalty.imposed": (
        _R.REGULATOR,
        {
            "decision_number": "益市监罚〔2024〕12号",
            "target": _ORGS[Role.MAINTENANCE_UNIT],
            "amount_yuan": "20000.00",
            "reason": "未按规定进行维护保养",
        },
    ),
    "assessment.concluded": (
        _R.INSPECTION_INSTITUTE,
        {"conclusion": "continue", "report_number": "PG-2031-0042"},
    ),
    "insurance.policy_issued": (
        _R.INSURER,
        {
            "policy_number": "PZ-2024-88001",
            "insured": _ORGS[Role.USE_UNIT],
            "valid_from": "2024-01-01",
            "valid_to": "2024-12-31",
            "coverage_yuan": "1000000.00",
        },
    ),
    "insurance.claim_paid": (
        _R.INSURER,
        {
            "policy_number": "PZ-2024-88001",
            "claim_number": "LP-2024-0301",
            "amount_yuan": "3500.00",
            "rescue_id": "R-20240508-07",
        },
    ),
    "complaint.received": (
        _R.RESCUE_PLATFORM,
        {
            "complaint_id": "TS-2024-0420",
            "channel": "qr_scan",
            "summary": "电梯运行时异响",
            "complainant_contact": "138****0000",
        },
    ),
    "complaint.resolved": (
        _R.REGULATOR,
        {"complaint_id": "TS-2024-0420", "resolution": "已责令维保单位检修，异响消除"},
    ),
}


def example_statement(name: str) -> dict[str, Any]:
    """A valid example statement (a JSON-ready dict) for the catalogue type ``name``."""
    st = statement_type(name)
    role, data = _EXAMPLES[name]
    issuer = _ORGS[role]
    stmt: dict[str, Any] = {"type": name}
    if st.subject is Subject.ELEVATOR:
        stmt["elevator"] = EXAMPLE_ELEVATOR
    else:
        # trust statements are about the maintenance unit; keys are registered by itself
        stmt["organization"] = _ORGS[Role.MAINTENANCE_UNIT]
    stmt["issuer"] = issuer
    stmt["occurred_at"] = "2024-05-06T10:30:00+08:00"
    stmt["nonce"] = hashlib.sha256(name.encode()).hexdigest()[:32]
    stmt["data"] = copy.deepcopy(data)
    return stmt
