"""The desk's first page (我的电梯): the elevators that name the organization now, and what is
due on them, in the words of the QR page (api/pages.py, api/badge.py).

What is due is read from the folded status (projections/status.py), so it says what the work
lists and the QR page say: a visit is overdue when ``flags`` says ``maintenance_overdue`` (the
contract's cadence gives ``next_maintenance_due``), due soon when that date falls within
:data:`DUE_WITHIN` days. The work items (visits, faults, rescues, hazards) are those of the
elevators the organization is a party to as use unit or contracted maintainer; a rectification
order is listed when it is ours to complete (it names us, or names nobody and we are a party).
An elevator in use without a maintenance contract in force (``flags`` ``no_maintenance_contract``,
the console's 无维保合同 list) is listed for its use unit: it is the use unit's duty to sign one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from api.badge import badge, when
from api.pages import LIFECYCLE_ZH, MUST_NOT_RUN_ZH, ROLE_ZH
from projections import desk
from projections.desk import Named, OpenFault, OpenOrder
from projections.status import inspection_obligation

#: A visit due within this many days is listed as due soon.
DUE_WITHIN = 7
#: An inspection due within this many days is listed as due soon.
INSPECTION_WITHIN = 30
#: The roles whose elevators carry the day's work: the parties the rules hold to act.
PARTY_ROLES = frozenset({"use_unit", "maintenance_unit"})
#: Rows shown per list at most (the count above says how many there are).
LIST_LIMIT = 100
#: Elevators per page of the full list.
PER_PAGE = 50


@dataclass
class Work:
    """The day's work lists of one organization, each a list of rows for the page."""

    overdue: list[dict[str, Any]] = field(default_factory=list)
    due_soon: list[dict[str, Any]] = field(default_factory=list)
    inspections: list[dict[str, Any]] = field(default_factory=list)
    faults: list[dict[str, Any]] = field(default_factory=list)
    rescues: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    hazards: list[dict[str, Any]] = field(default_factory=list)
    no_contract: list[dict[str, Any]] = field(default_factory=list)


def roles_zh(roles: tuple[str, ...] | list[str]) -> str:
    return "、".join(ROLE_ZH.get(r, r) for r in roles)


def lifecycle_zh(n: Named) -> str:
    if n.flags.get("must_not_run"):
        return MUST_NOT_RUN_ZH
    return LIFECYCLE_ZH.get(n.status.lifecycle or "", "未知")


def identity(n: Named, names: dict[str, str]) -> dict[str, Any]:
    """What every row says of its elevator: its codes and its use unit's name."""
    s = n.status
    return {
        "code": n.code,
        "registration_code": s.registration_code,
        "rescue_code": s.rescue_code,
        "use_unit": s.use_unit,
        "use_unit_name": names.get(s.use_unit or "", s.use_unit or "—"),
        "roles": roles_zh(n.roles),
    }


def work(
    uscc: str, elevators: dict[str, Named], items: dict[str, list[dict[str, Any]]], today: date
) -> tuple[Work, dict[str, int]]:
    """The work lists of ``uscc`` over ``elevators`` (those it holds a role for now, and
    those it held one for before: an order may still name it), with their full counts (the
    lists are cut at :data:`LIST_LIMIT`); ``items``: the fault and order entries of those
    :func:`with_items` names."""
    out = Work()
    for n in sorted(elevators.values(), key=lambda x: x.code):
        _work_of(out, uscc, n, items.get(n.code, []), today)
    out.overdue.sort(key=lambda r: r["due"] or "")
    out.due_soon.sort(key=lambda r: r["due"])
    out.inspections.sort(key=lambda r: r["due"])
    out.orders.sort(key=lambda r: r["deadline"])
    out.hazards.sort(key=lambda r: r["deadline"])
    out.no_contract.sort(key=lambda r: r["last_day"] or "")
    counts = {name: len(rows) for name, rows in vars(out).items()}
    for rows in vars(out).values():
        del rows[LIST_LIMIT:]
    return out, counts


def _work_of(out: Work, uscc: str, n: Named, item_rows: list[dict[str, Any]], today: date) -> None:
    s = n.status
    faults, orders = desk.open_items(item_rows) if item_rows else ([], [])
    for order in orders:
        if desk.names_us(order, uscc, n.roles):
            out.orders.append(_order(n, order, today))
    if not PARTY_ROLES & set(n.roles):
        return
    if "use_unit" in n.roles and n.flags.get("no_maintenance_contract"):
        out.no_contract.append(_no_contract(n, today))
    due = s.next_maintenance_due
    if n.flags.get("maintenance_overdue"):
        late = (today - due).days if due else None
        out.overdue.append({"n": n, "due": due.isoformat() if due else None, "days": late})
    elif s.lifecycle == "in_service" and due and due <= today + timedelta(days=DUE_WITHIN):
        out.due_soon.append({"n": n, "due": due.isoformat(), "days": (due - today).days})
    obligation = (
        inspection_obligation(s, today) if s.lifecycle in ("in_service", "stopped") else None
    )
    if obligation is not None and (
        obligation.overdue or obligation.due <= today + timedelta(days=INSPECTION_WITHIN)
    ):
        out.inspections.append(
            {
                "n": n,
                "due": obligation.due.isoformat(),
                "kind": str(obligation.kind),
                "overdue": obligation.overdue,
            }
        )
    out.faults.extend(_fault(n, f) for f in faults)
    for rescue_id, trapped, alarm_at in s.rescues_in_progress:
        out.rescues.append({"n": n, "id": rescue_id, "trapped": trapped, "at": alarm_at})
    for hazard_id, description, deadline in s.hazards_listed:
        out.hazards.append(
            {
                "n": n,
                "id": hazard_id,
                "description": description,
                "deadline": deadline.isoformat(),
                "past": deadline < today,
            }
        )


def _no_contract(n: Named, today: date) -> dict[str, Any]:
    """An elevator of ours (as its use unit) in use with no maintenance contract in force
    today (the console's 无维保合同 list, by the same flag), with the latest contract known:
    ended (its last day past) or not yet begun."""
    last = n.status.contracts[-1] if n.status.contracts else None
    return {
        "n": n,
        "lifecycle": lifecycle_zh(n),
        "number": last[0] if last else None,
        "maintainer": last[1] if last else None,
        "last_day": last[3].isoformat() if last else None,
        "starts": last[2].isoformat() if last and last[2] > today else None,
    }


def _fault(n: Named, f: OpenFault) -> dict[str, Any]:
    return {"n": n, "id": f.fault_id, "code": f.code, "at": f.detected_at, "log_index": f.log_index}


def _order(n: Named, order: OpenOrder, today: date) -> dict[str, Any]:
    return {
        "n": n,
        "id": order.order_id,
        "tasks": order.items,
        "deadline": order.deadline.isoformat(),
        "past": order.deadline < today,
        "ordered_by": order.ordered_by,
        "named": order.responsible is not None,
        "log_index": order.log_index,
    }


def with_items(elevators: dict[str, Named]) -> list[str]:
    """The elevators whose open faults or rectification orders need their entries read."""
    return [
        code
        for code, n in elevators.items()
        if n.status.open_faults > 0 or n.status.open_rectifications > 0
    ]


def badge_of(n: Named, now: datetime, zone: tzinfo) -> dict[str, str]:
    """The QR page's badge for the row: its label and tone."""
    b = badge(n.status, n.flags, now, zone)
    return {"label": b.label, "tone": b.tone}


def moment(at: datetime | str, zone: tzinfo) -> str:
    """An instant on the ledger's clock (``2026-12-04 14:03``)."""
    value = datetime.fromisoformat(at) if isinstance(at, str) else at
    return when(value, zone)
