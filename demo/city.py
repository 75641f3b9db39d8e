"""The city context every history is planned in, and each elevator's profile: what the city-wide
merge needs about an elevator (its code, category, site, units, manufacture) before its history."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from demo.organizations import DemoOrganization
from demo.scenarios import OLD, Scenario, scenario_of
from demo.timing import CST, soon, work_time
from domain.model.identifiers import Category

_MAKER_CODE = "43901"  # the manufacturer's code inside equipment codes

# model, rated load (kg), rated speed (m/s), stops (min, max), type-test certificate
_MODELS: Mapping[Category, tuple[tuple[str, int, str, tuple[int, int], str], ...]] = {
    Category.TRACTION_PASSENGER: (
        ("ZJ-KP800", 800, "1.00", (6, 11), "TSX3110-2018-0101"),
        ("ZJ-KP1000", 1000, "1.75", (12, 26), "TSX3110-2018-0102"),
        ("ZJ-KP1350", 1350, "2.00", (18, 33), "TSX3110-2019-0107"),
    ),
    Category.TRACTION_GOODS: (("ZJ-HF2000", 2000, "0.50", (2, 6), "TSX3120-2018-0203"),),
    Category.ESCALATOR: (("ZJ-FT1000-30", 4500, "0.50", (2, 2), "TSX3310-2019-0301"),),
}


@dataclass(frozen=True, slots=True)
class Profile:
    """What the city-wide merge needs about an elevator before planning its history."""

    index: int
    code: str
    category: Category
    use_unit: int
    maintainer: int
    district: str
    site: str
    terminal: bool
    manufactured_at: datetime  # CST
    manufactured_recorded: datetime
    manufactured_data: dict[str, Any]
    scenario: Scenario | None = None


@dataclass(frozen=True)
class City:
    seed: int
    years: int
    now: datetime
    end: datetime  # nothing is recorded after this
    regulator: DemoOrganization
    manufacturer: DemoOrganization
    construction: DemoOrganization
    institute: DemoOrganization
    testing: DemoOrganization
    insurer: DemoOrganization
    rescue: DemoOrganization
    maintainers: tuple[DemoOrganization, ...]
    use_units: tuple[DemoOrganization, ...]
    technicians: tuple[tuple[tuple[str, str], ...], ...]
    safety_managers: tuple[str, ...]
    scrap_index: int
    assessment_index: int
    penalty_index: int
    hazard_index: int
    stop_index: int
    complaint_index: int
    profiles: tuple[Profile, ...]
    #: when the ledger went live: the older lifts' founding records are back-filled from then
    ledger_from: datetime | None = None

    def rng(self, index: int, stream: str) -> random.Random:
        return random.Random(f"elevator-ledger-demo/{self.seed}/{index}/{stream}")


def plan_profile(city: City, i: int) -> Profile:
    rng = city.rng(i, "profile")
    n_use, n_maint = len(city.use_units), len(city.maintainers)
    use_unit = i % n_use
    maintainer = (i + i // n_use) % n_maint
    if use_unit == n_use - 1:  # the shopping mall: escalators and passenger lifts
        category = Category.ESCALATOR if rng.random() < 0.5 else Category.TRACTION_PASSENGER
    else:
        category = Category.TRACTION_GOODS if rng.random() < 0.1 else Category.TRACTION_PASSENGER
    # manufactured about years + 0.5 ago; one in five is newer (a later building); the lifts
    # of a scenario are not (their story needs the years), those over 15 years are 17 years old
    scenario = None if i == city.scrap_index else scenario_of(i, city.seed)
    if scenario is Scenario.OPEN_RESCUE and category is Category.ESCALATOR:
        category = Category.TRACTION_PASSENGER  # no one is trapped on an escalator
    base = city.now - timedelta(days=round(city.years * 365.25) + 180)
    if scenario in OLD:
        base = city.now - timedelta(days=round(17 * 365.25))
    newest = min(730, city.years * 365 // 2)
    newer = rng.random() >= 0.8 and scenario is None
    offset = rng.randint(150, newest) if newer else rng.randint(0, 150)
    manufactured_at = work_time((base + timedelta(days=offset)).astimezone(CST).date(), rng)
    recorded = soon(manufactured_at, rng)
    if scenario in OLD and city.ledger_from is not None:  # back-filled when the ledger started
        recorded = backfilled(city, manufactured_at, manufactured_at)
    year = manufactured_at.year
    serial = (i + city.seed * 10_007) % 100_000
    code = f"{category.value}{_MAKER_CODE}{year}{serial:05d}"
    building, unit = rng.randint(1, 30), rng.randint(1, 4)
    if use_unit == n_use - 1:
        site = (
            f"桃江县桃花江镇美华购物广场{rng.randint(1, 5)}层{rng.randint(1, 8)}号扶梯"
            if category is Category.ESCALATOR
            else f"桃江县桃花江镇美华购物广场{rng.randint(1, 6)}号客梯"
        )
    else:
        estate = ("益阳市资阳区幸福里小区", "益阳市赫山区碧水湾花园")[use_unit % 2]
        lift = "货梯" if category is Category.TRACTION_GOODS else f"{unit}单元"
        site = f"{estate}{building}栋{lift}"
    model, load, speed, (lo, hi), certificate = rng.choice(_MODELS[category])
    data = {
        "category": category.value,
        "model": model,
        "factory_serial": f"ZJ{year % 100:02d}{serial:05d}",
        "type_test_certificate": certificate,
        "rated_load_kg": load,
        "rated_speed_mps": speed,
        "stops": rng.randint(lo, hi),
        "manufactured_on": manufactured_at.date().isoformat(),
    }
    return Profile(
        index=i,
        code=code,
        category=category,
        use_unit=use_unit,
        maintainer=maintainer,
        district=city.use_units[use_unit].district,
        site=site,
        terminal=rng.random() < 0.35,
        manufactured_at=manufactured_at,
        manufactured_recorded=recorded,
        manufactured_data=data,
        scenario=scenario,
    )


def backfilled(city: City, first: datetime, at: datetime) -> datetime:
    """When a record of ``at`` (of a lift whose first record is of ``first``) reached the
    ledger: back-filled in order, a minute per week of history, the day the ledger went live."""
    assert city.ledger_from is not None
    return city.ledger_from + timedelta(minutes=max(0, (at - first).days) // 7 + 1)
