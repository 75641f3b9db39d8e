"""Supervision, complaints, insurance: what the regulator lists, orders, checks and penalizes
(隐患挂牌督办, 整改), complaints about the elevator, and its insurance policies and claims.

Who may sign (``PARTIES.register``): the regulator's and the institute's statements need their role
alone; a rectification is completed by the party its order names, else by the elevator's use unit
or contracted maintainer; a claim is paid by the insurer that issued the policy, and a policy
insures the registered use unit (docs/lifecycle.md, "Who may sign what about an elevator").
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
from domain.model.elevator.registry import PARTIES, STEPS, not_a_party
from domain.model.elevator.state import (
    ElevatorState,
    Tracked,
    is_own_party,
    registered_use_unit,
)
from domain.model.roles import Role
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
PARTIES.register("hazard.listed", who=None)  # the regulator, by its role


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
PARTIES.register("hazard.closed", who=None)  # the regulator, by its role


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
    order = Tracked(data.deadline, responsible=data.responsible)
    orders = {**state.rectification_orders, data.order_id: order}
    return replace(state, rectification_orders=orders)


STEPS.register(
    "rectification.ordered", check=_check_rectification_ordered, evolve=_rectification_ordered
)
PARTIES.register("rectification.ordered", who=None)  # the regulator or an inspection institute


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


def _who_rectifies(state: ElevatorState, stmt: Statement, acting_as: frozenset[Role]) -> None:
    """The party the order names; an order naming none is the elevator's own parties' to
    complete. An unknown order is left to ``order-not-open``."""
    order = state.rectification_orders.get(data_of(stmt, RectificationCompleted).order_id)
    if order is None:
        return
    if order.responsible is not None:
        if stmt.issuer != order.responsible:
            raise not_a_party(
                "rectification-by-other-party",
                state,
                stmt,
                f"{order.responsible}, the party the order names",
            )
    elif not is_own_party(state, stmt.issuer, stmt.occurred_at.date()):
        raise not_a_party(
            "rectification-by-other-party",
            state,
            stmt,
            "the registered use unit or the maintenance unit under contract that day",
        )


STEPS.register(
    "rectification.completed", check=_check_rectification_completed, evolve=_rectification_completed
)
PARTIES.register("rectification.completed", who=_who_rectifies)


# --- recorded; no rule of their own, no effect on the state ---------------------------------

STEPS.register("supervision.checked", check=None, evolve=None)
PARTIES.register("supervision.checked", who=None)  # the regulator, by its role
STEPS.register("penalty.imposed", check=None, evolve=None)
PARTIES.register("penalty.imposed", who=None)  # the regulator, by its role
STEPS.register("assessment.concluded", check=None, evolve=None)
PARTIES.register("assessment.concluded", who=None)  # any approved institute the owner engages


# --- complaints -----------------------------------------------------------------------------


def _complaint_received(state: ElevatorState, stmt: Statement) -> ElevatorState:
    complaint_id = data_of(stmt, ComplaintReceived).complaint_id
    return replace(state, open_complaints=state.open_complaints | {complaint_id})


STEPS.register("complaint.received", check=None, evolve=_complaint_received)
PARTIES.register("complaint.received", who=None)  # the regulator or the platform taking it


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
PARTIES.register("complaint.resolved", who=None)  # the regulator, by its role


# --- insurance ------------------------------------------------------------------------------


def _check_policy_issued(state: ElevatorState, stmt: Statement) -> None:
    """The elevator's liability policy insures the one answering for it: its registered use
    unit (an unregistered elevator has none to insure)."""
    insured = data_of(stmt, InsurancePolicyIssued).insured
    use_unit = registered_use_unit(state)
    if insured != use_unit:
        raise RuleViolation(
            "insured-not-use-unit",
            f"policy insures {insured}, but elevator {state.equipment_code}'s registered use"
            f" unit is {use_unit or 'none: not registered'}",
        )


def _policy_issued(state: ElevatorState, stmt: Statement) -> ElevatorState:
    data = data_of(stmt, InsurancePolicyIssued)
    policies = {**state.insurance_policies, data.policy_number: data.valid_to}
    insurers = {**state.policy_insurers, data.policy_number: stmt.issuer}
    return replace(state, insurance_policies=policies, policy_insurers=insurers)


STEPS.register("insurance.policy_issued", check=_check_policy_issued, evolve=_policy_issued)
PARTIES.register("insurance.policy_issued", who=None)  # any insurer; the insured is checked


def _check_claim_paid(state: ElevatorState, stmt: Statement) -> None:
    number = data_of(stmt, InsuranceClaimPaid).policy_number
    if number not in state.insurance_policies:
        raise RuleViolation(
            "insurance-policy-unknown",
            f"elevator {state.equipment_code} has no insurance policy {number}",
        )


def _who_pays_claim(state: ElevatorState, stmt: Statement, acting_as: frozenset[Role]) -> None:
    """The insurer that issued the policy; an unknown policy is left to
    ``insurance-policy-unknown``."""
    insurer = state.policy_insurers.get(data_of(stmt, InsuranceClaimPaid).policy_number)
    if insurer is not None and stmt.issuer != insurer:
        raise not_a_party("claim-by-other-insurer", state, stmt, f"{insurer}, the policy's insurer")


STEPS.register("insurance.claim_paid", check=_check_claim_paid, evolve=None)
PARTIES.register("insurance.claim_paid", who=_who_pays_claim)
