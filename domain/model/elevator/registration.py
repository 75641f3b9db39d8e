"""Registration (使用登记): issued after the installation's supervisory pass, changed (new use unit,
relocation...), cancelled (注销, terminal); and the rescue code the registration comes with.
"""

from __future__ import annotations

from dataclasses import replace

from domain.model.catalogue import (
    ConstructionKind,
    RegistrationChanged,
    RegistrationChangeReason,
    RegistrationIssued,
    RescueCodeAssigned,
    Statement,
)
from domain.model.elevator.registry import PARTIES, STEPS
from domain.model.elevator.state import ElevatorState, Lifecycle, Registration
from domain.model.rules import RuleViolation, data_of


def _inspected_after(state: ElevatorState, kind: ConstructionKind) -> bool:
    """Whether the elevator's last construction was a ``kind`` and has passed its supervisory
    inspection, so that it may be registered (again) for use."""
    return state.lifecycle is Lifecycle.INSPECTED and state.last_construction_kind is kind


def _check_registration_issued(state: ElevatorState, stmt: Statement) -> None:
    code = state.equipment_code
    if state.registration is not None:
        raise RuleViolation(
            "already-registered",
            f"elevator {code} is already registered ({state.registration.registration_code});"
            " use registration.changed",
        )
    if not _inspected_after(state, ConstructionKind.INSTALLATION):
        raise RuleViolation(
            "registration-requires-supervisory-pass",
            f"elevator {code} is {state.lifecycle}: use registration needs a passed supervisory"
            " inspection of its installation",
        )


def _registration_issued(state: ElevatorState, stmt: Statement) -> ElevatorState:
    data = data_of(stmt, RegistrationIssued)
    registration = Registration(
        data.registration_code,
        data.certificate_number,
        data.use_unit,
        data.district,
        data.regime,
        stmt.occurred_at,
    )
    return replace(
        state,
        registration=registration,
        lifecycle=Lifecycle.IN_SERVICE,
        inspections=state.inspections.registered(data.regime, data.district),
        used_unregistered=None,
    )


STEPS.register("registration.issued", check=_check_registration_issued, evolve=_registration_issued)
PARTIES.register("registration.issued", who=None)  # the registration authority, by its role


def _check_registration_changed(state: ElevatorState, stmt: Statement) -> None:
    reason = data_of(stmt, RegistrationChanged).reason
    code = state.equipment_code
    if state.registration is None:
        raise RuleViolation(
            "registration-change-without-registration",
            f"elevator {code} has no registration to change; registration.issued comes first",
        )
    if reason is RegistrationChangeReason.RELOCATION and not _inspected_after(
        state, ConstructionKind.RELOCATION
    ):
        raise RuleViolation(
            "relocation-change-needs-inspection",
            f"elevator {code} is {state.lifecycle}: a change for relocation needs a passed"
            " supervisory inspection of the relocation",
        )
    if reason is RegistrationChangeReason.MODIFICATION and state.change_registration_due is None:
        raise RuleViolation(
            "modification-change-needs-inspection",
            f"elevator {code} has no modification that passed its supervisory inspection and"
            " awaits a change registration",
        )


def _registration_changed(state: ElevatorState, stmt: Statement) -> ElevatorState:
    data = data_of(stmt, RegistrationChanged)
    assert state.registration is not None
    registration = replace(
        state.registration,
        registration_code=data.registration_code,
        certificate_number=data.certificate_number,
        use_unit=data.use_unit,
        district=data.district,
    )
    inspections = state.inspections.registered(None, data.district)
    if data.reason is RegistrationChangeReason.RELOCATION:
        return replace(
            state,
            registration=registration,
            lifecycle=Lifecycle.IN_SERVICE,
            used_unregistered=None,
            inspections=inspections,
        )
    if data.reason is RegistrationChangeReason.MODIFICATION:
        return replace(
            state, registration=registration, change_registration_due=None, inspections=inspections
        )
    return replace(state, registration=registration, inspections=inspections)


STEPS.register(
    "registration.changed", check=_check_registration_changed, evolve=_registration_changed
)
PARTIES.register("registration.changed", who=None)  # the registration authority, by its role


def _check_registration_cancelled(state: ElevatorState, stmt: Statement) -> None:
    if state.registration is None and state.lifecycle is not Lifecycle.SCRAPPED:
        raise RuleViolation(
            "cancellation-without-registration",
            f"elevator {state.equipment_code} is {state.lifecycle} and has no registration to"
            " cancel",
        )


def _registration_cancelled(state: ElevatorState, stmt: Statement) -> ElevatorState:
    """Cancellation is terminal: nothing stays open under construction or awaiting inspection."""
    return replace(
        state,
        registration=None,
        lifecycle=Lifecycle.CANCELLED,
        construction=None,
        awaiting_supervisory=False,
        inspections=state.inspections.retire(),
    )


STEPS.register(
    "registration.cancelled", check=_check_registration_cancelled, evolve=_registration_cancelled
)
PARTIES.register("registration.cancelled", who=None)  # the registration authority, by its role


def _rescue_code(state: ElevatorState, stmt: Statement) -> ElevatorState:
    return replace(state, rescue_code=data_of(stmt, RescueCodeAssigned).rescue_code)


STEPS.register("rescue_code.assigned", check=None, evolve=_rescue_code)
PARTIES.register("rescue_code.assigned", who=None)  # the 96333 platform or the regulator
