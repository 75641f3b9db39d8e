"""Regulator work lists, per district: what needs a visit, a call or a letter today."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import Engine, select

from domain.model.subjects import SubjectRef
from projections.clock import day_start
from projections.schema import elevators, entries
from projections.status import (
    ElevatorStatus,
    Proof,
    flags,
    from_json,
    illegal_use,
    inspection_obligation,
)

#: list name -> the flag that puts an elevator on it, and what the list is for
WORKLISTS: dict[str, tuple[str, str]] = {
    "maintenance-overdue": ("maintenance_overdue", "in service, next maintenance visit overdue"),
    "inspection-overdue": ("inspection_overdue", "periodic inspection or self-test overdue"),
    "hazards": ("under_supervision", "hazards listed for supervision (挂牌督办), by deadline"),
    "no-maintenance-contract": (
        "no_maintenance_contract",
        "无维保合同: in use without a maintenance contract in force (or a registered use unit)",
    ),
    "old-without-assessment": ("old_without_assessment", "over 15 years in use, not assessed"),
    "late-entries": ("late_entries", "records entered long after the fact"),
    "uninsured": ("uninsured", "in use without liability insurance"),
    "must-not-run": (
        "must_not_run",
        "检验不合格: periodic inspection failed and not passed since; must not run",
    ),
    "illegal-use": (
        "illegal_use",
        "used against the rules: failed and still used, used unregistered, modified without"
        " change registration, a periodic year replaced by a self-test; each reason with its"
        " entries",
    ),
}
#: what each reason on the illegal-use list says
ILLEGAL_USE_ZH = {
    "failed-in-use": "定期检验不合格后仍在使用",
    "unregistered-use": "未办理使用登记（或未经监督检验）即投入使用",
    "used-while-stopped": "已办理停用仍在使用（停用期间检验暂停）",
    "modified-without-change-registration": "改造后未办理变更登记仍在使用",
    "self-test-in-periodic-year": "定期检验年度以自行检测代替",
}
#: Names a list once had -> its name now. ``sanwu`` (三无) named only the missing contract, while
#: to a regulator 三无 is 无物业管理、无维护保养、无维修资金 (all three), so it was renamed; the old
#: name is answered with a problem naming the new one, never with the list.
RENAMED: dict[str, str] = {"sanwu": "no-maintenance-contract"}
SHORT_VISIT = timedelta(minutes=20)


def worklist(
    engine: Engine, name: str, today: date, district: str | None = None, *, zone: tzinfo
) -> list[dict[str, Any]]:
    """The elevators on list ``name`` on ``today``, a date of the ledger's ``zone``."""
    if name == "suspicious-maintenance":
        return suspicious_maintenance(engine, today, district, zone=zone)
    if name == "illegal-use":
        return illegal_use_list(engine, today, district)
    flag, _ = WORKLISTS[name]
    query = select(elevators.c.equipment_code, elevators.c.status)
    if district:
        query = query.where(elevators.c.district == district)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(elevators.c.equipment_code)).all()
    out = []
    for row in rows:
        status = from_json(dict(row.status))
        if flags(status, today)[flag]:
            inspection = inspection_obligation(status, today)
            out.append(
                {
                    "equipment_code": row.equipment_code,
                    "district": status.district,
                    "use_unit": status.use_unit,
                    "maintenance_unit": status.maintenance_unit,
                    "next_maintenance_due": _iso(status.next_maintenance_due),
                    "next_inspection_due": _iso(inspection.due if inspection else None),
                    "next_inspection_kind": str(inspection.kind) if inspection else None,
                    "inspection_year_of_use": inspection.year_of_use if inspection else None,
                    "inspection_reason": inspection.reason if inspection else None,
                    "hazard_deadlines": [d.isoformat() for d in status.hazard_deadlines],
                    "late_entries": status.late_entries,
                }
            )
    if name == "hazards":
        out.sort(key=lambda r: r["hazard_deadlines"][:1] or ["9999"])
    return out


def _statuses(engine: Engine, district: str | None) -> list[tuple[str, ElevatorStatus]]:
    """Every elevator's folded status (in ``district`` if given), by equipment code."""
    query = select(elevators.c.equipment_code, elevators.c.status)
    if district:
        query = query.where(elevators.c.district == district)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(elevators.c.equipment_code)).all()
    return [(row.equipment_code, from_json(dict(row.status))) for row in rows]


def illegal_use_list(engine: Engine, today: date, district: str | None) -> list[dict[str, Any]]:
    """Elevators used against the rules on ``today`` (docs/lifecycle.md, "Must not run"): one
    row per elevator, its reasons each with the entries that prove it."""
    out = []
    for equipment_code, status in _statuses(engine, district):
        reasons = illegal_use(status, flags(status, today), today)
        if not reasons:
            continue
        out.append(
            {
                "equipment_code": equipment_code,
                "registration_code": status.registration_code,
                "district": status.district,
                "lifecycle": status.lifecycle,
                "use_unit": status.use_unit,
                "maintenance_unit": status.maintenance_unit,
                "last_inspection_on": _iso(status.last_inspection_on),
                "reasons": [
                    {
                        "reason": reason,
                        "text_zh": ILLEGAL_USE_ZH[reason],
                        "entries": [_proof(p) for p in proofs],
                    }
                    for reason, proofs in reasons
                ],
            }
        )
    return out


def _proof(p: Proof) -> dict[str, Any]:
    kind, occurred_at, log_index, entry_hash = p
    return {
        "type": kind,
        "occurred_at": occurred_at,
        "log_index": log_index,
        "entry_hash": entry_hash,
    }


def suspicious_maintenance(
    engine: Engine, today: date, district: str | None, days: int = 90, *, zone: tzinfo
) -> list[dict[str, Any]]:
    """Maintenance records worth a second look: visits under 20 minutes, or recorded late,
    over the last ``days`` days of the ledger's ``zone`` (from midnight there)."""
    since = day_start(today - timedelta(days=days), zone)
    query = select(entries).where(
        entries.c.type == "maintenance.performed", entries.c.occurred_at >= since
    )
    in_district: set[str] | None = None
    with engine.connect() as conn:
        districts = {
            str(SubjectRef.elevator(c)): d
            for c, d in conn.execute(select(elevators.c.equipment_code, elevators.c.district))
        }
        if district:
            in_district = {
                str(SubjectRef.elevator(c))
                for c in conn.execute(
                    select(elevators.c.equipment_code).where(elevators.c.district == district)
                ).scalars()
            }
        rows = conn.execute(query.order_by(entries.c.log_index)).all()
    out = []
    for r in rows:
        if in_district is not None and r.subject not in in_district:
            continue
        data = r.public["data"]
        minutes = (
            datetime.fromisoformat(data["departed_at"]) - datetime.fromisoformat(data["arrived_at"])
        ) / timedelta(minutes=1)
        reasons = (
            [f"visit of {minutes:.0f} min"] if minutes < SHORT_VISIT.total_seconds() / 60 else []
        )
        if r.late:
            reasons.append("recorded late")
        if reasons:
            out.append(
                {
                    "equipment_code": SubjectRef.parse(r.subject).id,
                    "district": districts.get(r.subject),
                    "log_index": r.log_index,
                    "entry_hash": r.entry_hash,
                    "issuer": r.issuer,
                    "visit_id": data.get("visit_id"),
                    "reasons": reasons,
                }
            )
    return out


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None
