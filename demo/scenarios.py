"""The states the demo city must show on first run, one elevator each: which lift lives which
story (a modification, a lift over 15 years old, an open rescue...).

The first :data:`SCENARIOS` elevators of a city get one each (rotated by the seed), so a history
still depends only on the elevator's index, never on the size of the city; a city smaller than
the list shows only some. Every other elevator lives an ordinary random life.
"""

from __future__ import annotations

from enum import StrEnum


class Scenario(StrEnum):
    """One story an elevator of the demo city is planned to tell."""

    MODIFICATION = "modification"  # 改造: supervisory pass, then a change of registration
    MAJOR_REPAIR = "major_repair"  # 重大修理: supervisory pass, the inspection month moves
    RELOCATION = "relocation"  # 移装: supervisory pass, then re-registration at the new site
    USE_UNIT_CHANGE = "use_unit_change"  # 变更使用单位: new contract; not insured since
    ON_DEMAND = "on_demand"  # 按需维保: a monthly on-demand contract
    LEGACY = "legacy"  # legacy_annual regime; a periodic fail, then a passing re-inspection
    OLD_ASSESSED = "old_assessed"  # over 15 years in use, safety assessment done
    OLD_UNASSESSED = "old_unassessed"  # over 15 years in use, no assessment
    OPEN_HAZARD = "open_hazard"  # 挂牌督办 still open; a self-test in a periodic year
    OPEN_RESCUE = "open_rescue"  # people trapped right now; its inspection overdue
    STOPPED = "stopped"  # 停止使用, not resumed
    FAILED_OPEN = "failed_open"  # the last periodic inspection failed, not re-inspected
    MAINTENANCE_OVERDUE = "maintenance_overdue"  # a short last visit, then none for weeks
    NO_CONTRACT = "no_contract"  # its last contract expired, none in force
    UNREGISTERED_USE = "unregistered_use"  # a fault (and a rescue) before registration
    MODIFIED_UNREGISTERED = "modified_unregistered"  # modified, registration never changed


#: The scenarios in the order they are handed out.
SCENARIOS: tuple[Scenario, ...] = tuple(Scenario)

#: Over 15 years in use: their founding records are back-filled when the ledger starts.
OLD = frozenset({Scenario.OLD_ASSESSED, Scenario.OLD_UNASSESSED})

#: A construction after registration, and its kind.
WORKS = {
    Scenario.MODIFICATION: "modification",
    Scenario.MAJOR_REPAIR: "major_repair",
    Scenario.RELOCATION: "relocation",
    Scenario.MODIFIED_UNREGISTERED: "modification",
}


def scenario_of(index: int, seed: int) -> Scenario | None:
    """The scenario of elevator ``index`` (None: an ordinary life)."""
    if index >= len(SCENARIOS):
        return None
    return SCENARIOS[(index + seed) % len(SCENARIOS)]
