"""Queries over the read models: what the public API, the QR page and regulators ask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, func, or_, select

from domain.model.identifiers import parse_identifier
from domain.model.subjects import SubjectRef
from ledger.instant import at_offset
from projections.schema import (
    elevators,
    entries,
    identifiers,
    organizations,
    responsibilities,
    tracking,
)
from projections.status import ElevatorStatus, contract_in_force, flags, from_json


@dataclass(frozen=True)
class ElevatorView:
    status: ElevatorStatus
    flags: dict[str, bool]
    maintenance_unit_today: str | None


def resolve(engine: Engine, identifier: str) -> str | None:
    """Any identifier (equipment, registration, certificate, rescue code) → equipment code."""
    parsed = parse_identifier(identifier)
    text = parsed[1] if parsed else identifier.strip()
    with engine.connect() as conn:
        code = conn.execute(
            select(identifiers.c.equipment_code).where(identifiers.c.identifier == text)
        ).scalar_one_or_none()
    return None if code is None else str(code)


def elevator(engine: Engine, code: str, today: date) -> ElevatorView | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(elevators.c.status).where(elevators.c.equipment_code == code)
        ).first()
    return None if row is None else view_of(dict(row.status), today)


def view_of(document: dict[str, Any], today: date) -> ElevatorView:
    """The folded status (``read_elevators.status``) as every page reads it on ``today``: its
    flags and the maintainer under a contract in force — one reading, so the console's list,
    the elevator's file and the QR page cannot disagree about a lift."""
    status = from_json(document)
    contract = contract_in_force(status, today)
    return ElevatorView(status, flags(status, today), contract[1] if contract else None)


def elevator_entries(
    engine: Engine, code: str, offset: int = 0, limit: int = 50, newest_first: bool = True
) -> tuple[int, list[dict[str, Any]]]:
    subject = str(SubjectRef.elevator(code))
    order = entries.c.version.desc() if newest_first else entries.c.version.asc()
    with engine.connect() as conn:
        total = conn.execute(
            select(func.count()).select_from(entries).where(entries.c.subject == subject)
        ).scalar_one()
        rows = conn.execute(
            select(entries)
            .where(entries.c.subject == subject)
            .order_by(order)
            .offset(offset)
            .limit(limit)
        ).all()
    return int(total), [_entry(r) for r in rows]


def _entry(r: Any) -> dict[str, Any]:
    return {
        "log_index": r.log_index,
        "entry_hash": r.entry_hash,
        "subject": r.subject,
        "version": r.version,
        "type": r.type,
        "issuer": r.issuer,
        "signers": r.signers,
        "occurred_at": at_offset(r.occurred_at, r.occurred_offset).isoformat(),
        "recorded_at": r.recorded_at.isoformat(),
        "late": r.late,
        "statement": r.public,
    }


def responsible_at(engine: Engine, code: str, at: datetime) -> list[dict[str, Any]]:
    """Who held which role for the elevator at instant ``at``, with the proving log entries.
    The intervals are compared as instants in SQL (``[valid_from, valid_to)``), whatever
    offsets they and ``at`` were written with."""
    try:
        at = at.astimezone(UTC)
    except OverflowError:  # hours before year 1 or after 9999 in UTC, beyond any stored instant
        if at.replace(tzinfo=None) < datetime(2, 1, 1):
            return []  # before everything
        at = datetime.max.replace(tzinfo=UTC)  # after everything: the intervals still open
    r = responsibilities.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(responsibilities)
            .where(
                r.equipment_code == code,
                r.valid_from <= at,
                r.valid_to.is_(None) | (r.valid_to > at),
            )
            .order_by(r.role, r.valid_from, r.id)
        ).all()
    return [_interval(row) for row in rows]


def timeline(engine: Engine, code: str) -> list[dict[str, Any]]:
    r = responsibilities.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(responsibilities).where(r.equipment_code == code).order_by(r.valid_from, r.id)
        ).all()
    return [_interval(row) for row in rows]


def _interval(row: Any) -> dict[str, Any]:
    """One responsibility, its bounds shown at the offsets they were signed with."""
    return {
        "role": row.role,
        "organization": row.organization,
        "from": at_offset(row.valid_from, row.valid_from_offset).isoformat(),
        "to": (
            at_offset(row.valid_to, row.valid_to_offset).isoformat()
            if row.valid_to is not None
            else None
        ),
        "since_log_index": row.since_log_index,
        "until_log_index": row.until_log_index,
    }


def organization(engine: Engine, uscc: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(organizations).where(organizations.c.uscc == uscc)).first()
    if row is None:
        return None
    return {
        "uscc": row.uscc,
        "name": row.name,
        "district": row.district,
        "roles": row.roles,
        "licences": row.licences,
    }


def organization_names(engine: Engine, usccs: set[str]) -> dict[str, str]:
    if not usccs:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(organizations.c.uscc, organizations.c.name).where(
                organizations.c.uscc.in_(sorted(usccs))
            )
        ).all()
    return {r.uscc: r.name for r in rows if r.name}


def search(engine: Engine, q: str, limit: int = 20) -> dict[str, list[dict[str, Any]]]:
    text = q.strip()
    with engine.connect() as conn:
        lifts = conn.execute(
            select(identifiers)
            .where(identifiers.c.identifier.startswith(text))
            .order_by(identifiers.c.identifier)
            .limit(limit)
        ).all()
        orgs = conn.execute(
            select(organizations.c.uscc, organizations.c.name)
            .where(or_(organizations.c.uscc == text, organizations.c.name.contains(text)))
            .order_by(organizations.c.uscc)
            .limit(limit)
        ).all()
    return {
        "elevators": [
            {"identifier": r.identifier, "kind": r.kind, "equipment_code": r.equipment_code}
            for r in lifts
        ],
        "organizations": [{"uscc": r.uscc, "name": r.name} for r in orgs],
    }


def logged_head(engine: Engine, subject: str) -> int | None:
    """The highest version of ``subject``'s chain in the entries read model (folded from the
    log: it may lag the log, never lead it); None if it holds none."""
    with engine.connect() as conn:
        return conn.execute(
            select(func.max(entries.c.version)).where(entries.c.subject == subject)
        ).scalar_one_or_none()


def position(engine: Engine, name: str) -> int:
    """How many log entries the read model ``name`` has folded (its next log index)."""
    with engine.connect() as conn:
        value = conn.execute(
            select(tracking.c.position).where(tracking.c.name == name)
        ).scalar_one_or_none()
    return int(value or 0)


def elevator_district(engine: Engine, identifier: str) -> tuple[bool, str | None]:
    """(whether the read models know the elevator ``identifier`` names, its district: None
    until a registration names one) — what district scoping asks of a single elevator."""
    code = resolve(engine, identifier) or identifier.strip()
    with engine.connect() as conn:
        row = conn.execute(
            select(elevators.c.district).where(elevators.c.equipment_code == code)
        ).first()
    return (False, None) if row is None else (True, row.district)


def organization_districts(engine: Engine, usccs: set[str]) -> dict[str, str | None]:
    """The district each of ``usccs`` is registered in (absent: not known to the read models)."""
    if not usccs:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(organizations.c.uscc, organizations.c.district).where(
                organizations.c.uscc.in_(sorted(usccs))
            )
        ).all()
    return {r.uscc: r.district for r in rows}
