"""One elevator's life, planned when the city-wide merge first needs more than its first
statement: the dates of its setup, its contracts and insurance, its stops and its scrapping, and
the lookups the sources of statements (one module per area of the lifecycle) ask of them.

It imports none of those sources: :mod:`demo.history` hands this plan to each of them and merges
what they yield, so the dependency points one way.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from demo.city import City, Profile
from demo.events import Contract, Draft, Group, InsurancePolicy
from demo.organizations import DemoOrganization
from demo.timing import DAY, add_months, local_date, soon, work_time
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
        self.stops: list[tuple[datetime, datetime, date, date]] = []  # occ, rec end, dates
        self.cut: datetime | None = None
        self.stop_group: Group | None = None
        self._plan_setup()
        self._plan_contracts()
        self._plan_insurance()
        if self.i == city.scrap_index:
            rng = city.rng(self.i, "scrap")
            self.cut = work_time(local_date(city.end) - timedelta(days=rng.randint(20, 60)), rng)
        self.horizon = self.cut if self.cut is not None else city.end
        self._plan_stops()

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
        self.t_registered = work_time(self.baseline + timedelta(days=rng.randint(3, 25)), rng)
        self.t_rescue_code = work_time(
            self.t_registered.date() + timedelta(days=rng.randint(1, 10)), rng
        )

    def _plan_contracts(self) -> None:
        rng = self.city.rng(self.i, "contracts")
        n_maint = len(self.city.maintainers)
        switch_at = -1
        if not self.p.terminal and rng.random() < 0.12:
            switch_at = rng.randint(1, 2)
        unit = self.p.maintainer
        signed = work_time(self.t_registered.date() + timedelta(days=rng.randint(1, 3)), rng)
        valid_from = signed.date()
        contracts: list[Contract] = []
        end_date = local_date(self.city.end)
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
                )
            )
            if valid_to >= end_date:
                break
            signed = work_time(valid_to - timedelta(days=rng.randint(3, 20)), rng)
            valid_from = valid_to + DAY
            if len(contracts) == switch_at:
                unit = (unit + 1 + rng.randrange(n_maint - 1)) % n_maint
        self.contracts = contracts
        self.service_start = contracts[0].signed

    def _plan_insurance(self) -> None:
        rng = self.city.rng(self.i, "insurance")
        self.policies: list[InsurancePolicy] = []
        self.coverage = rng.choice(("1000000.00", "2000000.00"))
        if rng.random() >= 0.85:
            return
        issued = work_time(self.t_registered.date() + timedelta(days=rng.randint(2, 15)), rng)
        valid_from = issued.date()
        end_date = local_date(self.city.end)
        while True:
            valid_to = add_months(valid_from, 12) - DAY
            number = f"PZ-{valid_from.year}-{self.ref}-{len(self.policies) + 1:02d}"
            self.policies.append(InsurancePolicy(number, valid_from, valid_to, issued))
            if valid_to >= end_date:
                break
            issued = work_time(valid_to - timedelta(days=rng.randint(1, 10)), rng)
            if issued > self.city.end:
                break
            valid_from = valid_to + DAY

    def _plan_stops(self) -> None:
        rng = self.city.rng(self.i, "stops")
        if not (self.i == self.city.stop_index or rng.random() < 0.06):
            return
        lo = self.service_start.date() + timedelta(days=60)
        hi = local_date(self.horizon) - timedelta(days=45)
        if hi <= lo:
            return
        busy = [c.signed for c in self.contracts] + [p.issued for p in self.policies]
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

    # ---- lookups ----------------------------------------------------------------------------

    def unit_on(self, d: date) -> DemoOrganization | None:
        for c in self.contracts:
            if c.valid_from <= d <= c.valid_to:
                return self.city.maintainers[c.unit]
        return None

    def policy_on(self, d: date) -> InsurancePolicy | None:
        for p in self.policies:
            if p.valid_from <= d <= p.valid_to:
                return p
        return None

    def blocked(self, occurred: datetime, recorded: datetime, type_: str) -> bool:
        """Whether a statement so timed would fall in a stop or after the scrapping."""
        if self.cut is not None and recorded >= self.cut:
            return True
        if type_ in _WHILE_STOPPED:
            return False
        return any(occurred <= b and recorded >= a for a, b, _da, _db in self.stops)

    def stopped_on(self, d: date) -> date | None:
        """The resume date if ``d`` lies in a stop, else None."""
        for _a, _b, da, db in self.stops:
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
                d + timedelta(days=span + 1) < da or d - DAY > db for _a, _b, da, db in self.stops
            ):
                return d
        return None
