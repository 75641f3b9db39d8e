"""One elevator's life, planned when the city-wide merge first needs more than its first
statement: the dates of its setup, its contracts and insurance, its stops and its scrapping, and
the lookups the sources of statements (one module per area of the lifecycle) ask of them.

It imports none of those sources: :mod:`demo.history` hands this plan to each of them and merges
what they yield, so the dependency points one way.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta

from demo.city import City, Profile, backfilled
from demo.events import Contract, Draft, Group, InsurancePolicy
from demo.organizations import DemoOrganization
from demo.scenarios import OLD, WORKS, Scenario
from demo.timing import DAY, add_months, local_date, month_end, soon, work_time
from domain.model.identifiers import is_escalator

_STOP_REASONS = (
    ("小区电力线路改造施工", "施工结束，恢复使用"),
    ("楼宇外立面装修，暂停使用", "装修结束，经自查后恢复使用"),
    ("使用单位自查发现异常，停梯待修", "维修完成，经自查后恢复使用"),
)

#: Statement types that may happen while the elevator is stopped.
_WHILE_STOPPED = frozenset(
    {
        "inspection.concluded",
        "hazard.listed",
        "hazard.closed",
        "rectification.ordered",
        "rectification.completed",
        "complaint.received",
        "complaint.resolved",
    }
)


class ElevatorLife:
    """The plan of one elevator's life, which every source of its statements reads."""

    def __init__(self, city: City, prof: Profile) -> None:
        self.city = city
        self.p = prof
        self.i = prof.index
        self.ref = f"{prof.index + 1:05d}"
        self.use = city.use_units[prof.use_unit]
        self.escalator = is_escalator(prof.category)
        self.scenario = prof.scenario
        self.old = prof.scenario in OLD
        self.stops: list[tuple[datetime, datetime, date, date]] = []  # occ, rec end, dates
        #: constructions after registration: (notified, last recorded, dates), like stops
        self.works: list[tuple[datetime, datetime, date, date]] = []
        #: their supervisory passes and construction kinds, for the inspection schedule
        self.passes: list[tuple[datetime, datetime, str]] = []  # notified, passed, kind
        self.works_group: Group | None = None
        self.cut: datetime | None = None
        self.stop_group: Group | None = None
        self.change_at: datetime | None = None  # the change of use unit
        self.new_use: DemoOrganization | None = None
        self.change_group: list[Draft] = []
        self._plan_setup()
        self._plan_contracts()
        if self.scenario is Scenario.USE_UNIT_CHANGE:
            self._plan_use_unit_change()
        self._plan_insurance()
        if self.i == city.scrap_index:
            rng = city.rng(self.i, "scrap")
            self.cut = work_time(local_date(city.end) - timedelta(days=rng.randint(20, 60)), rng)
        self.horizon = self.cut if self.cut is not None else city.end
        self._plan_stops()
        if self.scenario in WORKS:
            self._plan_works(WORKS[self.scenario])

    # ---- planning ---------------------------------------------------------------------------

    def _plan_setup(self) -> None:
        rng = self.city.rng(self.i, "setup")
        man = self.p.manufactured_at
        self.t_sold = work_time(man.date() + timedelta(days=rng.randint(5, 30)), rng)
        self.t_notice = work_time(self.t_sold.date() + timedelta(days=rng.randint(10, 40)), rng)
        self.planned_start = self.t_notice.date() + timedelta(days=rng.randint(3, 10))
        self.t_built = work_time(self.t_notice.date() + timedelta(days=rng.randint(30, 60)), rng)
        self.t_supervisory = work_time(
            self.t_built.date() + timedelta(days=rng.randint(5, 15)), rng
        )
        self.supervisory_fail = rng.random() < 0.10
        self.t_reinspect: datetime | None = None
        passed = self.t_supervisory
        if self.supervisory_fail:
            self.t_reinspect = work_time(
                self.t_supervisory.date() + timedelta(days=rng.randint(18, 22)), rng
            )
            passed = self.t_reinspect
        self.baseline = passed.date()
        wait = rng.randint(3, 25)
        if self.scenario is Scenario.UNREGISTERED_USE:  # carried people before it was registered
            wait = 20 + wait % 6
        self.t_registered = work_time(self.baseline + timedelta(days=wait), rng)
        self.t_rescue_code = work_time(
            self.t_registered.date() + timedelta(days=rng.randint(1, 10)), rng
        )
        legacy = self.scenario in (Scenario.LEGACY, *OLD)
        self.regime = "legacy_annual" if legacy else "tsg_t7001_2023"

    def rec(self, t: datetime, rng: random.Random) -> datetime:
        """When a statement of ``t`` reached the ledger: soon, or for a lift older than the
        ledger, back-filled the day it went live."""
        recorded = soon(t, rng)
        ledger_from = self.city.ledger_from
        if self.old and ledger_from is not None and recorded < ledger_from:
            return backfilled(self.city, self.p.manufactured_at, t)
        return recorded

    def _plan_contracts(self) -> None:
        rng = self.city.rng(self.i, "contracts")
        switch_at = -1
        if not self.p.terminal and rng.random() < 0.12 and self.scenario is None:
            switch_at = rng.randint(1, 2)
        signed = work_time(self.t_registered.date() + timedelta(days=rng.randint(1, 3)), rng)
        if self.old:  # its contracts enter the ledger when the ledger starts
            assert self.city.ledger_from is not None
            start = local_date(self.city.ledger_from) + timedelta(days=rng.randint(1, 3))
            signed = work_time(start, rng)
        elif self.scenario is Scenario.UNREGISTERED_USE:  # maintained before registration
            signed = work_time(self.t_built.date() + DAY, rng, 8.5, 10.0)
        policy = "on_demand_monthly" if self.scenario is Scenario.ON_DEMAND else "classic_15_day"
        self.contracts = self._chain(rng, self.p.maintainer, signed, signed.date(), [], switch_at)
        self.contracts = [replace(c, policy=policy) for c in self.contracts]
        if self.scenario is Scenario.NO_CONTRACT:  # the last one ran out, not renewed
            end_date = local_date(self.city.end)
            lapse = end_date - timedelta(days=rng.randint(20, 40))
            while len(self.contracts) > 1 and self.contracts[-1].valid_from > lapse - timedelta(
                days=60
            ):
                self.contracts.pop()
            if self.contracts[-1].valid_from < lapse:
                self.contracts[-1] = replace(self.contracts[-1], valid_to=lapse)
        self.service_start = max(self.contracts[0].signed, self.t_registered)

    def _chain(
        self,
        rng: random.Random,
        unit: int,
        signed: datetime,
        valid_from: date,
        contracts: list[Contract],
        switch_at: int = -1,
        use_unit: int | None = None,
    ) -> list[Contract]:
        """Contracts from ``valid_from`` on, each renewed before it runs out, until one covers
        the city's last day (appended to ``contracts``)."""
        n_maint = len(self.city.maintainers)
        end_date = local_date(self.city.end)
        first = len(contracts)
        while True:
            years = rng.choice((1, 1, 2))
            valid_to = add_months(valid_from, 12 * years) - DAY
            contracts.append(
                Contract(
                    f"WB-{valid_from.year}-{self.ref}-{len(contracts) + 1}",
                    unit,
                    valid_from,
                    valid_to,
                    signed,
                    use_unit=use_unit,
                    change=use_unit is not None and len(contracts) == first,
                )
            )
            if valid_to >= end_date:
                return contracts
            signed = work_time(valid_to - timedelta(days=rng.randint(3, 20)), rng)
            valid_from = valid_to + DAY
            if len(contracts) == switch_at:
                unit = (unit + 1 + rng.randrange(n_maint - 1)) % n_maint

    def _plan_use_unit_change(self) -> None:
        """The building changes hands: the registration is changed to the new use unit, which
        ends the running contract and signs its own with the same maintainer that day."""
        rng = self.city.rng(self.i, "use-unit-change")
        end_date = local_date(self.city.end)
        signings = [c.signed.date() for c in self.contracts]
        day = end_date - timedelta(days=rng.randint(420, 600))
        while any(abs((day - d).days) <= 5 for d in signings):
            day += timedelta(days=7)
        if day < self.service_start.date() + timedelta(days=60):
            return  # too young a city for this story
        k = next(n for n, c in enumerate(self.contracts) if c.valid_from <= day <= c.valid_to)
        running = self.contracts[k]
        new = (self.p.use_unit + 1) % len(self.city.use_units)
        self.new_use = self.city.use_units[new]
        self.change_at = work_time(day, rng, 9.0, 10.0)
        ended = replace(running, ended_on=day)
        signed = self.change_at + timedelta(minutes=rng.randint(60, 120))
        self.contracts = self._chain(
            rng, running.unit, signed, day, [*self.contracts[:k], ended], use_unit=new
        )
        category = self.p.category.value
        at = self.change_at
        self.change_group = [
            Draft(
                at,
                soon(at, rng),
                "registration.changed",
                self.city.regulator.uscc,
                {
                    "reason": "use_unit_change",
                    "registration_code": (
                        f"{category}{self.p.district}{at:%Y%m}{self.i % 9999 + 1:04d}"
                    ),
                    "certificate_number": f"梯{category[1:3]}湘H{self.i + 5001}({at:%y})",
                    "use_unit": self.new_use.uscc,
                    "district": self.p.district,
                },
            ),
            Draft(
                at + timedelta(minutes=30),
                soon(at + timedelta(minutes=30), rng),
                "maintenance_contract.ended",
                self.new_use.uscc,
                {"contract_number": running.number, "reason": "使用单位变更，原维保合同终止"},
            ),
        ]

    def _plan_insurance(self) -> None:
        rng = self.city.rng(self.i, "insurance")
        self.policies: list[InsurancePolicy] = []
        self.coverage = rng.choice(("1000000.00", "2000000.00"))
        if rng.random() >= 0.85 and self.scenario is None:
            return
        issued = work_time(self.t_registered.date() + timedelta(days=rng.randint(2, 15)), rng)
        if self.old:
            issued = work_time(self.contracts[0].signed.date() + timedelta(days=2), rng)
        valid_from = issued.date()
        end_date = local_date(self.city.end)
        while True:
            valid_to = add_months(valid_from, 12) - DAY
            number = f"PZ-{valid_from.year}-{self.ref}-{len(self.policies) + 1:02d}"
            self.policies.append(InsurancePolicy(number, valid_from, valid_to, issued))
            if valid_to >= end_date:
                break
            issued = work_time(valid_to - timedelta(days=rng.randint(1, 10)), rng)
            if issued > self.city.end or (self.change_at is not None and issued > self.change_at):
                break  # the new use unit has not insured it
            valid_from = valid_to + DAY

    def _busy(self) -> list[datetime]:
        """When contracts and policies are signed: no stop or construction near them."""
        return [c.signed for c in self.contracts] + [p.issued for p in self.policies]

    def _plan_stops(self) -> None:
        rng = self.city.rng(self.i, "stops")
        if self.scenario is Scenario.STOPPED:
            self._plan_last_stop(rng)
            return
        if self.scenario is not None:
            return  # a scenario's story has no random stop
        if not (self.i == self.city.stop_index or rng.random() < 0.06):
            return
        lo = self.service_start.date() + timedelta(days=60)
        hi = local_date(self.horizon) - timedelta(days=45)
        if hi <= lo:
            return
        busy = self._busy()
        for _ in range(8):
            day = lo + timedelta(days=rng.randint(0, (hi - lo).days))
            a = work_time(day, rng)
            b = work_time(day + timedelta(days=rng.randint(3, 30)), rng)
            if any(a - 3 * DAY <= t <= b + 3 * DAY for t in busy):
                continue
            a_rec, b_rec = soon(a, rng, 60, 600), soon(b, rng, 60, 600)
            self.stops.append((a, b_rec, a.date(), b.date()))
            reason, note = rng.choice(_STOP_REASONS)
            self.stop_group = Group(
                [
                    Draft(a, a_rec, "use.stopped", self.use.uscc, {"reason": reason}),
                    Draft(b, b_rec, "use.resumed", self.use.uscc, {"note": note}),
                ],
                fixed=True,
            )
            return

    def _plan_last_stop(self, rng: random.Random) -> None:
        """Stopped a month or two ago and not resumed."""
        end_date = local_date(self.city.end)
        busy = [t.date() for t in self._busy()]
        day = end_date - timedelta(days=rng.randint(30, 60))
        while any(abs((day - d).days) <= 3 for d in busy):
            day -= timedelta(days=4)
        if day < self.service_start.date() + timedelta(days=30):
            return  # too young a city for this story
        a = work_time(day, rng)
        later = self.city.end + timedelta(days=30)
        self.stops.append((a, later, day, end_date + timedelta(days=30)))
        reason = "曳引机异响，使用单位停梯待修"
        self.stop_group = Group(
            [Draft(a, soon(a, rng, 60, 600), "use.stopped", self.use.uscc, {"reason": reason})],
            fixed=True,
        )

    def _plan_works(self, kind: str) -> None:
        """A modification, major repair or relocation a year or more after registration: the
        construction unit notifies and completes it, the institute's supervisory inspection
        passes it, and a modification or relocation has its registration changed."""
        rng = self.city.rng(self.i, "works")
        city = self.city
        lo = self.service_start.date() + timedelta(days=400)
        hi = local_date(city.end) - timedelta(days=200)
        busy = [t.date() for t in self._busy()]
        if hi <= lo:
            return  # too young a city for this story
        day = lo + timedelta(days=rng.randint(0, (hi - lo).days))
        while any(day - timedelta(days=3) <= d <= day + timedelta(days=50) for d in busy):
            day += timedelta(days=7)
        if day > hi + timedelta(days=100):
            return
        notified = work_time(day, rng)
        built = work_time(day + timedelta(days=rng.randint(10, 25)), rng)
        passed = work_time(built.date() + timedelta(days=rng.randint(5, 10)), rng)
        builder, institute = city.construction.uscc, city.institute.uscc
        site, district = self.p.site, self.p.district
        if kind == "relocation":  # moved to a factory in another district
            site, district = f"益阳市赫山区龙岭工业园{rng.randint(1, 20)}号厂房", "430903"
            if district == self.p.district:
                district = "430902"
                site = f"益阳市资阳区长春经济开发区{rng.randint(1, 20)}号厂房"
        events = [
            Draft(
                notified,
                soon(notified, rng),
                "construction.notified",
                builder,
                {
                    "kind": kind,
                    "site_address": site,
                    "district": district,
                    "planned_start": (day + timedelta(days=3)).isoformat(),
                },
            ),
            Draft(
                built,
                soon(built, rng),
                "construction.completed",
                builder,
                {"kind": kind, "completed_on": built.date().isoformat(), "self_check_passed": True},
            ),
            Draft(
                passed,
                soon(passed, rng),
                "inspection.concluded",
                institute,
                {
                    "kind": "supervisory",
                    "conclusion": "pass",
                    "report_number": f"JD-{passed.year}-{self.ref}-{kind[:3].upper()}",
                    "findings": [],
                    "next_due": month_end(add_months(passed.date(), 12)).isoformat(),
                },
            ),
        ]
        if kind == "relocation" or self.scenario is Scenario.MODIFICATION:
            changed = work_time(passed.date() + timedelta(days=rng.randint(2, 6)), rng)
            category = self.p.category.value
            code = f"{category}{self.p.district}{self.t_registered:%Y%m}{self.i % 9999 + 1:04d}"
            if kind == "relocation":
                code = f"{category}{district}{changed:%Y%m}{self.i % 9999 + 1:04d}"
            events.append(
                Draft(
                    changed,
                    soon(changed, rng),
                    "registration.changed",
                    city.regulator.uscc,
                    {
                        "reason": kind,
                        "registration_code": code,
                        "certificate_number": f"梯{category[1:3]}湘H{self.i + 1}({changed:%y})",
                        "use_unit": self.use.uscc,
                        "district": district,
                    },
                )
            )
        last = events[-1]
        self.works.append((notified, last.recorded, day, local_date(last.occurred)))
        self.passes.append((notified, passed, kind))
        self.works_group = Group(events, fixed=True)

    # ---- lookups ----------------------------------------------------------------------------

    def unit_on(self, d: date) -> DemoOrganization | None:
        for c in self.contracts:
            if c.valid_from <= d <= c.last_day():
                return self.city.maintainers[c.unit]
        return None

    def use_on(self, d: date) -> DemoOrganization:
        """The registered use unit on ``d``."""
        if self.change_at is not None and self.new_use is not None and d >= self.change_at.date():
            return self.new_use
        return self.use

    def use_unit_of(self, c: Contract) -> DemoOrganization:
        return self.use if c.use_unit is None else self.city.use_units[c.use_unit]

    def policy_on(self, d: date) -> InsurancePolicy | None:
        if self.change_at is not None and d >= self.change_at.date():
            return None  # the old use unit's policy does not cover the new one
        for p in self.policies:
            if p.valid_from <= d <= p.valid_to:
                return p
        return None

    def blocked(self, occurred: datetime, recorded: datetime, type_: str) -> bool:
        """Whether a statement so timed would fall in a stop or after the scrapping."""
        if self.cut is not None and recorded >= self.cut:
            return True
        if any(occurred <= b and recorded >= a for a, b, _da, _db in self.works):
            return True  # under construction: nothing but the construction's own statements
        if type_ in _WHILE_STOPPED:
            return False
        return any(occurred <= b and recorded >= a for a, b, _da, _db in self.stops)

    def stopped_on(self, d: date) -> date | None:
        """The resume date if ``d`` lies in a stop or a construction, else None."""
        for _a, _b, da, db in (*self.stops, *self.works):
            if da <= d <= db:
                return db
        return None

    def free_day(self, rng: random.Random, lo: date, hi: date, span: int) -> date | None:
        """A day in ``lo..hi`` whose next ``span`` days avoid every stop (or None)."""
        if hi <= lo:
            return None
        for _ in range(6):
            d = lo + timedelta(days=rng.randint(0, (hi - lo).days))
            if all(
                d + timedelta(days=span + 1) < da or d - DAY > db
                for _a, _b, da, db in (*self.stops, *self.works)
            ):
                return d
        return None
