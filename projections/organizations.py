"""What the console shows of organizations, read from the read models (folded from the log).

The directory is ``read_organizations``; an organization's roles, licences and keys are folded
here from its own chain's entries in ``read_entries`` (their public views), in the order the
statements occurred — as ``OrganizationsProjection`` and the write path's organization state
fold them — so that each role, licence and key comes with the entries that granted, revoked or
registered it. What it is responsible for now is ``read_responsibilities``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, or_, select

from domain.model.jurisdiction import within
from domain.model.subjects import SubjectRef
from ledger.instant import at_offset
from projections.schema import elevators, entries, organizations, responsibilities


@dataclass
class RoleHeld:
    role: str
    since: str  # a date, as granted
    until: str | None  # as granted, or the revocation's date
    granted_by: int  # log index
    revoked_by: int | None = None

    def in_force(self, on: date) -> bool:
        return self.since <= on.isoformat() and (self.until is None or on.isoformat() < self.until)


@dataclass
class Licence:
    number: str
    kind: str
    scope: list[str]
    valid_from: str
    valid_to: str
    granted_by: int
    revoked_on: str | None = None
    revoked_by: int | None = None

    def in_force(self, on: date) -> bool:
        day = on.isoformat()
        return self.revoked_on is None and self.valid_from <= day <= self.valid_to


@dataclass
class Key:
    key_id: str
    algorithm: str
    registered_at: str  # the key statement's occurred_at, as signed
    registered_by: int
    bound_elevator: str | None
    revoked_at: str | None = None
    revoked_by: int | None = None
    revoke_reason: str | None = None


@dataclass
class Profile:
    """An organization's roles, licences and keys, each with the entries behind it."""

    roles: dict[str, RoleHeld] = field(default_factory=dict)
    licences: dict[str, Licence] = field(default_factory=dict)
    keys: dict[str, Key] = field(default_factory=dict)


def entry_view(r: Any) -> dict[str, Any]:
    """A ``read_entries`` row as the console shows it (occurred at its signed offset)."""
    return {
        "log_index": r.log_index,
        "entry_hash": r.entry_hash,
        "subject": r.subject,
        "version": r.version,
        "type": r.type,
        "issuer": r.issuer,
        "signers": list(r.signers),
        "occurred_at": at_offset(r.occurred_at, r.occurred_offset).isoformat(),
        "recorded_at": r.recorded_at.isoformat(),
        "late": r.late,
        "statement": r.public,
    }


def directory(engine: Engine, q: str = "", role: str | None = None) -> list[dict[str, Any]]:
    """Every organization (by USCC), narrowed to a name or USCC containing ``q`` and to those
    ever granted ``role`` (the page says which are in force)."""
    query = select(organizations).order_by(organizations.c.name, organizations.c.uscc)
    text = q.strip()
    if text:
        query = query.where(
            or_(organizations.c.uscc.contains(text), organizations.c.name.contains(text))
        )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    found = [
        {
            "uscc": r.uscc,
            "name": r.name,
            "district": r.district,
            "roles": dict(r.roles),
            "licences": dict(r.licences),
        }
        for r in rows
    ]
    return [o for o in found if role is None or role in o["roles"]]


def chain(engine: Engine, uscc: str) -> list[dict[str, Any]]:
    """The organization's chain: its entries in version order."""
    subject = str(SubjectRef.organization(uscc))
    query = select(entries).where(entries.c.subject == subject).order_by(entries.c.version)
    with engine.connect() as conn:
        return [entry_view(r) for r in conn.execute(query)]


def profile(chain_entries: Sequence[dict[str, Any]]) -> Profile:
    """Roles, licences and keys folded from the chain's public views in occurred order."""
    out = Profile()
    ordered = sorted(chain_entries, key=lambda e: (_instant(e["occurred_at"]), e["version"]))
    for e in ordered:
        data, index, kind = e["statement"]["data"], e["log_index"], e["type"]
        on = e["occurred_at"][:10]
        if kind == "org.role_granted":
            out.roles[data["role"]] = RoleHeld(
                data["role"], data["valid_from"], data.get("valid_to"), index
            )
        elif kind == "org.role_revoked" and data["role"] in out.roles:
            held = out.roles[data["role"]]
            held.until, held.revoked_by = on, index
        elif kind == "org.licence_granted":
            out.licences[data["number"]] = Licence(
                data["number"],
                data["kind"],
                list(data["scope"]),
                data["valid_from"],
                data["valid_to"],
                index,
            )
        elif kind == "org.licence_revoked" and data["number"] in out.licences:
            licence = out.licences[data["number"]]
            licence.revoked_on, licence.revoked_by = on, index
        elif kind == "key.registered":
            out.keys[data["key_id"]] = Key(
                data["key_id"],
                data["algorithm"],
                e["occurred_at"],
                index,
                data.get("bound_elevator"),
            )
        elif kind == "key.revoked" and data["key_id"] in out.keys:
            key = out.keys[data["key_id"]]
            key.revoked_at, key.revoked_by = e["occurred_at"], index
            key.revoke_reason = data.get("reason")
    return out


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def responsible_now(
    engine: Engine, uscc: str, at: datetime, scopes: Iterable[str]
) -> list[dict[str, Any]]:
    """The elevators ``uscc`` holds a role for at ``at``, within the districts ``scopes``
    cover, with the entry that opened each responsibility."""
    r = responsibilities.c
    query = (
        select(
            r.equipment_code,
            r.role,
            r.valid_from,
            r.valid_from_offset,
            r.since_log_index,
            elevators.c.district,
            elevators.c.lifecycle,
        )
        .join(elevators, elevators.c.equipment_code == r.equipment_code, isouter=True)
        .where(
            r.organization == uscc,
            r.valid_from <= at,
            r.valid_to.is_(None) | (r.valid_to > at),
        )
        .order_by(r.equipment_code, r.role)
    )
    scopes = tuple(scopes)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        {
            "equipment_code": row.equipment_code,
            "role": row.role,
            "since": at_offset(row.valid_from, row.valid_from_offset).isoformat(),
            "since_log_index": row.since_log_index,
            "district": row.district,
            "lifecycle": row.lifecycle,
        }
        for row in rows
        if within(scopes, row.district)
    ]


def entries_at(engine: Engine, indexes: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The entries at ``indexes`` (those the read model holds), by log index."""
    wanted = sorted(set(indexes))
    if not wanted:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(select(entries).where(entries.c.log_index.in_(wanted))).all()
    return {int(r.log_index): entry_view(r) for r in rows}


def district_of(engine: Engine, code: str) -> str | None:
    """The elevator's district as its status says (None: unknown, or no such elevator)."""
    with engine.connect() as conn:
        value = conn.execute(
            select(elevators.c.district).where(elevators.c.equipment_code == code)
        ).scalar_one_or_none()
    return None if value is None else str(value)
