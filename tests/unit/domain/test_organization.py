"""An organization's registration, roles, licences and keys (docs/lifecycle.md, "Organizations").

Each rule test builds the organization up to the point that matters, submits the statement that
breaks the rule, and names the rule. The queries the application layer relies on (``has_role``,
``licence_valid``, ``active_key``) are specified by the dates they answer for.
"""

from __future__ import annotations

import copy
import itertools
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from domain.model.catalogue import EXAMPLE_ORGANIZATIONS, Statement, example_statement
from domain.model.organization import (
    OrganizationState,
    check_organization_statement,
    evolve_organization,
)
from domain.model.roles import LicenceKind, Role
from domain.model.rules import CLOCK_SKEW, RULES, RuleViolation

ORG = EXAMPLE_ORGANIZATIONS[Role.MAINTENANCE_UNIT]  # the subject of the catalogue examples
OTHER = EXAMPLE_ORGANIZATIONS[Role.USE_UNIT]
CST = timezone(timedelta(hours=8))
KEY = "k2024-01"

_nonces = itertools.count()


def on(y: int, m: int, d: int, hour: int = 10) -> datetime:
    return datetime(y, m, d, hour, tzinfo=CST)


def stmt(name: str, when: datetime, **data: Any) -> Statement:
    """The catalogue example for ``name`` at ``when``, with ``data`` fields overridden."""
    raw = example_statement(name)
    raw["occurred_at"] = when.isoformat()
    raw["nonce"] = f"nonce-{next(_nonces):010d}"
    raw["data"].update(data)
    return Statement.model_validate(raw)


def accept(state: OrganizationState, *stmts: Statement) -> OrganizationState:
    for s in stmts:
        check_organization_statement(state, s, recorded_at=s.occurred_at)
        state = evolve_organization(state, s)
    return state


def rule_broken(state: OrganizationState, s: Statement, recorded_at: datetime | None = None) -> str:
    before = copy.deepcopy(state)
    with pytest.raises(RuleViolation) as info:
        check_organization_statement(state, s, recorded_at)
    assert state == before
    assert info.value.rule in RULES
    return info.value.rule


def registered() -> OrganizationState:
    return accept(OrganizationState.empty(ORG), stmt("org.registered", on(2023, 1, 1)))


def maintainer() -> OrganizationState:
    """Registered, maintenance_unit role from 2024, licence TS3343001-2027, key k2024-01."""
    return accept(
        registered(),
        stmt("org.role_granted", on(2023, 12, 1), valid_from="2024-01-01"),
        stmt("org.licence_granted", on(2023, 5, 20)),
        stmt("key.registered", on(2024, 1, 2)),
    )


def test_a_licence_naming_a_class_covers_every_variety_of_it_and_no_other() -> None:
    state = accept(
        registered(),
        stmt("org.licence_granted", on(2023, 5, 20), number="TS-HYD", scope=["3200", "3110"]),
    )
    day, kind = date(2024, 6, 1), LicenceKind.INSTALLATION_REPAIR
    for covered in ("3210", "3220", "3200", "3110"):  # 3200: an elevator recorded so before
        assert state.licence_valid(kind, day, covered), covered
    for not_covered in ("3120", "3310", "3430"):
        assert not state.licence_valid(kind, day, not_covered), not_covered


# --- a whole organization -------------------------------------------------------------------


def test_an_organization_is_registered_granted_licensed_and_keyed() -> None:
    s = OrganizationState.empty(ORG)
    assert not s.registered and not s.has_role(Role.MAINTENANCE_UNIT, date(2024, 6, 1))
    s = maintainer()
    assert s.registered and s.name == "益阳市安顺电梯维保有限公司" and s.district == "430903"
    assert s.has_role(Role.MAINTENANCE_UNIT, date(2024, 6, 1))
    assert not s.has_role(Role.MAINTENANCE_UNIT, date(2023, 12, 31))  # not yet valid
    assert not s.has_role(Role.USE_UNIT, date(2024, 6, 1))
    assert s.licence_valid(LicenceKind.INSTALLATION_REPAIR, date(2024, 6, 1))
    assert s.licence_valid(LicenceKind.INSTALLATION_REPAIR, date(2024, 6, 1), "3110")
    assert not s.licence_valid(LicenceKind.INSTALLATION_REPAIR, date(2024, 6, 1), "3200")
    assert not s.licence_valid(LicenceKind.INSTALLATION_REPAIR, date(2027, 6, 1))  # expired
    assert not s.licence_valid(LicenceKind.INSPECTION, date(2024, 6, 1))
    assert s.key_ids == {KEY}
    key = s.active_key(KEY, on(2024, 6, 1))
    assert key is not None and key.algorithm == "ed25519" and key.bound_elevator is None
    assert s.active_key(KEY, on(2024, 1, 1)) is None  # before it was registered
    assert s.active_key("k-unknown", on(2024, 6, 1)) is None


def test_a_role_revocation_ends_the_role_from_that_day() -> None:
    s = accept(maintainer(), stmt("org.role_revoked", on(2025, 3, 1)))
    assert s.has_role(Role.MAINTENANCE_UNIT, date(2025, 2, 28))
    assert not s.has_role(Role.MAINTENANCE_UNIT, date(2025, 3, 1))
    s = accept(s, stmt("org.role_granted", on(2025, 6, 1), valid_from="2025-06-01"))
    assert s.has_role(Role.MAINTENANCE_UNIT, date(2025, 6, 1))  # granted anew


def test_a_licence_revocation_ends_the_licence_from_that_day() -> None:
    s = accept(maintainer(), stmt("org.licence_revoked", on(2025, 3, 1)))
    assert s.licence_valid(LicenceKind.INSTALLATION_REPAIR, date(2025, 2, 28))
    assert not s.licence_valid(LicenceKind.INSTALLATION_REPAIR, date(2025, 3, 1))


def test_a_revoked_key_signs_nothing_after_its_revocation() -> None:
    s = accept(maintainer(), stmt("key.revoked", on(2025, 3, 1)))
    assert s.active_key(KEY, on(2025, 2, 28)) is not None
    assert s.active_key(KEY, on(2025, 3, 1)) is None
    assert s.key_ids == frozenset() and KEY in s.keys


def test_a_terminal_key_remembers_its_elevator() -> None:
    terminal = stmt(
        "key.registered", on(2024, 2, 1), key_id="t-0098", bound_elevator="311023010201500098"
    )
    key = accept(maintainer(), terminal).active_key("t-0098", on(2024, 2, 2))
    assert key is not None and key.bound_elevator == "311023010201500098"


# --- rules ----------------------------------------------------------------------------------


def test_an_organization_is_registered_before_anything_else() -> None:
    grant = stmt("org.role_granted", on(2023, 1, 1))
    assert rule_broken(OrganizationState.empty(ORG), grant) == "organization-unknown"


def test_an_organization_is_registered_only_once() -> None:
    again = stmt("org.registered", on(2023, 2, 1))
    assert rule_broken(registered(), again) == "organization-already-registered"


def test_a_statement_about_another_organization_is_refused() -> None:
    other = OrganizationState.empty(OTHER)
    assert (
        rule_broken(other, stmt("org.registered", on(2023, 1, 1)))
        == "statement-for-another-organization"
    )


def test_an_organization_statement_may_not_claim_to_have_happened_in_the_future() -> None:
    now = on(2023, 1, 1)
    ahead = stmt("org.registered", now + CLOCK_SKEW + timedelta(seconds=1))
    empty = OrganizationState.empty(ORG)
    assert rule_broken(empty, ahead, recorded_at=now) == "occurred-in-the-future"


def test_only_a_granted_role_is_revoked() -> None:
    revoke = stmt("org.role_revoked", on(2024, 6, 1))
    assert rule_broken(registered(), revoke) == "role-not-granted"
    revoked = accept(maintainer(), revoke)
    assert rule_broken(revoked, stmt("org.role_revoked", on(2024, 7, 1))) == "role-not-granted"
    expired = accept(
        registered(),
        stmt("org.role_granted", on(2023, 2, 1), valid_from="2023-02-01", valid_to="2023-12-31"),
    )
    assert rule_broken(expired, revoke) == "role-not-granted"


def test_a_licence_number_is_granted_once() -> None:
    again = stmt("org.licence_granted", on(2024, 5, 20))
    assert rule_broken(maintainer(), again) == "licence-number-taken"


def test_only_a_known_licence_is_revoked() -> None:
    revoke = stmt("org.licence_revoked", on(2024, 6, 1), number="TS-NONE")
    assert rule_broken(maintainer(), revoke) == "licence-unknown"


def test_a_licence_is_revoked_once() -> None:
    s = accept(maintainer(), stmt("org.licence_revoked", on(2024, 6, 1)))
    again = stmt("org.licence_revoked", on(2024, 7, 1))
    assert rule_broken(s, again) == "licence-already-revoked"


def test_a_key_id_is_registered_once_and_never_reused() -> None:
    again = stmt("key.registered", on(2024, 6, 1))
    assert rule_broken(maintainer(), again) == "key-id-taken"
    revoked = accept(maintainer(), stmt("key.revoked", on(2024, 6, 1)))
    assert rule_broken(revoked, stmt("key.registered", on(2024, 7, 1))) == "key-id-taken"


def test_only_a_registered_key_is_revoked() -> None:
    revoke = stmt("key.revoked", on(2024, 6, 1), key_id="k-unknown")
    assert rule_broken(maintainer(), revoke) == "key-not-registered"


def test_a_key_is_revoked_once() -> None:
    s = accept(maintainer(), stmt("key.revoked", on(2024, 6, 1)))
    assert rule_broken(s, stmt("key.revoked", on(2024, 7, 1))) == "key-already-revoked"


def test_evolve_leaves_the_previous_state_alone() -> None:
    s = maintainer()
    before = copy.deepcopy(s)
    evolve_organization(s, stmt("key.revoked", on(2024, 6, 1)))
    evolve_organization(s, stmt("org.role_revoked", on(2024, 6, 1)))
    assert s == before
