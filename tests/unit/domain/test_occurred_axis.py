"""Back-dated statements are judged on the occurred axis (docs/lifecycle.md, "Existence and
time"): against the subject as it stood at their ``occurred_at``, and against every statement of
the chain that occurred after them. The chain's state is the occurred-order fold."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pytest

from domain.model.catalogue import Statement
from domain.model.elevator import ElevatorState, Lifecycle, registered_use_unit
from domain.model.organization import OrganizationState
from domain.model.roles import Role
from domain.model.rules import RULES, RuleViolation
from domain.model.timeline import (
    ELEVATOR_RULES,
    ORGANIZATION_RULES,
    Dated,
    SubjectRules,
    fold_occurred,
    judge_on_its_date,
    occurred_order,
)
from tests.unit.domain import test_elevator_lifecycle as life
from tests.unit.domain import test_organization as orgs
from tests.unit.domain.test_elevator_lifecycle import CODE, OTHER_USE_UNIT, on, stmt, visit


def dated(*stmts: Statement) -> list[Dated]:
    """A chain in log order: versions 1.., each recorded when it occurred."""
    return [Dated(s, v, s.occurred_at) for v, s in enumerate(stmts, 1)]


def judged(
    history: Sequence[Dated], new: Statement, rules: SubjectRules[object] | None = None
) -> object:
    """The state with ``new``, recorded now (so it is late), or the RuleViolation raised."""
    subject_rules: SubjectRules[object] = rules or ELEVATOR_RULES  # type: ignore[assignment]
    subject = CODE if rules is None else orgs.ORG
    at = Dated(new, len(history) + 1, on(2026, 1, 1))
    return judge_on_its_date(subject_rules, subject, history, at)


def refused(history: Sequence[Dated], new: Statement, rules: object = None) -> RuleViolation:
    with pytest.raises(RuleViolation) as info:
        judged(history, new, rules)  # type: ignore[arg-type]
    assert info.value.rule in RULES
    return info.value


def commissioned() -> list[Statement]:
    """Manufactured 2015-03-12, installed, inspected, registered 2016-05-20, contract WB-1
    (2016-06-01 to 2019-05-31)."""
    return [
        stmt("elevator.manufactured", on(2015, 3, 12)),
        stmt("construction.notified", on(2015, 9, 1), kind="installation"),
        stmt("construction.completed", on(2016, 4, 20), kind="installation"),
        life.supervisory(on(2016, 5, 10)),
        stmt("registration.issued", on(2016, 5, 20)),
        life.contract("WB-1", on(2016, 6, 1), date(2016, 6, 1), date(2019, 5, 31)),
    ]


def test_a_back_dated_visit_is_judged_against_the_elevator_on_its_date() -> None:
    # On 2015-06-01 the elevator had only been manufactured: no maintenance yet.
    early = visit("V-early", on(2015, 6, 1))
    assert refused(dated(*commissioned()), early).rule == "maintenance-before-installation"


def test_a_back_dated_statement_before_manufacture_breaks_before_manufacture() -> None:
    early = visit("V-early", on(2014, 1, 1))
    assert refused(dated(*commissioned()), early).rule == "before-manufacture"


def test_a_back_dated_visit_that_fits_its_date_is_accepted() -> None:
    chain = dated(*commissioned(), stmt("use.stopped", on(2017, 1, 10)))
    state = judged(chain, visit("V-late", on(2016, 7, 1)))
    assert isinstance(state, ElevatorState)
    assert state.visits == {"V-late": False} and state.lifecycle is Lifecycle.STOPPED


def test_a_back_dated_statement_that_breaks_a_later_one_is_refused() -> None:
    # Stopped on 2017-01-10; a stop back-dated to 2016-12-01 fits its date (in service then),
    # but the 2017-01-10 stop would then stop a stopped elevator.
    chain = dated(*commissioned(), stmt("use.stopped", on(2017, 1, 10)))
    violation = refused(chain, stmt("use.stopped", on(2016, 12, 1)))
    assert violation.rule == "backdated-breaks-later"
    assert "use.stopped (version 7, occurred 2017-01-10" in violation.message
    assert "stop-only-in-service" in violation.message


def test_a_history_broken_before_does_not_block_an_innocent_statement() -> None:
    # Version 7 (a stop of a stopped elevator) breaks a rule in occurred order on its own:
    # a back-dated visit that changes nothing it depends on is still accepted.
    chain = dated(
        *commissioned(),
        stmt("use.stopped", on(2017, 1, 10)),
        stmt("use.stopped", on(2016, 12, 1)),  # stored before the occurred axis was judged
    )
    state = judged(chain, visit("V-1", on(2016, 8, 1)))
    assert isinstance(state, ElevatorState) and "V-1" in state.visits


def test_the_state_is_the_occurred_order_fold_not_the_log_order_one() -> None:
    change_later = life.stmt(
        "registration.changed", on(2018, 1, 1), reason="use_unit_change", use_unit=OTHER_USE_UNIT
    )
    chain = dated(*commissioned(), change_later)
    back_dated = stmt("registration.changed", on(2017, 1, 1), reason="use_unit_change")
    state = judged(chain, back_dated)
    assert isinstance(state, ElevatorState)
    # in log order the 2017 change would come last; on the occurred axis the 2018 one does
    assert registered_use_unit(state) == OTHER_USE_UNIT
    assert state == fold_occurred(
        ELEVATOR_RULES, CODE, [*chain, Dated(back_dated, 8, on(2026, 1, 1))]
    )


def test_statements_of_the_same_instant_keep_log_order() -> None:
    a = stmt("use.stopped", on(2017, 1, 10))
    b = stmt("use.resumed", on(2017, 1, 10))
    chain = dated(*commissioned(), a, b)
    assert [d.version for d in occurred_order(reversed(chain))][-2:] == [7, 8]
    assert fold_occurred(ELEVATOR_RULES, CODE, chain).lifecycle is Lifecycle.IN_SERVICE


def test_a_back_dated_resume_leaves_the_elevator_in_service() -> None:
    chain = dated(
        *commissioned(), stmt("use.stopped", on(2017, 1, 10)), visit("V-2", on(2017, 3, 1))
    )
    state = judged(chain, stmt("use.resumed", on(2017, 2, 1)))
    assert isinstance(state, ElevatorState) and state.lifecycle is Lifecycle.IN_SERVICE


# --- organizations: the grant a revocation ended ---------------------------------------------


def test_a_back_dated_grant_is_ended_by_a_later_revocation() -> None:
    """A role grant back-dated before a revocation is revoked by it on the occurred axis; in log
    order it would have escaped the revocation."""
    chain = dated(
        orgs.stmt("org.registered", orgs.on(2023, 1, 1)),
        orgs.stmt("org.role_granted", orgs.on(2023, 2, 1), valid_from="2023-02-01"),
        orgs.stmt("org.role_revoked", orgs.on(2023, 6, 1), role=str(Role.MAINTENANCE_UNIT)),
    )
    grant = orgs.stmt("org.role_granted", orgs.on(2023, 3, 1), valid_from="2023-03-01")
    state = judged(chain, grant, ORGANIZATION_RULES)  # type: ignore[arg-type]
    assert isinstance(state, OrganizationState)
    assert not state.has_role(Role.MAINTENANCE_UNIT, date(2023, 7, 1))
    assert state.has_role(Role.MAINTENANCE_UNIT, date(2023, 4, 1))


def test_a_back_dated_key_revocation_before_its_registration_is_refused() -> None:
    chain = dated(
        orgs.stmt("org.registered", orgs.on(2023, 1, 1)),
        orgs.stmt("key.registered", orgs.on(2024, 1, 2)),
    )
    revoke = orgs.stmt("key.revoked", orgs.on(2023, 6, 1))
    assert refused(chain, revoke, ORGANIZATION_RULES).rule == "key-not-registered"
