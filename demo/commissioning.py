"""Statements that bring an elevator into service: sale, construction notice and completion, the
supervisory inspection (and re-inspection after a fail), registration, the rescue code."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from demo.events import Draft, Group
from demo.inspections import failed_inspection, inspection_findings, passed_inspection
from demo.life import ElevatorLife
from demo.timing import add_months, month_end


def setup_groups(h: ElevatorLife) -> Iterator[Group]:
    """Sale, construction, supervisory inspection, registration, rescue code."""
    city, rng = h.city, h.city.rng(h.i, "setup-records")
    kind = "installation"
    yield Group(
        [
            Draft(
                h.t_sold,
                h.rec(h.t_sold, rng),
                "elevator.sold",
                city.manufacturer.uscc,
                {
                    "buyer": h.use.uscc,
                    "buyer_name": h.use.name,
                    "contract_number": f"XS-{h.t_sold.year}-{h.ref}",
                },
            )
        ]
    )
    builder = city.construction.uscc
    yield Group(
        [
            Draft(
                h.t_notice,
                h.rec(h.t_notice, rng),
                "construction.notified",
                builder,
                {
                    "kind": kind,
                    "site_address": h.p.site,
                    "district": h.p.district,
                    "planned_start": h.planned_start.isoformat(),
                },
            ),
        ]
    )
    yield Group(
        [
            Draft(
                h.t_built,
                h.rec(h.t_built, rng),
                "construction.completed",
                builder,
                {
                    "kind": kind,
                    "completed_on": h.t_built.date().isoformat(),
                    "self_check_passed": True,
                },
            )
        ]
    )
    institute = city.institute.uscc
    first_due = month_end(add_months(h.baseline, 12)).isoformat()
    report = f"JD-{h.t_supervisory.year}-{h.ref}"
    if h.t_reinspect is None:
        yield Group(
            [
                passed_inspection(
                    h.t_supervisory,
                    h.rec(h.t_supervisory, rng),
                    institute,
                    "supervisory",
                    report,
                    first_due,
                )
            ]
        )
    else:
        findings = inspection_findings(h, rng)
        yield Group(
            [
                failed_inspection(
                    h.t_supervisory,
                    h.rec(h.t_supervisory, rng),
                    institute,
                    "supervisory",
                    report,
                    findings,
                    (h.t_supervisory.date() + timedelta(days=15)).isoformat(),
                ),
                passed_inspection(
                    h.t_reinspect,
                    h.rec(h.t_reinspect, rng),
                    institute,
                    "re_inspection",
                    f"{report}-F",
                    first_due,
                ),
            ]
        )
    reg = h.t_registered
    category = h.p.category.value
    yield Group(
        [
            Draft(
                reg,
                h.rec(reg, rng),
                "registration.issued",
                city.regulator.uscc,
                {
                    "registration_code": (
                        f"{category}{h.p.district}{reg:%Y%m}{h.i % 9999 + 1:04d}"
                    ),
                    "certificate_number": f"梯{category[1:3]}湘H{h.i + 1}({reg:%y})",
                    "use_unit": h.use.uscc,
                    "district": h.p.district,
                    "regime": h.regime,
                },
            )
        ]
    )
    rescue_code = (h.i * 7919 + (city.seed % 1000) * 104_729 + 350_000) % 1_000_000
    yield Group(
        [
            Draft(
                h.t_rescue_code,
                h.rec(h.t_rescue_code, rng),
                "rescue_code.assigned",
                city.rescue.uscc,
                {"rescue_code": f"{rescue_code:06d}"},
            )
        ]
    )
