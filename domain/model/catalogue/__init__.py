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
from domain.model.catalogue.examples import (
    EXAMPLE_ELEVATOR,
    EXAMPLE_ORGANIZATIONS,
    example_statement,
)
from domain.model.catalogue.public import (
    public_view,
)
from domain.model.catalogue.registry import (
    CATALOGUE,
    INSPECTION_SIGNER_ROLES,
    StatementType,
    Subject,
    UnknownStatementType,
    statement_type,
)
from domain.model.catalogue.statement import (
    Statement,
    class_codes_assigned,
    validate_data_json,
)
from domain.model.catalogue.trust_data import (
    KeyRegistered,
    KeyRevoked,
    OrgLicenceGranted,
    OrgLicenceRevoked,
    OrgRegistered,
    OrgRoleGranted,
    OrgRoleRevoked,
)

__all__ = [
    "CATALOGUE",
    "EXAMPLE_ELEVATOR",
    "EXAMPLE_ORGANIZATIONS",
    "INSPECTION_SIGNER_ROLES",
    "AssessmentConcluded",
    "AssessmentConclusion",
    "ComplaintChannel",
    "ComplaintReceived",
    "ComplaintResolved",
    "ConstructionCompleted",
    "ConstructionKind",
    "ConstructionNotified",
    "ElevatorManufactured",
    "ElevatorScrapped",
    "ElevatorSold",
    "FaultCleared",
    "FaultCode",
    "FaultReported",
    "HazardClosed",
    "HazardListed",
    "InspectionConcluded",
    "InspectionConclusion",
    "InspectionKind",
    "InsuranceClaimPaid",
    "InsurancePolicyIssued",
    "ItemResult",
    "KeyRegistered",
    "KeyRevoked",
    "MaintenanceConfirmed",
    "MaintenanceContractEnded",
    "MaintenanceContractSigned",
    "MaintenanceLevel",
    "MaintenancePerformed",
    "MaintenancePolicy",
    "OrgLicenceGranted",
    "OrgLicenceRevoked",
    "OrgRegistered",
    "OrgRoleGranted",
    "OrgRoleRevoked",
    "PenaltyImposed",
    "RectificationCompleted",
    "RectificationOrdered",
    "RegistrationCancelled",
    "RegistrationChangeReason",
    "RegistrationChanged",
    "RegistrationIssued",
    "RegistrationRegime",
    "RescueAlarm",
    "RescueArrived",
    "RescueCause",
    "RescueCodeAssigned",
    "RescueDispatched",
    "RescueReleased",
    "RescueSource",
    "ServiceMode",
    "Statement",
    "StatementType",
    "Subject",
    "SupervisionChecked",
    "SupervisionResult",
    "UnknownStatementType",
    "UseResumed",
    "UseStopped",
    "class_codes_assigned",
    "example_statement",
    "public_view",
    "statement_type",
    "validate_data_json",
]
