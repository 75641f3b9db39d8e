"""Regulator work lists, per district: what needs a visit, a call or a letter today."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import Engine, select

from domain.model.subjects import SubjectRef
from projections.clock import day_start
from projections.schema import elevators, entries
from projections.status import flags, from_json, inspection_obligation

#: list name -> the flag that puts an elevator on it, and what the list is for
WORKLISTS: dict[str, tuple[str, str]] = {
    "maintenance-overdue": ("maintenance_overdue", "in service, next maintenance visit overdue"),
    "inspection-overdue": ("inspection_overdue", "periodic inspection or self-test overdue"),
    "hazards": ("under_supervision", "hazards listed for supervision (挂牌督办), by deadline"),
    "sanwu": ("sanwu", "三无: in use without a registered use unit or a maintenance contract"),
    "old-without-assessment": ("old_without_assessment", "over 15 years in use, not assessed"),
    "late-entries": ("late_entries", "records entered long after the fact"),
    "uninsured": ("uninsured", "in use without liability insurance"),
}
SHORT_VISIT = timedelta(minutes=20)


def worklist(
    engine: Engine, name: str, today: date, district: str | None = None, *, zone: tzinfo
) -> list[dict[str, Any]]:
    """The elevators on list ``name`` on ``today``, a date of the ledger's ``zone``."""
    if name == "suspicious-maintenance":
        return suspicious_maintenance(engine, today, district, zone=zone)
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
