"""The plan of the demo city: :func:`plan_city` and the :class:`CityPlan` it returns."""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from demo.city import City, plan_profile
from demo.events import PlannedStatement
from demo.history import elevator_stream
from demo.organizations import DemoOrganization, city_organizations, person_name, technicians_of
from demo.scenarios import OLD, SCENARIOS, scenario_of
from domain.model.roles import Role

_MAX_ELEVATORS = 99_999  # equipment-code serials are five digits


@dataclass(frozen=True)
class CityPlan:
    """The demo city: organizations, elevators, terminals, and (lazily) every elevator statement."""

    regulator: DemoOrganization
    organizations: tuple[DemoOrganization, ...]
    elevators: tuple[str, ...]
    terminals: Mapping[str, str]
    now: datetime
    years: int
    seed: int
    #: from when the organizations must exist (roles, licences, keys): the oldest record
    start: datetime
    _city: City = field(repr=False, compare=False)

    def statements(self) -> Iterator[PlannedStatement]:
        """All elevator statements, sorted by ``recorded_at`` (ties: elevator index, then order
        within the elevator's history). A fresh generator on every call."""
        city = self._city
        streams = [elevator_stream(city, p) for p in city.profiles]
        for _recorded, _index, _seq, planned in heapq.merge(*streams):
            yield planned

    def by_role(self, role: Role) -> tuple[DemoOrganization, ...]:
        """The organizations (regulator included) holding ``role``."""
        return tuple(o for o in (self.regulator, *self.organizations) if role in o.roles)

    def organization(self, uscc: str) -> DemoOrganization:
        """The organization with this USCC; raises ``KeyError``."""
        for o in (self.regulator, *self.organizations):
            if o.uscc == uscc:
                return o
        raise KeyError(uscc)


def plan_city(elevators: int, *, years: int = 5, seed: int = 0, now: datetime) -> CityPlan:
    """Plan a synthetic city of ``elevators`` lifts whose histories span about ``years`` years
    before ``now`` (timezone-aware). Deterministic in its arguments.

    Histories start after ``now - (years + 1) years`` (where the CLI's role grants and licences
    begin) and end before ``now``.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if not 0 <= elevators <= _MAX_ELEVATORS:
        raise ValueError(f"elevators must be 0..{_MAX_ELEVATORS}")
    if years < 1:
        raise ValueError("years must be at least 1")
    now_utc = now.astimezone(UTC).replace(microsecond=0)
    orgs = city_organizations(seed, now_utc)
    regulator, others = orgs[0], orgs[1:]

    def role(r: Role) -> tuple[DemoOrganization, ...]:
        return tuple(o for o in others if r in o.roles)

    maintainers, use_units = role(Role.MAINTENANCE_UNIT), role(Role.USE_UNIT)
    city_rng = random.Random(f"elevator-ledger-demo/{seed}/city")
    picks = [city_rng.randrange(elevators) for _ in range(6)] if elevators else [-1] * 6
    scrap = picks[0] if elevators >= 6 else -1
    if elevators > len(SCENARIOS) and scrap < len(SCENARIOS):  # the scenarios keep their lifts
        scrap = len(SCENARIOS) + picks[0] % (elevators - len(SCENARIOS))
    assessment = picks[1]
    if elevators >= 2 and assessment == scrap:
        assessment = (assessment + 1) % elevators
    city = City(
        seed=seed,
        years=years,
        now=now_utc,
        end=now_utc - timedelta(minutes=1),
        regulator=regulator,
        manufacturer=role(Role.MANUFACTURER)[0],
        construction=role(Role.CONSTRUCTION_UNIT)[0],
        institute=role(Role.INSPECTION_INSTITUTE)[0],
        testing=role(Role.TESTING_BODY)[0],
        insurer=role(Role.INSURER)[0],
        rescue=role(Role.RESCUE_PLATFORM)[0],
        maintainers=maintainers,
        use_units=use_units,
        technicians=tuple(technicians_of(seed, k, o.district) for k, o in enumerate(maintainers)),
        safety_managers=tuple(person_name(random.Random(f"{seed}/sm/{k}")) for k in range(9)),
        scrap_index=scrap,
        assessment_index=assessment,
        penalty_index=picks[2],
        hazard_index=picks[3],
        stop_index=picks[4],
        complaint_index=picks[5],
        profiles=(),
        # the ordinary histories start about here; older lifts are back-filled from then
        ledger_from=now_utc - timedelta(days=round(years * 365.25) + 150),
    )
    profiles = tuple(plan_profile(city, i) for i in range(elevators))
    city = replace(city, profiles=profiles)
    terminals = {p.code: maintainers[p.maintainer].uscc for p in profiles if p.terminal}
    start = now_utc - timedelta(days=366 * (years + 1))
    if any(scenario_of(i, seed) in OLD for i in range(elevators)):
        start = min(start, now_utc - timedelta(days=366 * 18))
    return CityPlan(
        regulator=regulator,
        organizations=others,
        elevators=tuple(p.code for p in profiles),
        terminals=MappingProxyType(terminals),
        now=now_utc,
        years=years,
        seed=seed,
        start=start,
        _city=city,
    )
