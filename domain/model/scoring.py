"""Maintainer scoring as policy data: scoring schemes scoped to a jurisdiction and an effective
period, and the rescue arrival limit per district.

A scheme is a province's (or city's) rule, so it applies only to lifts in its jurisdiction
(a GB/T 2260 area-code prefix) and only to what happened while it was in force; a ledger with
no scheme adopted for a lift shows no grade for its maintainer. Even a scheme in force yields
a computed indicator (参考), never the regulator's published credit grade (DOMAIN.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

# --- rescue arrival limits -------------------------------------------------------------------

CITY_LIMIT = timedelta(minutes=30)
ELSEWHERE_LIMIT = timedelta(hours=1)


@dataclass(frozen=True)
class ArrivalLimit:
    """How long a maintainer may take to reach an entrapment in the districts under
    ``jurisdiction`` (a GB/T 2260 prefix; the longest matching prefix wins)."""

    jurisdiction: str
    limit: timedelta
    name_zh: str


#: Yiyang (益阳, 4309) as the notice names it: the city districts within 30 minutes, the
#: counties 南县、桃江、安化 and the county-level city 沅江 within 1 hour. 益阳高新区 and
#: 大通湖区 have no county code of their own; the ledger codes them 430900 (the city's code,
#: as demo/city.py does) and holds them to the city limit, the stricter one.
ARRIVAL_LIMITS: tuple[ArrivalLimit, ...] = (
    ArrivalLimit("430900", CITY_LIMIT, "益阳市（高新区、大通湖区）"),
    ArrivalLimit("430902", CITY_LIMIT, "资阳区"),
    ArrivalLimit("430903", CITY_LIMIT, "赫山区"),
    ArrivalLimit("430921", ELSEWHERE_LIMIT, "南县"),
    ArrivalLimit("430922", ELSEWHERE_LIMIT, "桃江县"),
    ArrivalLimit("430923", ELSEWHERE_LIMIT, "安化县"),
    ArrivalLimit("430981", ELSEWHERE_LIMIT, "沅江市"),
)


def arrival_limit(district: str) -> timedelta:
    """The arrival limit for a lift in ``district`` (six digits): the listed district's (the
    longest matching prefix), else what its code's shape says (:func:`limit_by_code_shape`)."""
    listed = [a for a in ARRIVAL_LIMITS if district.startswith(a.jurisdiction)]
    if listed:
        return max(listed, key=lambda a: len(a.jurisdiction)).limit
    return limit_by_code_shape(district)


def limit_by_code_shape(district: str) -> timedelta:
    """City or elsewhere by the GB/T 2260 code: 01–20 in the last two digits are 市辖区 (city
    districts, 30 minutes), 00 is a prefecture's own code (the city, 30 minutes), 21–80 are
    counties and 81–99 county-level cities (1 hour)."""
    county = int(district[4:6]) if district[4:6].isdigit() else 0
    return CITY_LIMIT if county <= 20 else ELSEWHERE_LIMIT


# --- scoring schemes -------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoringScheme:
    """A penalty-point scheme for maintenance units, in force in ``jurisdiction`` from
    ``effective_from`` until the day before ``effective_to`` (open-ended if None). Points
    per rule; a rule the scheme does not score is None."""

    id: str
    name_zh: str
    jurisdiction: str  # GB/T 2260 prefix
    effective_from: date
    effective_to: date | None
    rescue_late_points: int  # per rescue reached later than the district's limit (or never)
    faults_in_a_month: int
    faults_points: int  # per lift and month with at least ``faults_in_a_month`` faults
    pass_rate_points: tuple[tuple[float, int], ...]  # (below this rate, points), worst first
    penalty_points: int | None = None  # per administrative penalty naming the maintainer
    overdue_gap: timedelta | None = None
    overdue_points: int | None = None  # per visit later than ``overdue_gap`` after the last
    grades: tuple[tuple[int, str], ...] = ((10, "A"), (25, "B"), (40, "C"))  # else "D"

    def in_force(self, district: str | None, on: date) -> bool:
        """Whether the scheme applies to a lift in ``district`` for what happened ``on``."""
        if district is None or not district.startswith(self.jurisdiction):
            return False
        return self.effective_from <= on and (self.effective_to is None or on < self.effective_to)

    def band(self, total: int) -> str:
        """The letter the scheme gives ``total`` points (A ≤10, B ≤25, C ≤40, else D)."""
        return next((g for limit, g in self.grades if total <= limit), "D")


#: Fujian's penalty points per calendar year (DOMAIN.md), the items the ledger observes:
#: rescue arrival over the limit 10 per case, ≥3 faults in a month on one lift 10, first-time
#: inspection pass rate <95% 2, <90% 5, <80% 10, <70% 20. (Its licence and duty-phone items
#: are not statements the ledger holds.)
FUJIAN_2024 = ScoringScheme(
    id="fujian-2024",
    name_zh="福建省电梯维保单位记分办法",
    jurisdiction="35",
    effective_from=date(2024, 1, 1),
    effective_to=None,
    rescue_late_points=10,
    faults_in_a_month=3,
    faults_points=10,
    pass_rate_points=((0.70, 20), (0.80, 10), (0.90, 5), (0.95, 2)),
)

SCHEMES: dict[str, ScoringScheme] = {FUJIAN_2024.id: FUJIAN_2024}


def adopted_scheme(
    district: str | None, on: date, schemes: tuple[ScoringScheme, ...] | None = None
) -> ScoringScheme | None:
    """The scheme in force for a lift in ``district`` on ``on`` (the most local, i.e. the
    longest jurisdiction, if several), or None: then no grade is shown for its maintainer."""
    found = [s for s in (schemes or tuple(SCHEMES.values())) if s.in_force(district, on)]
    return max(found, key=lambda s: len(s.jurisdiction)) if found else None


@dataclass(frozen=True)
class Period:
    """A calendar year of scoring, as far as it has gone: a year not yet over is partial
    (its points so far, not the year's), and must be labelled so."""

    year: int
    through: date  # the last day counted

    @classmethod
    def of(cls, year: int, today: date) -> Period:
        """The year ``year`` as seen ``today``: to its end if over, else up to today."""
        return cls(year, min(date(year, 12, 31), today))

    @property
    def complete(self) -> bool:
        return self.through == date(self.year, 12, 31)

    @property
    def label_zh(self) -> str:
        if self.complete:
            return f"{self.year} 年度"
        return f"{self.year} 年截至 {self.through.month} 月 {self.through.day} 日（年度未结束）"
