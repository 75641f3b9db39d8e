"""Queries for the elevator's file (一机一档) in the regulator's console: the elevators of a
regulator's districts, paged; every identifier an elevator has had, when and by which entry; and
where each version of its chain sits in the log.

Read models only (pure SQL over the tables of :mod:`projections.schema`); the district scoping is
the SQL form of :func:`domain.model.jurisdiction.covers` (a code ending ``00`` covers its
subdivisions, one ending ``0000`` its province), so a list never shows what a page would refuse.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, func, select

from domain.model.identifiers import IdentifierKind
from domain.model.subjects import SubjectRef
from ledger.instant import at_offset
from projections.read import view_of
from projections.schema import elevators, entries, identifiers
from projections.scope import scope_clause

#: The entries that give an elevator an identifier, and which fields of their data hold it.
IDENTITY_FIELDS: dict[str, tuple[tuple[str, IdentifierKind], ...]] = {
    "elevator.manufactured": (("factory_serial", IdentifierKind.FACTORY_SERIAL),),
    "registration.issued": (
        ("registration_code", IdentifierKind.REGISTRATION_CODE),
        ("certificate_number", IdentifierKind.USE_CERTIFICATE_NUMBER),
    ),
    "registration.changed": (
        ("registration_code", IdentifierKind.REGISTRATION_CODE),
        ("certificate_number", IdentifierKind.USE_CERTIFICATE_NUMBER),
    ),
    "rescue_code.assigned": (("rescue_code", IdentifierKind.RESCUE_CODE),),
}
#: A cancelled registration ends the registration code and the certificate number it carried.
ENDS = {
    "registration.cancelled": (
        IdentifierKind.REGISTRATION_CODE,
        IdentifierKind.USE_CERTIFICATE_NUMBER,
    )
}


def elevators_in(
    engine: Engine, scopes: Sequence[str], today: date, offset: int = 0, limit: int = 50
) -> tuple[int, list[dict[str, Any]]]:
    """The elevators in the districts ``scopes`` cover, by equipment code: how many, and the
    page from ``offset``, each with its district, registration code and ``view`` — its folded
    status read as the file and the QR page read it on ``today`` (:func:`projections.read.view_of`:
    flags, maintainer under a contract in force), never the raw columns, which keep a lapsed
    contract's maintainer and say nothing of a failed inspection."""
    where = scope_clause(elevators.c.district, scopes)
    e = elevators.c
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(elevators).where(where)).scalar_one()
        rows = conn.execute(
            select(e.equipment_code, e.district, e.status)
            .where(where)
            .order_by(e.equipment_code)
            .offset(offset)
            .limit(limit)
        ).all()
    return int(total), [
        {
            "equipment_code": r.equipment_code,
            "district": r.district,
            "registration_code": (r.status or {}).get("registration_code"),
            "view": view_of(dict(r.status), today),
        }
        for r in rows
    ]


def districts_of(engine: Engine, codes: Iterable[str]) -> dict[str, str | None]:
    """The district of each known elevator among ``codes`` (None: not registered anywhere)."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(elevators.c.equipment_code, elevators.c.district).where(
                elevators.c.equipment_code.in_(wanted)
            )
        ).all()
    return {r.equipment_code: r.district for r in rows}


def entry_positions(engine: Engine, code: str) -> dict[int, tuple[int, str]]:
    """Each version of the elevator's chain: its log index and entry hash (the entries read
    model, folded from the log), so a claim naming a version links to its entry."""
    subject = str(SubjectRef.elevator(code))
    with engine.connect() as conn:
        rows = conn.execute(
            select(entries.c.version, entries.c.log_index, entries.c.entry_hash).where(
                entries.c.subject == subject
            )
        ).all()
    return {r.version: (r.log_index, r.entry_hash) for r in rows}


@dataclass(frozen=True)
class Identity:
    """One identifier the elevator has had: from which entry, until which (None: still its)."""

    kind: IdentifierKind
    identifier: str
    since: datetime  # occurred_at of the entry that gave it, at the offset it was signed with
    since_log_index: int
    since_type: str
    until: datetime | None = None
    until_log_index: int | None = None
    until_type: str | None = None
    #: the elevator this identifier finds today, if not this one (an identifier given again)
    now_names: str | None = None

    @property
    def current(self) -> bool:
        return self.until is None and self.now_names is None


def identity_history(engine: Engine, code: str) -> list[Identity]:
    """Every identifier the elevator has had, oldest first: its equipment code (from
    ``elevator.manufactured``), each registration code and certificate number (issued, changed,
    ended by a later change or a cancellation), each rescue code, its factory serial; and for
    each whether it still finds this elevator (an identifier given to another lift since says
    which)."""
    subject = str(SubjectRef.elevator(code))
    kinds = sorted({*IDENTITY_FIELDS, *ENDS})
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                entries.c.log_index,
                entries.c.type,
                entries.c.occurred_at,
                entries.c.occurred_offset,
                entries.c.public,
            )
            .where(entries.c.subject == subject, entries.c.type.in_(kinds))
            .order_by(entries.c.version)
        ).all()
        given = {
            r.identifier: r.equipment_code
            for r in conn.execute(
                select(identifiers.c.identifier, identifiers.c.equipment_code).where(
                    identifiers.c.identifier.in_(_identifiers_in(rows))
                )
            ).all()
        }
    found: list[Identity] = []
    for r in rows:
        at = at_offset(r.occurred_at, r.occurred_offset)
        data = (r.public or {}).get("data", {})
        gives = {
            kind: data[field]
            for field, kind in IDENTITY_FIELDS.get(r.type, ())
            if isinstance(data.get(field), str) and data[field]
        }
        if r.type == "elevator.manufactured":
            gives = {IdentifierKind.EQUIPMENT_CODE: code, **gives}
        ends = set(gives) | set(ENDS.get(r.type, ()))
        kept = set()
        for n, i in enumerate(found):
            if i.until is not None or i.kind not in ends:
                continue
            if gives.get(i.kind) == i.identifier:  # given again (a change that kept it)
                kept.add(i.kind)
            else:
                found[n] = replace(i, until=at, until_log_index=r.log_index, until_type=r.type)
        found += [
            Identity(kind, value, at, r.log_index, r.type)
            for kind, value in gives.items()
            if kind not in kept
        ]
    return [_named(i, code, given) for i in found]


def _identifiers_in(rows: Sequence[Any]) -> list[str]:
    out = set()
    for r in rows:
        data = (r.public or {}).get("data", {})
        out |= {data[f] for f, _ in IDENTITY_FIELDS.get(r.type, ()) if isinstance(data.get(f), str)}
    return sorted(out)


def _named(identity: Identity, code: str, given: dict[str, str]) -> Identity:
    """Note which elevator a resolvable identifier finds today when that is another one."""
    if identity.kind in (IdentifierKind.EQUIPMENT_CODE, IdentifierKind.FACTORY_SERIAL):
        return identity
    other = given.get(identity.identifier)
    if other is None or other == code:
        return identity
    return replace(identity, now_names=other)
