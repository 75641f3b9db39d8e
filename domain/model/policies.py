"""Obligations over time, as policy data: the maintenance cadence (the inspection schedule is
domain/model/inspection_schedule.py).

Local rules differ and change, so each policy is data with an id, an effective
date and a jurisdiction, never a constant inside a rule (DOMAIN.md).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from domain.model.catalogue import MaintenancePolicy


@dataclass(frozen=True)
class MaintenanceCadence:
    policy: MaintenancePolicy
    jurisdiction: str  # GB/T 2260 area code prefix; "" = national
    effective_from: date
    max_gap_days: int | None  # classic rule: a visit at least every N days
    window_months: int | None  # on-demand: half-month items within N calendar months

    def next_due(self, last_visit: date) -> date:
        """The last day the next visit may happen without being overdue."""
        if self.max_gap_days is not None:
            return last_visit + timedelta(days=self.max_gap_days)
        assert self.window_months is not None
        return _end_of_month(_add_months(last_visit.replace(day=1), self.window_months))


MAINTENANCE_CADENCES: dict[MaintenancePolicy, MaintenanceCadence] = {
    MaintenancePolicy.CLASSIC_15_DAY: MaintenanceCadence(
        MaintenancePolicy.CLASSIC_15_DAY,
        "",
        date(2017, 8, 1),
        15,
        None,  # TSG T5002-2017
    ),
    MaintenancePolicy.ON_DEMAND_MONTHLY: MaintenanceCadence(
        MaintenancePolicy.ON_DEMAND_MONTHLY,
        "4403",
        date(2020, 1, 1),
        None,
        1,  # Shenzhen pilot
    ),
    MaintenancePolicy.ON_DEMAND_IOT_QUARTERLY: MaintenanceCadence(
        MaintenancePolicy.ON_DEMAND_IOT_QUARTERLY, "4403", date(2020, 1, 1), None, 3
    ),
}


def next_maintenance_due(last_visit: date, policy: MaintenancePolicy | None) -> date:
    return MAINTENANCE_CADENCES[policy or MaintenancePolicy.CLASSIC_15_DAY].next_due(last_visit)


# The inspection schedule (TSG T7001-2023 / T7008-2023, and the annual regime before it) is
# policy data of its own, with the one function that says what is due:
# domain/model/inspection_schedule.py.


def _add_months(d: date, months: int) -> date:
    month = d.month - 1 + months
    year = d.year + month // 12
    month = month % 12 + 1
    return d.replace(year=year, month=month, day=min(d.day, calendar.monthrange(year, month)[1]))


def _end_of_month(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])
