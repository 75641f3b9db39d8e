"""``data`` models of the statements about an elevator: manufacture and construction, inspection
and registration, maintenance, faults and rescues, use, supervision, insurance and complaints."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Self

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from domain.model.catalogue.enums import (
    AssessmentConclusion,
    ComplaintChannel,
    ConstructionKind,
    FaultCode,
    InspectionConclusion,
    InspectionKind,
    ItemResult,
    MaintenanceLevel,
    MaintenancePolicy,
    RegistrationChangeReason,
    RegistrationRegime,
    RescueCause,
    RescueSource,
    ServiceMode,
    SupervisionResult,
)
from domain.model.catalogue.fields import (
    Count,
    DataModel,
    FactorySerial,
    Name,
    PersonalName,
    PersonalRef,
    Ref,
    Text,
    Yuan,
    require_unique,
)
from domain.model.identifiers import (
    USCC,
    AreaCode,
    ElevatorCategory,
    RegistrationCode,
    RescueCode,
    UseCertificateNumber,
)


class ElevatorManufactured(DataModel):
    category: ElevatorCategory  # must equal the equipment code's category
    model: Name
    factory_serial: FactorySerial
    type_test_certificate: Ref
    rated_load_kg: Annotated[int, Field(gt=0)]
    rated_speed_mps: Annotated[Decimal, Field(gt=0, le=30, max_digits=5, decimal_places=2)]
    stops: Annotated[int, Field(ge=2)]
    manufactured_on: date


class ElevatorSold(DataModel):
    buyer: USCC
    buyer_name: Name
    contract_number: Ref


class ConstructionNotified(DataModel):
    kind: ConstructionKind
    site_address: Text
    district: AreaCode
    planned_start: date


class ConstructionCompleted(DataModel):
    kind: ConstructionKind
    completed_on: date
    self_check_passed: bool


class InspectionConcluded(DataModel):
    kind: InspectionKind
    conclusion: InspectionConclusion
    report_number: Ref
    findings: list[Text] = []  # noqa: RUF012 (pydantic copies defaults)
    rectification_deadline: date | None = None
    next_due: date | None = None  # the date on the use mark (使用标志)


class RegistrationIssued(DataModel):
    registration_code: RegistrationCode
    certificate_number: UseCertificateNumber
    use_unit: USCC
    district: AreaCode
    regime: RegistrationRegime


class RegistrationChanged(DataModel):
    reason: RegistrationChangeReason
    registration_code: RegistrationCode
    certificate_number: UseCertificateNumber
    use_unit: USCC
    district: AreaCode


class RegistrationCancelled(DataModel):
    reason: Text


class RescueCodeAssigned(DataModel):
    rescue_code: RescueCode


class MaintenanceContractSigned(DataModel):
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


class MaintenanceContractEnded(DataModel):
    contract_number: Ref
    reason: Text


class MaintenanceItem(DataModel):
    code: Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^\S+$")]
    result: ItemResult
    note: Text | None = None


class PartReplaced(DataModel):
    name: Name
    quantity: Annotated[int, Field(ge=1)] = 1


class ProblemFound(DataModel):
    description: Text
    handling: Text | None = None


class Technician(DataModel):
    name: PersonalName
    certificate_number: PersonalRef


class MaintenancePerformed(DataModel):
    visit_id: Ref
    levels: Annotated[list[MaintenanceLevel], Field(min_length=1)]
    items: Annotated[list[MaintenanceItem], Field(min_length=1)]
    parts_replaced: list[PartReplaced] = []  # noqa: RUF012 (pydantic copies defaults)
    problems_found: list[ProblemFound] = []  # noqa: RUF012 (pydantic copies defaults)
    arrived_at: AwareDatetime
    departed_at: AwareDatetime
    technicians: Annotated[list[Technician], Field(min_length=2, max_length=2)]

    @model_validator(mode="after")
    def _check(self) -> Self:
        require_unique(self.levels, "levels")
        require_unique([i.code for i in self.items], "item codes")
        if self.departed_at <= self.arrived_at:
            raise ValueError("departed_at must be after arrived_at")
        require_unique(
            [t.certificate_number for t in self.technicians], "technician certificate numbers"
        )
        return self


class MaintenanceConfirmed(DataModel):
    visit_id: Ref
    confirmed_by: PersonalName  # the use unit's safety manager


class FaultReported(DataModel):
    fault_id: Ref
    code: FaultCode  # must fit the elevator's category (lift codes vs escalator codes)
    service_mode: ServiceMode
    detected_at: AwareDatetime


class FaultCleared(DataModel):
    fault_id: Ref
    cause: Text
    action: Text


class RescueAlarm(DataModel):
    rescue_id: Ref
    source: RescueSource
    alarm_at: AwareDatetime
    trapped: Count


class RescueDispatched(DataModel):
    rescue_id: Ref
    dispatched_at: AwareDatetime
    responder: USCC


class RescueArrived(DataModel):
    rescue_id: Ref
    arrived_at: AwareDatetime


class RescueReleased(DataModel):
    rescue_id: Ref
    released_at: AwareDatetime
    trapped: Count
    injured: Count
    cause: RescueCause


class UseStopped(DataModel):
    reason: Text


class UseResumed(DataModel):
    note: Text | None = None


class HazardListed(DataModel):
    hazard_id: Ref
    description: Text
    deadline: date


class RectificationOrdered(DataModel):
    order_id: Ref
    hazard_id: Ref | None = None
    items: Annotated[list[Text], Field(min_length=1)]
    deadline: date
    #: The party that must rectify (e.g. the installer of a failed installation); absent: the
    #: elevator's use unit or its contracted maintainer.
    responsible: USCC | None = None


class RectificationCompleted(DataModel):
    order_id: Ref
    description: Text


class HazardClosed(DataModel):
    hazard_id: Ref
    note: Text


class SupervisionChecked(DataModel):
    result: SupervisionResult
    findings: list[Text] = []  # noqa: RUF012 (pydantic copies defaults)


class PenaltyImposed(DataModel):
    decision_number: Ref
    target: USCC
    amount_yuan: Yuan
    reason: Text


class AssessmentConcluded(DataModel):
    conclusion: AssessmentConclusion
    report_number: Ref


class InsurancePolicyIssued(DataModel):
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


class InsuranceClaimPaid(DataModel):
    policy_number: Ref
    claim_number: Ref
    amount_yuan: Yuan
    rescue_id: Ref | None = None


class ComplaintReceived(DataModel):
    complaint_id: Ref
    channel: ComplaintChannel
    summary: Text
    complainant_contact: PersonalName | None = None  # absent for anonymous complaints


class ComplaintResolved(DataModel):
    complaint_id: Ref
    resolution: Text


class ElevatorScrapped(DataModel):
    scrapped_on: date
    reason: Text
