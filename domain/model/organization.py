"""An organization as the ledger knows it: registration, roles, licences and signing keys.

Everything here is a pure function over an immutable :class:`OrganizationState`, which is the
left fold of the organization's accepted statements (``org.*``, ``key.*``) through
:func:`evolve_organization`. The application layer uses the state to decide whether an issuer may
sign a statement (:meth:`OrganizationState.has_role`, :meth:`~OrganizationState.licence_valid`,
:meth:`~OrganizationState.active_key`); :func:`check_organization_statement` decides whether a
trust statement fits the organization's history. *Who* may sign a trust statement (the regulator,
or the organization itself for its keys) is checked elsewhere.

Each statement type's check sits right above its effect, and one line registers both in
:data:`STEPS`, as the elevator's lifecycle areas do (:mod:`domain.model.elevator`).

Dates follow the statements: a grant, licence or key takes effect at the statement's dates, and a
revocation on the revocation statement's ``occurred_at`` — so "could X sign on day D" has one
answer however late the question is asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Self

from domain.model.catalogue import (
    KeyRegistered,
    KeyRevoked,
    OrgLicenceGranted,
    OrgLicenceRevoked,
    OrgRegistered,
    OrgRoleGranted,
    OrgRoleRevoked,
    Statement,
)
from domain.model.identifiers import scope_covers
from domain.model.roles import LicenceKind, Role
from domain.model.rules import RuleViolation, StepRegistry, check_not_in_the_future, data_of

__all__ = [
    "Licence",
    "OrganizationState",
    "RegisteredKey",
    "RoleGrant",
    "check_organization_statement",
    "evolve_organization",
]


@dataclass(frozen=True, slots=True)
class RoleGrant:
    """One ``org.role_granted``: the role is held from ``valid_from`` to ``valid_to`` inclusive,
    unless revoked (from ``revoked_on`` on, that day included)."""

    valid_from: date
    valid_to: date | None = None
    revoked_on: date | None = None

    def in_force(self, on: date) -> bool:
        return (
            self.valid_from <= on
            and (self.valid_to is None or on <= self.valid_to)
            and (self.revoked_on is None or on < self.revoked_on)
        )

    def open_on(self, on: date) -> bool:
        """Not revoked and not expired by ``on``: what a revocation on ``on`` would end."""
        return self.revoked_on is None and (self.valid_to is None or on <= self.valid_to)


@dataclass(frozen=True, slots=True)
class Licence:
    """One ``org.licence_granted``; ``scope`` holds catalogue codes: varieties (e.g. ``"3110"``)
    and classes (e.g. ``"3200"``, covering ``3210`` and ``3220``)."""

    kind: LicenceKind
    scope: tuple[str, ...]
    valid_from: date
    valid_to: date
    revoked_on: date | None = None

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on <= self.valid_to and (
            self.revoked_on is None or on < self.revoked_on
        )


@dataclass(frozen=True, slots=True)
class RegisteredKey:
    """A signing key registered for the organization (``key.registered``).

    ``registered_at`` / ``revoked_at`` are the ``occurred_at`` of the key statements: a key signs
    validly from its registration until its revocation, and what it signed before revocation stays
    valid.
    """

    key_id: str
    algorithm: str
    public_key: str  # standard base64 of the raw public key
    bound_elevator: str | None  # IoT terminal keys sign only about this elevator
    registered_at: datetime
    revoked_at: datetime | None = None

    def active_at(self, at: datetime) -> bool:
        return self.registered_at <= at and (self.revoked_at is None or at < self.revoked_at)


@dataclass(frozen=True, slots=True)
class OrganizationState:
    """What the ledger knows about one organization (by USCC). Immutable; see the module doc."""

    uscc: str
    registered: bool = False
    name: str = ""
    district: str = ""
    roles: Mapping[Role, tuple[RoleGrant, ...]] = field(default_factory=dict)
    licences: Mapping[str, Licence] = field(default_factory=dict)  # by licence number
    keys: Mapping[str, RegisteredKey] = field(default_factory=dict)  # by key id, revoked ones kept

    @classmethod
    def empty(cls, uscc: str) -> Self:
        """The state before the first statement: not registered, nothing granted."""
        return cls(uscc=uscc)

    @property
    def key_ids(self) -> frozenset[str]:
        """Ids of the keys registered and not revoked."""
        return frozenset(k for k, info in self.keys.items() if info.revoked_at is None)

    def has_role(self, role: Role, on: date) -> bool:
        """Whether a grant of ``role`` is in force on ``on``."""
        return any(g.in_force(on) for g in self.roles.get(role, ()))

    def licence_valid(self, kind: LicenceKind, on: date, category: str | None = None) -> bool:
        """Whether a licence of ``kind`` is in force on ``on`` (covering ``category`` if given:
        its scope names the variety or the variety's class, :func:`scope_covers`)."""
        return any(
            lic.kind == kind
            and lic.in_force(on)
            and (category is None or scope_covers(lic.scope, category))
            for lic in self.licences.values()
        )

    def active_key(self, key_id: str, at: datetime) -> RegisteredKey | None:
        """The key if it is registered and not revoked at ``at``; otherwise None."""
        info = self.keys.get(key_id)
        return info if info is not None and info.active_at(at) else None


# --------------------------------------------------------------------------------------------
# The two entry points, and per statement type its rule beside its effect
# --------------------------------------------------------------------------------------------

#: The organization statement types, each registered below its check and its effect.
STEPS: StepRegistry[OrganizationState] = StepRegistry()
_CHECKS = STEPS.checks
_EVOLUTIONS = STEPS.evolutions


def check_organization_statement(
    state: OrganizationState, stmt: Statement, recorded_at: datetime | None = None
) -> None:
    """Raise :class:`RuleViolation` unless ``stmt`` fits the organization's history.

    With ``recorded_at`` (the ledger clock) a statement dated in the future is refused too. The
    rules every statement passes come first, then the one registered for ``stmt.type``.
    """
    if stmt.organization != state.uscc:
        raise RuleViolation(
            "statement-for-another-organization",
            f"{stmt.type} is about {stmt.organization or stmt.elevator}, not organization"
            f" {state.uscc}",
        )
    if recorded_at is not None:
        check_not_in_the_future(stmt.occurred_at, recorded_at)
    if stmt.type != "org.registered" and not state.registered:
        raise RuleViolation(
            "organization-unknown",
            f"organization {state.uscc} is not registered; org.registered must come before"
            f" {stmt.type}",
        )
    check = _CHECKS.get(stmt.type)
    if check is not None:
        check(state, stmt)


def evolve_organization(state: OrganizationState, stmt: Statement) -> OrganizationState:
    """The state after ``stmt`` (assumed accepted by :func:`check_organization_statement`)."""
    evolve = _EVOLUTIONS.get(stmt.type)
    return state if evolve is None else evolve(state, stmt)


def _check_registered(state: OrganizationState, stmt: Statement) -> None:
    if state.registered:
        raise RuleViolation(
            "organization-already-registered",
            f"organization {state.uscc} ({state.name}) is already registered",
        )


def _registered(state: OrganizationState, stmt: Statement) -> OrganizationState:
    data = data_of(stmt, OrgRegistered)
    return replace(state, registered=True, name=data.name, district=data.district)


STEPS.register("org.registered", check=_check_registered, evolve=_registered)


def _role_granted(state: OrganizationState, stmt: Statement) -> OrganizationState:
    data = data_of(stmt, OrgRoleGranted)
    grants = (*state.roles.get(data.role, ()), RoleGrant(data.valid_from, data.valid_to))
    return replace(state, roles={**state.roles, data.role: grants})


STEPS.register("org.role_granted", check=None, evolve=_role_granted)


def _check_role_revoked(state: OrganizationState, stmt: Statement) -> None:
    role = data_of(stmt, OrgRoleRevoked).role
    on = stmt.occurred_at.date()
    if not any(g.open_on(on) for g in state.roles.get(role, ())):
        raise RuleViolation(
            "role-not-granted",
            f"organization {state.uscc} holds no unrevoked, unexpired grant of role {role} on {on}",
        )


def _role_revoked(state: OrganizationState, stmt: Statement) -> OrganizationState:
    role = data_of(stmt, OrgRoleRevoked).role
    on = stmt.occurred_at.date()
    grants = tuple(
        replace(g, revoked_on=on) if g.open_on(on) else g for g in state.roles.get(role, ())
    )
    return replace(state, roles={**state.roles, role: grants})


STEPS.register("org.role_revoked", check=_check_role_revoked, evolve=_role_revoked)


def _check_licence_granted(state: OrganizationState, stmt: Statement) -> None:
    number = data_of(stmt, OrgLicenceGranted).number
    if number in state.licences:
        raise RuleViolation(
            "licence-number-taken",
            f"organization {state.uscc} already has licence number {number}",
        )


def _licence_granted(state: OrganizationState, stmt: Statement) -> OrganizationState:
    data = data_of(stmt, OrgLicenceGranted)
    licence = Licence(data.kind, tuple(str(c) for c in data.scope), data.valid_from, data.valid_to)
    return replace(state, licences={**state.licences, data.number: licence})


STEPS.register("org.licence_granted", check=_check_licence_granted, evolve=_licence_granted)


def _check_licence_revoked(state: OrganizationState, stmt: Statement) -> None:
    number = data_of(stmt, OrgLicenceRevoked).number
    licence = state.licences.get(number)
    if licence is None:
        raise RuleViolation(
            "licence-unknown", f"organization {state.uscc} has no licence number {number}"
        )
    if licence.revoked_on is not None:
        raise RuleViolation(
            "licence-already-revoked",
            f"licence {number} of organization {state.uscc} was already revoked on"
            f" {licence.revoked_on}",
        )


def _licence_revoked(state: OrganizationState, stmt: Statement) -> OrganizationState:
    number = data_of(stmt, OrgLicenceRevoked).number
    revoked = replace(state.licences[number], revoked_on=stmt.occurred_at.date())
    return replace(state, licences={**state.licences, number: revoked})


STEPS.register("org.licence_revoked", check=_check_licence_revoked, evolve=_licence_revoked)


def _check_key_registered(state: OrganizationState, stmt: Statement) -> None:
    key_id = data_of(stmt, KeyRegistered).key_id
    existing = state.keys.get(key_id)
    if existing is not None:
        status = "revoked" if existing.revoked_at is not None else "registered"
        raise RuleViolation(
            "key-id-taken",
            f"key {key_id} of organization {state.uscc} was already registered on"
            f" {existing.registered_at.isoformat()} (now {status}); key ids are never reused",
        )


def _key_registered(state: OrganizationState, stmt: Statement) -> OrganizationState:
    data = data_of(stmt, KeyRegistered)
    info = RegisteredKey(
        data.key_id, data.algorithm, data.public_key, data.bound_elevator, stmt.occurred_at
    )
    return replace(state, keys={**state.keys, data.key_id: info})


STEPS.register("key.registered", check=_check_key_registered, evolve=_key_registered)


def _check_key_revoked(state: OrganizationState, stmt: Statement) -> None:
    key_id = data_of(stmt, KeyRevoked).key_id
    existing = state.keys.get(key_id)
    if existing is None:
        raise RuleViolation(
            "key-not-registered", f"organization {state.uscc} has no registered key {key_id}"
        )
    if existing.revoked_at is not None:
        raise RuleViolation(
            "key-already-revoked",
            f"key {key_id} of organization {state.uscc} was already revoked on"
            f" {existing.revoked_at.isoformat()}",
        )


def _key_revoked(state: OrganizationState, stmt: Statement) -> OrganizationState:
    key_id = data_of(stmt, KeyRevoked).key_id
    revoked = replace(state.keys[key_id], revoked_at=stmt.occurred_at)
    return replace(state, keys={**state.keys, key_id: revoked})


STEPS.register("key.revoked", check=_check_key_revoked, evolve=_key_revoked)
