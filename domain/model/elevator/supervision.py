"""Supervision, complaints, insurance: what the regulator lists, orders, checks and penalizes
(隐患挂牌督办, 整改), complaints about the elevator, and its insurance policies and claims.
"""

from __future__ import annotations

from dataclasses import replace

from domain.model.catalogue import (
    ComplaintReceived,
    ComplaintResolved,
    HazardClosed,
    HazardListed,
    InsuranceClaimPaid,
    InsurancePolicyIssued,
    RectificationCompleted,
    RectificationOrdered,
    Statement,
)
from domain.model.elevator.registry import STEPS
from domain.model.elevator.state import ElevatorState, Tracked
from domain.model.rules import RuleViolation, data_of

# --- hazards and rectification --------------------------------------------------------------


def _check_hazard_listed(state: ElevatorState, stmt: Statement) -> None:
    hazard_id = data_of(stmt, HazardListed).hazard_id
    if hazard_id in state.hazards:
        raise RuleViolation(
            "hazard-id-taken", f"elevator {state.equipment_code} already has hazard {hazard_id}"
        )


def _hazard_listed(state: ElevatorState, stmt: Statement) -> ElevatorState:
    data = data_of(stmt, HazardListed)
    return replace(state, hazards={**state.hazards, data.hazard_id: Tracked(data.deadline)})


STEPS.register("hazard.listed", check=_check_hazard_listed, evolve=_hazard_listed)


def _check_hazard_closed(state: ElevatorState, stmt: Statement) -> None:
    hazard_id = data_of(stmt, HazardClosed).hazard_id
    hazard = state.hazards.get(hazard_id)
    if hazard is None or not hazard.is_open:
        raise RuleViolation(
            "hazard-not-open", f"elevator {state.equipment_code} has no open hazard {hazard_id}"
        )


def _hazard_closed(state: ElevatorState, stmt: Statement) -> ElevatorState:
    hazard_id = data_of(stmt, HazardClosed).hazard_id
    closed = replace(state.hazards[hazard_id], closed_at=stmt.occurred_at)
    return replace(state, hazards={**state.hazards, hazard_id: closed})


STEPS.register("hazard.closed", check=_check_hazard_closed, evolve=_hazard_closed)


def _check_rectification_ordered(state: ElevatorState, stmt: Statement) -> None:
    data = data_of(stmt, RectificationOrdered)
    code = state.equipment_code
    if data.order_id in state.rectification_orders:
        raise RuleViolation(
            "order-id-taken", f"elevator {code} already has rectification order {data.order_id}"
        )
    if data.hazard_id is not None:
        hazard = state.hazards.get(data.hazard_id)
        if hazard is None or not hazard.is_open:
            raise RuleViolation(
                "rectification-hazard-not-open",
                f"rectification order {data.order_id} refers to hazard {data.hazard_id}, which"
                f" is not open for elevator {code}",
            )


def _rectification_ordered(state: ElevatorState, stmt: Statement) -> ElevatorState:
    data = data_of(stmt, RectificationOrdered)
    orders = {**state.rectification_orders, data.order_id: Tracked(data.deadline)}
    return replace(state, rectification_orders=orders)


STEPS.register(
    "rectification.ordered", check=_check_rectification_ordered, evolve=_rectification_ordered
)


def _check_rectification_completed(state: ElevatorState, stmt: Statement) -> None:
    order_id = data_of(stmt, RectificationCompleted).order_id
    order = state.rectification_orders.get(order_id)
    if order is None or not order.is_open:
        raise RuleViolation(
            "order-not-open",
            f"elevator {state.equipment_code} has no open rectification order {order_id}",
        )


def _rectification_completed(state: ElevatorState, stmt: Statement) -> ElevatorState:
    order_id = data_of(stmt, RectificationCompleted).order_id
    closed = replace(state.rectification_orders[order_id], closed_at=stmt.occurred_at)
    return replace(state, rectification_orders={**state.rectification_orders, order_id: closed})


STEPS.register(
    "rectification.completed", check=_check_rectification_completed, evolve=_rectification_completed
)


# --- recorded; no rule of their own, no effect on the state ---------------------------------

STEPS.register("supervision.checked", check=None, evolve=None)
STEPS.register("penalty.imposed", check=None, evolve=None)
STEPS.register("assessment.concluded", check=None, evolve=None)


# --- complaints -----------------------------------------------------------------------------


def _complaint_received(state: ElevatorState, stmt: Statement) -> ElevatorState:
    complaint_id = data_of(stmt, ComplaintReceived).complaint_id
    return replace(state, open_complaints=state.open_complaints | {complaint_id})


STEPS.register("complaint.received", check=None, evolve=_complaint_received)


def _check_complaint_resolved(state: ElevatorState, stmt: Statement) -> None:
    complaint_id = data_of(stmt, ComplaintResolved).complaint_id
    if complaint_id not in state.open_complaints:
        raise RuleViolation(
            "complaint-not-open",
            f"elevator {state.equipment_code} has no open complaint {complaint_id}",
        )


def _complaint_resolved(state: ElevatorState, stmt: Statement) -> ElevatorState:
    complaint_id = data_of(stmt, ComplaintResolved).complaint_id
    return replace(state, open_complaints=state.open_complaints - {complaint_id})


STEPS.register("complaint.resolved", check=_check_complaint_resolved, evolve=_complaint_resolved)


# --- insurance ------------------------------------------------------------------------------


def _policy_issued(state: ElevatorState, stmt: Statement) -> ElevatorState:
    data = data_of(stmt, InsurancePolicyIssued)
    policies = {**state.insurance_policies, data.policy_number: data.valid_to}
    return replace(state, insurance_policies=policies)


STEPS.register("insurance.policy_issued", check=None, evolve=_policy_issued)


def _check_claim_paid(state: ElevatorState, stmt: Statement) -> None:
    number = data_of(stmt, InsuranceClaimPaid).policy_number
    if number not in state.insurance_policies:
        raise RuleViolation(
            "insurance-policy-unknown",
            f"elevator {state.equipment_code} has no insurance policy {number}",
        )


STEPS.register("insurance.claim_paid", check=_check_claim_paid, evolve=None)
