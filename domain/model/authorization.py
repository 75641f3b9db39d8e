"""Who may say what: keys, roles, licences, co-signatures and terminals.

Pure functions over the signers' :class:`KeyInfo` and organization states;
the application service loads those and calls :func:`authorize`. Each refusal
names its rule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from domain.model.catalogue import (
    INSPECTION_SIGNER_ROLES,
    InspectionConcluded,
    MaintenanceContractSigned,
    Statement,
    StatementType,
    Subject,
)
from domain.model.errors import NotAuthorized
from domain.model.organization import OrganizationState
from domain.model.roles import LICENCE_FOR_ROLE, Role
from domain.model.rules import statement_data
from domain.model.trust import KeyInfo

OrgLookup = Callable[[str], OrganizationState | None]


def authorize(
    stmt: Statement,
    signers: Sequence[KeyInfo],
    orgs: OrgLookup,
    authority: str,
    category: str | None = None,
) -> KeyInfo:
    """Raise :class:`NotAuthorized` unless the signers may make this statement.

    Returns the issuer's key that signed. ``authority`` is the root authority's
    USCC, which holds the regulator role by configuration; ``category`` is the
    elevator's catalogue code, for licence scope.

    Revocation counts by log order: ``signers`` are the keys as the ledger holds them when it
    judges this statement — everything before it in the log — and a key whose revocation is
    among those signs nothing more, whatever ``recorded_at`` the entry would carry. A live
    entry is recorded after every revocation before it anyway; an import, or a server dating
    an entry back, cannot slip a revoked key's signature past a revocation already logged, and
    ``verify``, which replays the log in order, refuses such an entry.
    """
    st = stmt.statement_type
    key = issuer_key(stmt, st, signers)
    on = stmt.occurred_at.date()
    self_managed = st.subject is Subject.ORGANIZATION and st.organization_may_sign
    if self_managed and stmt.organization == stmt.issuer:
        return key  # an organization manages its own keys with a current key
    if stmt.issuer == authority:
        if Role.REGULATOR in st.signer_roles:
            return key
        raise NotAuthorized("role-required", f"the authority may not sign {st.name}")
    issuer = orgs(stmt.issuer)
    if issuer is None or not issuer.registered:
        raise NotAuthorized(
            "issuer-unknown", f"issuer {stmt.issuer} is not a registered organization"
        )
    allowed = _signer_roles(stmt, st)
    held = [role for role in allowed if issuer.has_role(role, on)]
    if not held:
        names = ", ".join(sorted(allowed))
        raise NotAuthorized(
            "role-required",
            f"{st.name} needs one of the roles [{names}] held on {on}; {stmt.issuer} holds none",
        )
    _check_licence(stmt, st, issuer, held, category)
    if st.cosigner_roles:
        _check_cosigner(stmt, st, signers, orgs)
    return key


def acting_roles(stmt: Statement, orgs: OrgLookup, authority: str) -> frozenset[Role]:
    """The roles the statement's type lets sign it (narrowed by inspection kind) that its issuer
    holds on ``occurred_at``: what the elevator's relation checks read to tell the 96333
    platform or a testing body from an organization that is merely a party
    (:data:`domain.model.elevator.registry.PARTIES`). The authority holds the regulator role."""
    st = stmt.statement_type
    allowed = _signer_roles(stmt, st)
    if stmt.issuer == authority:
        return allowed & {Role.REGULATOR}
    issuer = orgs(stmt.issuer)
    if issuer is None:
        return frozenset()
    on = stmt.occurred_at.date()
    return frozenset(role for role in allowed if issuer.has_role(role, on))


def issuer_key(stmt: Statement, st: StatementType, signers: Sequence[KeyInfo]) -> KeyInfo:
    """The issuer's own signing key among the verified signers, active and allowed."""
    own = [k for k in signers if k.owner == stmt.issuer]
    if not own:
        raise NotAuthorized(
            "signer-is-not-issuer", f"no signature by a key of the issuer {stmt.issuer}"
        )
    active = [k for k in own if k.revoked_at is None]
    if not active:
        raise NotAuthorized("key-revoked", f"key {own[0].key_id[:16]}… was revoked")
    for key in active:
        if not key.is_terminal:
            return key
    terminal = active[0]
    if not st.terminal_may_sign:
        raise NotAuthorized("terminal-may-not-sign", f"an IoT terminal may not sign {st.name}")
    if stmt.elevator != terminal.bound_elevator:
        raise NotAuthorized(
            "terminal-not-bound",
            f"terminal key is bound to elevator {terminal.bound_elevator}, not {stmt.elevator}",
        )
    return terminal


def _signer_roles(stmt: Statement, st: StatementType) -> frozenset[Role]:
    data = statement_data(stmt)
    if isinstance(data, InspectionConcluded):
        return INSPECTION_SIGNER_ROLES[data.kind]
    return st.signer_roles


def _check_licence(
    stmt: Statement,
    st: StatementType,
    issuer: OrganizationState,
    held: list[Role],
    category: str | None,
) -> None:
    if st.licence is not None:
        needed = [st.licence]
    elif isinstance(statement_data(stmt), InspectionConcluded):  # licence follows the role
        needed = [LICENCE_FOR_ROLE[r] for r in held if r in LICENCE_FOR_ROLE]
    else:
        return
    on = stmt.occurred_at.date()
    if needed and not any(issuer.licence_valid(k, on, category) for k in needed):
        raise NotAuthorized(
            "licence-required",
            f"{st.name} needs a valid {' or '.join(needed)} licence on {on}"
            + (f" covering category {category}" if category else ""),
        )


def _check_cosigner(
    stmt: Statement,
    st: StatementType,
    signers: Sequence[KeyInfo],
    orgs: OrgLookup,
) -> None:
    data = statement_data(stmt)
    wanted = data.use_unit if isinstance(data, MaintenanceContractSigned) else None
    on = stmt.occurred_at.date()
    for key in signers:
        if key.owner == stmt.issuer or key.is_terminal or key.revoked_at is not None:
            continue
        if wanted is not None and key.owner != wanted:
            continue
        org = orgs(key.owner)
        if org is not None and any(org.has_role(r, on) for r in st.cosigner_roles):
            return
    who = wanted or " or ".join(sorted(st.cosigner_roles))
    raise NotAuthorized("cosignature-required", f"{st.name} must also be signed by {who}")
