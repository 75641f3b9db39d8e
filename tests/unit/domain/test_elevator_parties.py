"""Who may sign what about an elevator (docs/lifecycle.md, "Who may sign what about an elevator"):
a role is not enough, the issuer must be one of this elevator's own parties on the statement's
date. One specification per rule id, in the style of test_elevator_lifecycle.py, whose builders
it uses; ``acting_as`` is what authorization found the issuer holds among the type's roles."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from domain.model.catalogue import Statement
from domain.model.elevator import (
    ElevatorState,
    check_elevator_statement,
    check_terminal_binding,
)
from domain.model.identifiers import make_uscc
from domain.model.roles import Role
from domain.model.rules import RULES, RuleViolation
from tests.unit.domain.test_elevator_lifecycle import (
    CODE,
    MAINTAINER,
    OTHER_MAINTAINER,
    OTHER_USE_UNIT,
    USE_UNIT,
    accept,
    contract,
    manufactured,
    on,
    registered,
    stmt,
    under_contract,
)

PLATFORM = frozenset({Role.RESCUE_PLATFORM})
USE = frozenset({Role.USE_UNIT})
MAINTENANCE = frozenset({Role.MAINTENANCE_UNIT})
OTHER_INSURER = make_uscc("91430000MA4L00099")
OTHER_MAKER = make_uscc("91320500MA1M00099")


def refused(state: ElevatorState, s: Statement, acting_as: frozenset[Role] = frozenset()) -> str:
    """The rule ``s`` breaks when its issuer acts in ``acting_as``; the state is left alone."""
    before = copy.deepcopy(state)
    with pytest.raises(RuleViolation) as info:
        check_elevator_statement(state, s, s.occurred_at, acting_as)
    assert state == before
    assert info.value.rule in RULES
    return info.value.rule


def allowed(state: ElevatorState, s: Statement, acting_as: frozenset[Role]) -> ElevatorState:
    check_elevator_statement(state, s, s.occurred_at, acting_as)
    return accept(state, s)


# --- manufacture ----------------------------------------------------------------------------


def test_only_the_manufacturer_records_the_sale() -> None:
    sale = stmt("elevator.sold", on(2015, 4, 1), issuer=OTHER_MAKER)
    assert refused(manufactured(), sale) == "only-manufacturer-sells"
    allowed(manufactured(), stmt("elevator.sold", on(2015, 4, 1)), frozenset())


# --- inspection -----------------------------------------------------------------------------


def test_a_maintainer_self_tests_only_the_lifts_it_maintains() -> None:
    def self_test(issuer: str) -> Statement:
        return stmt("inspection.concluded", on(2017, 6, 1), issuer=issuer, kind="self_test")

    state = under_contract()
    assert (
        refused(state, self_test(OTHER_MAINTAINER), MAINTENANCE) == "self-test-by-other-maintainer"
    )
    allowed(state, self_test(MAINTAINER), MAINTENANCE)
    allowed(state, self_test(OTHER_MAINTAINER), frozenset({Role.TESTING_BODY}))


# --- faults ---------------------------------------------------------------------------------


def _fault(issuer: str, when: date = date(2017, 1, 1)) -> Statement:
    return stmt(
        "fault.reported", on(when.year, when.month, when.day), issuer=issuer, fault_id="F-1"
    )


def test_a_maintainer_without_a_contract_reports_no_fault() -> None:
    state = under_contract()  # WB-1 of MAINTAINER, 2016-06-01..2019-05-31
    assert refused(state, _fault(OTHER_MAINTAINER), MAINTENANCE) == "fault-reporter-not-a-party"
    assert refused(state, _fault(OTHER_USE_UNIT), USE) == "fault-reporter-not-a-party"
    after_contract = _fault(MAINTAINER, date(2019, 6, 1))
    assert refused(state, after_contract, MAINTENANCE) == "fault-reporter-not-a-party"
    allowed(state, _fault(MAINTAINER), MAINTENANCE)
    allowed(state, _fault(USE_UNIT), USE)


def test_only_the_contracted_maintainer_clears_a_fault() -> None:
    state = accept(under_contract(), _fault(USE_UNIT))

    def clear(issuer: str) -> Statement:
        return stmt("fault.cleared", on(2017, 1, 2), issuer=issuer, fault_id="F-1")

    assert refused(state, clear(OTHER_MAINTAINER), MAINTENANCE) == (
        "only-contracted-maintainer-clears"
    )
    after = allowed(state, clear(MAINTAINER), MAINTENANCE)
    assert not after.open_faults


# --- rescue ---------------------------------------------------------------------------------


def _alarm(issuer: str) -> Statement:
    return stmt(
        "rescue.alarm",
        on(2017, 1, 1, 19),
        issuer=issuer,
        rescue_id="R-1",
        alarm_at="2017-01-01T19:00:00+08:00",
    )


def _dispatched(issuer: str, responder: str) -> Statement:
    return stmt(
        "rescue.dispatched",
        on(2017, 1, 1, 19, 1),
        issuer=issuer,
        rescue_id="R-1",
        dispatched_at="2017-01-01T19:01:00+08:00",
        responder=responder,
    )


def _arrived(issuer: str) -> Statement:
    return stmt(
        "rescue.arrived",
        on(2017, 1, 1, 19, 15),
        issuer=issuer,
        rescue_id="R-1",
        arrived_at="2017-01-01T19:15:00+08:00",
    )


def _released(issuer: str) -> Statement:
    return stmt(
        "rescue.released",
        on(2017, 1, 1, 19, 20),
        issuer=issuer,
        rescue_id="R-1",
        released_at="2017-01-01T19:20:00+08:00",
    )


def test_another_elevators_use_unit_raises_no_alarm() -> None:
    state = under_contract()
    assert refused(state, _alarm(OTHER_USE_UNIT), USE) == "rescue-alarm-not-a-party"
    allowed(state, _alarm(USE_UNIT), USE)
    allowed(state, _alarm(OTHER_USE_UNIT), PLATFORM)  # the 96333 platform takes any call


def test_a_rescue_is_dispatched_by_the_platform_or_the_use_unit() -> None:
    state = accept(under_contract(), _alarm(USE_UNIT))
    stranger = _dispatched(OTHER_USE_UNIT, MAINTAINER)
    assert refused(state, stranger, USE) == "rescue-dispatch-not-a-party"
    allowed(state, _dispatched(USE_UNIT, MAINTAINER), USE)
    allowed(state, _dispatched(OTHER_USE_UNIT, OTHER_MAINTAINER), PLATFORM)


def test_an_undispatched_other_maintainer_signs_no_arrival() -> None:
    state = accept(under_contract(), _alarm(USE_UNIT))
    assert refused(state, _arrived(OTHER_MAINTAINER), MAINTENANCE) == "rescue-arrival-not-a-party"
    allowed(state, _arrived(MAINTAINER), MAINTENANCE)  # the main force needs no dispatch
    allowed(state, _arrived(OTHER_MAINTAINER), PLATFORM)
    # escalation: the platform sends another maintainer, which then signs its own arrival
    sent = accept(state, _dispatched(OTHER_USE_UNIT, OTHER_MAINTAINER))
    allowed(sent, _arrived(OTHER_MAINTAINER), MAINTENANCE)


def test_a_release_is_signed_by_whoever_answers_the_rescue() -> None:
    state = accept(under_contract(), _alarm(USE_UNIT), _arrived(MAINTAINER))
    assert refused(state, _released(OTHER_MAINTAINER), MAINTENANCE) == (
        "rescue-release-not-a-party"
    )
    allowed(state, _released(MAINTAINER), MAINTENANCE)
    allowed(state, _released(OTHER_MAINTAINER), PLATFORM)


# --- rectification --------------------------------------------------------------------------


def _order(responsible: str | None) -> Statement:
    return stmt(
        "rectification.ordered",
        on(2017, 1, 2),
        order_id="Z-1",
        hazard_id=None,
        responsible=responsible,
    )


def _done(issuer: str) -> Statement:
    return stmt("rectification.completed", on(2017, 1, 20), issuer=issuer, order_id="Z-1")


def test_a_rectification_is_completed_by_the_party_the_order_names() -> None:
    named = accept(under_contract(), _order(OTHER_MAINTAINER))
    assert named.rectification_orders["Z-1"].responsible == OTHER_MAINTAINER
    assert refused(named, _done(MAINTAINER), MAINTENANCE) == "rectification-by-other-party"
    allowed(named, _done(OTHER_MAINTAINER), MAINTENANCE)
    unnamed = accept(under_contract(), _order(None))
    assert refused(unnamed, _done(OTHER_MAINTAINER), MAINTENANCE) == (
        "rectification-by-other-party"
    )
    allowed(unnamed, _done(MAINTAINER), MAINTENANCE)
    allowed(unnamed, _done(USE_UNIT), USE)


# --- insurance ------------------------------------------------------------------------------


def _policy(insured: str, issuer: str | None = None) -> Statement:
    return stmt(
        "insurance.policy_issued",
        on(2017, 1, 1),
        issuer=issuer,
        policy_number="P-1",
        insured=insured,
        valid_from="2017-01-01",
        valid_to="2017-12-31",
    )


def test_a_policy_insures_the_registered_use_unit() -> None:
    assert refused(registered(), _policy(OTHER_USE_UNIT)) == "insured-not-use-unit"
    unregistered = accept(manufactured())
    assert refused(unregistered, _policy(USE_UNIT)) == "insured-not-use-unit"
    allowed(registered(), _policy(USE_UNIT), frozenset({Role.INSURER}))


def test_a_claim_is_paid_by_the_policys_insurer() -> None:
    state = accept(registered(), _policy(USE_UNIT))
    claim = stmt("insurance.claim_paid", on(2017, 5, 1), issuer=OTHER_INSURER, policy_number="P-1")
    assert refused(state, claim, frozenset({Role.INSURER})) == "claim-by-other-insurer"
    accept(state, stmt("insurance.claim_paid", on(2017, 5, 1), policy_number="P-1"))


# --- terminal binding -----------------------------------------------------------------------


def _terminal(owner: str, when: date = date(2017, 1, 1)) -> Statement:
    return Statement.model_validate(
        {
            "type": "key.registered",
            "organization": owner,
            "issuer": owner,
            "occurred_at": on(when.year, when.month, when.day).isoformat(),
            "nonce": f"terminal-{owner}-{when}",
            "data": {
                "key_id": "t-1",
                "algorithm": "ed25519",
                "public_key": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
                "bound_elevator": CODE,
            },
        }
    )


def test_a_terminal_is_bound_to_an_elevator_the_ledger_knows() -> None:
    with pytest.raises(RuleViolation) as unknown:
        check_terminal_binding(None, _terminal(MAINTAINER))
    assert unknown.value.rule == "terminal-elevator-unknown"
    with pytest.raises(RuleViolation) as never_made:
        check_terminal_binding(ElevatorState.empty(CODE), _terminal(MAINTAINER))
    assert never_made.value.rule == "terminal-elevator-unknown"


def test_a_terminal_is_bound_by_the_elevators_use_unit_or_contracted_maintainer() -> None:
    state = under_contract()
    for stranger in (_terminal(OTHER_MAINTAINER), _terminal(MAINTAINER, date(2019, 6, 1))):
        with pytest.raises(RuleViolation) as info:
            check_terminal_binding(state, stranger)
        assert info.value.rule == "terminal-owner-not-a-party"
    check_terminal_binding(state, _terminal(MAINTAINER))
    check_terminal_binding(state, _terminal(USE_UNIT))
    renewed = accept(state, contract("WB-2", on(2019, 5, 1), date(2019, 6, 1), date(2021, 5, 31)))
    check_terminal_binding(renewed, _terminal(MAINTAINER, date(2019, 6, 1)))
