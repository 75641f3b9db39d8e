"""What the enterprise desk reads about one organization: the elevators that name it, its
statements and keys, the open items (faults, rectification orders) on its elevators.

Queries over the read models (folded from the log) plus one pure fold, :func:`open_items`.
Everything is asked by the organization's USCC; nothing here returns another organization's
statement (an entry is looked up with its issuer, a key with its owner's chain)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, func, select

from domain.model.subjects import SubjectRef
from projections.read import _entry, _interval
from projections.schema import elevators, entries, responsibilities
from projections.status import ElevatorStatus, contract_in_force, flags, from_json

#: Codes per ``IN`` query (well under SQLite's bound-parameter limit).
_CHUNK = 2000
#: The statement types whose entries open and close the items :func:`open_items` folds.
ITEM_TYPES = ("fault.reported", "fault.cleared", "rectification.ordered", "rectification.completed")
KEY_TYPES = ("key.registered", "key.revoked")


@dataclass(frozen=True)
class Named:
    """An elevator as the desk lists it: the roles the organization holds for it now (empty
    if it held one only before), its status and today's flags."""

    code: str
    roles: tuple[str, ...]
    status: ElevatorStatus
    flags: dict[str, bool]
    maintenance_unit_today: str | None


def roles_of(engine: Engine, uscc: str, at: datetime) -> dict[str, dict[str, list[str]]]:
    """Per equipment code, the roles ``uscc`` held for it at any time: ``{"now": [...],
    "before": [...]}`` (``now``: the interval holds at ``at``)."""
    r = responsibilities.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(r.equipment_code, r.role, r.valid_from, r.valid_to)
            .where(r.organization == uscc)
            .order_by(r.equipment_code, r.valid_from, r.id)
        ).all()
    out: dict[str, dict[str, list[str]]] = {}
    for row in rows:
        held = out.setdefault(row.equipment_code, {"now": [], "before": []})
        current = row.valid_from <= at and (row.valid_to is None or row.valid_to > at)
        if current and row.role not in held["now"]:
            held["now"].append(row.role)
        elif not current and row.role not in held["before"]:
            held["before"].append(row.role)
    for held in out.values():
        held["before"] = [role for role in held["before"] if role not in held["now"]]
    return out


def named(engine: Engine, roles: dict[str, dict[str, list[str]]], today: date) -> dict[str, Named]:
    """The status of each elevator of ``roles`` (:func:`roles_of`) with today's flags."""
    out: dict[str, Named] = {}
    codes = sorted(roles)
    with engine.connect() as conn:
        for i in range(0, len(codes), _CHUNK):
            chunk = codes[i : i + _CHUNK]
            rows = conn.execute(
                select(elevators.c.equipment_code, elevators.c.status).where(
                    elevators.c.equipment_code.in_(chunk)
                )
            ).all()
            for row in rows:
                status = from_json(dict(row.status))
                contract = contract_in_force(status, today)
                out[row.equipment_code] = Named(
                    row.equipment_code,
                    tuple(roles[row.equipment_code]["now"]),
                    status,
                    flags(status, today),
                    contract[1] if contract else None,
                )
    return out


def held_by(engine: Engine, uscc: str, code: str) -> list[dict[str, Any]]:
    """Every interval in which ``uscc`` held a role for the elevator ``code``, oldest first
    (none: the elevator is not the organization's to look at on its desk)."""
    r = responsibilities.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(responsibilities)
            .where(r.equipment_code == code, r.organization == uscc)
            .order_by(r.valid_from, r.id)
        ).all()
    return [_interval(row) for row in rows]


def item_entries(engine: Engine, codes: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """The fault and rectification entries of each elevator of ``codes``, in chain order
    (ask only of those whose status has open faults or orders: each elevator's chain is read
    through its subject's index)."""
    subjects = {str(SubjectRef.elevator(c)): c for c in codes}
    out: dict[str, list[dict[str, Any]]] = {c: [] for c in subjects.values()}
    names = sorted(subjects)
    with engine.connect() as conn:
        for i in range(0, len(names), _CHUNK):
            rows = conn.execute(
                select(entries)
                .where(entries.c.subject.in_(names[i : i + _CHUNK]), entries.c.type.in_(ITEM_TYPES))
                .order_by(entries.c.subject, entries.c.version)
            ).all()
            for row in rows:
                out[subjects[row.subject]].append(_entry(row))
    return out


@dataclass(frozen=True)
class OpenFault:
    fault_id: str
    code: str
    detected_at: str
    log_index: int


@dataclass(frozen=True)
class OpenOrder:
    """A rectification order not completed: who ordered it, what, by when, and whom it names
    (None: the elevator's use unit or its contracted maintainer)."""

    order_id: str
    items: tuple[str, ...]
    deadline: date
    responsible: str | None
    ordered_by: str
    log_index: int


def open_items(item_rows: Sequence[dict[str, Any]]) -> tuple[list[OpenFault], list[OpenOrder]]:
    """The faults reported and not cleared, and the rectification orders not completed, of
    one elevator's entries (:func:`item_entries`), folded in the order they occurred, as the
    domain folds them (a fault id is free again once cleared). Pure."""
    faults: dict[str, OpenFault] = {}
    orders: dict[str, OpenOrder] = {}
    for e in sorted(
        item_rows, key=lambda x: (datetime.fromisoformat(x["occurred_at"]), x["version"])
    ):
        data = (e.get("statement") or {}).get("data") or {}
        kind = e["type"]
        if kind == "fault.reported":
            faults[data["fault_id"]] = OpenFault(
                data["fault_id"],
                str(data.get("code", "")),
                data.get("detected_at", ""),
                e["log_index"],
            )
        elif kind == "fault.cleared":
            faults.pop(data.get("fault_id", ""), None)
        elif kind == "rectification.ordered":
            orders[data["order_id"]] = OpenOrder(
                data["order_id"],
                tuple(data.get("items", ())),
                date.fromisoformat(data["deadline"]),
                data.get("responsible"),
                e["issuer"],
                e["log_index"],
            )
        elif kind == "rectification.completed":
            orders.pop(data.get("order_id", ""), None)
    return list(faults.values()), list(orders.values())


def names_us(order: OpenOrder, uscc: str, roles_now: Sequence[str]) -> bool:
    """Whether the order is ``uscc``'s to complete: it names us, or names nobody and we are
    the elevator's use unit or contracted maintainer now (the domain's rule,
    domain/model/elevator/supervision.py)."""
    if order.responsible is not None:
        return order.responsible == uscc
    return bool({"use_unit", "maintenance_unit"} & set(roles_now))


def statements(
    engine: Engine,
    uscc: str,
    kind: str | None = None,
    since: datetime | None = None,
    before: datetime | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[int, list[dict[str, Any]]]:
    """The entries ``uscc`` issued (of type ``kind``, occurred in ``[since, before)``), newest
    first by when they occurred; and how many there are (on the index of issuer and
    occurred_at)."""
    e = entries.c
    where = [e.issuer == uscc]
    if kind:
        where.append(e.type == kind)
    if since is not None:
        where.append(e.occurred_at >= since)
    if before is not None:
        where.append(e.occurred_at < before)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(entries).where(*where)).scalar_one()
        rows = conn.execute(
            select(entries)
            .where(*where)
            .order_by(e.occurred_at.desc(), e.log_index.desc())
            .offset(offset)
            .limit(limit)
        ).all()
    return int(total), [_entry(r) for r in rows]


def statement(engine: Engine, uscc: str, log_index: int) -> dict[str, Any] | None:
    """The entry at ``log_index`` if ``uscc`` issued it (None otherwise, whoever did)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(entries).where(entries.c.log_index == log_index, entries.c.issuer == uscc)
        ).first()
    return None if row is None else _entry(row)


def key_entries(engine: Engine, uscc: str) -> list[dict[str, Any]]:
    """The key registrations and revocations on the organization's own chain, in order."""
    subject = str(SubjectRef.organization(uscc))
    with engine.connect() as conn:
        rows = conn.execute(
            select(entries)
            .where(entries.c.subject == subject, entries.c.type.in_(KEY_TYPES))
            .order_by(entries.c.version)
        ).all()
    return [_entry(r) for r in rows]


@dataclass(frozen=True)
class Key:
    """One key as its owner's chain has it."""

    key_id: str
    algorithm: str
    public_key: str
    bound_elevator: str | None
    registered_at: str
    registered_index: int
    revoked_at: str | None = None
    revoked_index: int | None = None
    revoke_reason: str | None = None


def keys(key_rows: Sequence[dict[str, Any]]) -> list[Key]:
    """The keys registered on the chain (:func:`key_entries`), each with its revocation if
    any, in the order registered. Pure."""
    found: dict[str, Key] = {}
    for e in key_rows:
        data = (e.get("statement") or {}).get("data") or {}
        key_id = str(data.get("key_id", ""))
        if e["type"] == "key.registered":
            found[key_id] = Key(
                key_id,
                str(data.get("algorithm", "")),
                str(data.get("public_key", "")),
                data.get("bound_elevator"),
                e["occurred_at"],
                e["log_index"],
            )
        elif e["type"] == "key.revoked" and key_id in found:
            k = found[key_id]
            found[key_id] = Key(
                k.key_id,
                k.algorithm,
                k.public_key,
                k.bound_elevator,
                k.registered_at,
                k.registered_index,
                e["occurred_at"],
                e["log_index"],
                data.get("reason"),
            )
    return list(found.values())
