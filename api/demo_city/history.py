"""One elevator's history: planned when the city-wide merge first needs it (dates of the setup,
contracts, insurance, stops, the scrapping), then streamed in ledger order from the sources of
statements, one module per area of the lifecycle."""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta

from api.demo_city.agreements import contract_groups, policy_groups
from api.demo_city.city import _City, _Profile
from api.demo_city.commissioning import setup_groups
from api.demo_city.events import PlannedStatement, _Contract, _Ev, _Group, _Policy
from api.demo_city.incidents import fault_groups, rescue_groups
from api.demo_city.inspections import inspection_groups
from api.demo_city.maintenance import visit_groups
from api.demo_city.one_offs import one_off_groups
from api.demo_city.organizations import DemoOrganization
from api.demo_city.timing import _DAY, _add_months, _iso, _local_date, _soon, _work_time
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


def _elevator_stream(
    city: _City, prof: _Profile
) -> Iterator[tuple[datetime, int, int, PlannedStatement]]:
    """The elevator's statements in ledger order as ``(recorded_at, index, seq, planned)``.

    The first one comes from the profile alone; the history is planned when the second is asked
    for, so merging thousands of these streams starts at once.
    """
    first = PlannedStatement(
        recorded_at=prof.manufactured_recorded.astimezone(UTC),
        signers=(city.manufacturer.uscc,),
        statement={
            "type": "elevator.manufactured",
            "elevator": prof.code,
            "issuer": city.manufacturer.uscc,
            "occurred_at": _iso(prof.manufactured_at),
            "nonce": _nonce(city, prof, 0),
            "data": dict(prof.manufactured_data),
        },
    )
    yield first.recorded_at, prof.index, 0, first
    yield from _History(city, prof).rest()


def _nonce(city: _City, prof: _Profile, seq: int) -> str:
    return f"demo-{city.seed}-{prof.index}-{seq}"


class _History:
    """Plans one elevator's life and streams it after ``elevator.manufactured``."""

    def __init__(self, city: _City, prof: _Profile) -> None:
        self.city = city
        self.p = prof
        self.i = prof.index
        self.ref = f"{prof.index + 1:05d}"
        self.use = city.use_units[prof.use_unit]
        self.escalator = is_escalator(prof.category)
        self.stops: list[tuple[datetime, datetime, date, date]] = []  # occ, rec end, dates
        self.cut: datetime | None = None
        self.stop_group: _Group | None = None
        self._plan_setup()
        self._plan_contracts()
        self._plan_insurance()
        if self.i == city.scrap_index:
            rng = city.rng(self.i, "scrap")
            self.cut = _work_time(_local_date(city.end) - timedelta(days=rng.randint(20, 60)), rng)
        self.horizon = self.cut if self.cut is not None else city.end
        self._plan_stops()

    # ---- planning ---------------------------------------------------------------------------

    def _plan_setup(self) -> None:
        rng = self.city.rng(self.i, "setup")
        man = self.p.manufactured_at
        self.t_sold = _work_time(man.date() + timedelta(days=rng.randint(5, 30)), rng)
        self.t_notice = _work_time(self.t_sold.date() + timedelta(days=rng.randint(10, 40)), rng)
        self.planned_start = self.t_notice.date() + timedelta(days=rng.randint(3, 10))
        self.t_built = _work_time(self.t_notice.date() + timedelta(days=rng.randint(30, 60)), rng)
        self.t_supervisory = _work_time(
            self.t_built.date() + timedelta(days=rng.randint(5, 15)), rng
        )
        self.supervisory_fail = rng.random() < 0.10
        self.t_reinspect: datetime | None = None
        passed = self.t_supervisory
        if self.supervisory_fail:
            self.t_reinspect = _work_time(
                self.t_supervisory.date() + timedelta(days=rng.randint(18, 22)), rng
            )
            passed = self.t_reinspect
        self.baseline = passed.date()
        self.t_registered = _work_time(self.baseline + timedelta(days=rng.randint(3, 25)), rng)
        self.t_rescue_code = _work_time(
            self.t_registered.date() + timedelta(days=rng.randint(1, 10)), rng
        )

    def _plan_contracts(self) -> None:
        rng = self.city.rng(self.i, "contracts")
        n_maint = len(self.city.maintainers)
        switch_at = -1
        if not self.p.terminal and rng.random() < 0.12:
            switch_at = rng.randint(1, 2)
        unit = self.p.maintainer
        signed = _work_time(self.t_registered.date() + timedelta(days=rng.randint(1, 3)), rng)
        valid_from = signed.date()
        contracts: list[_Contract] = []
        end_date = _local_date(self.city.end)
        while True:
            years = rng.choice((1, 1, 2))
            valid_to = _add_months(valid_from, 12 * years) - _DAY
            contracts.append(
                _Contract(
                    f"WB-{valid_from.year}-{self.ref}-{len(contracts) + 1}",
                    unit,
                    valid_from,
                    valid_to,
                    signed,
                )
            )
            if valid_to >= end_date:
                break
            signed = _work_time(valid_to - timedelta(days=rng.randint(3, 20)), rng)
            valid_from = valid_to + _DAY
            if len(contracts) == switch_at:
                unit = (unit + 1 + rng.randrange(n_maint - 1)) % n_maint
        self.contracts = contracts
        self.service_start = contracts[0].signed

    def _plan_insurance(self) -> None:
        rng = self.city.rng(self.i, "insurance")
        self.policies: list[_Policy] = []
        self.coverage = rng.choice(("1000000.00", "2000000.00"))
        if rng.random() >= 0.85:
            return
        issued = _work_time(self.t_registered.date() + timedelta(days=rng.randint(2, 15)), rng)
        valid_from = issued.date()
        end_date = _local_date(self.city.end)
        while True:
            valid_to = _add_months(valid_from, 12) - _DAY
            number = f"PZ-{valid_from.year}-{self.ref}-{len(self.policies) + 1:02d}"
            self.policies.append(_Policy(number, valid_from, valid_to, issued))
            if valid_to >= end_date:
                break
            issued = _work_time(valid_to - timedelta(days=rng.randint(1, 10)), rng)
            if issued > self.city.end:
                break
            valid_from = valid_to + _DAY

    def _plan_stops(self) -> None:
        rng = self.city.rng(self.i, "stops")
        if not (self.i == self.city.stop_index or rng.random() < 0.06):
            return
        lo = self.service_start.date() + timedelta(days=60)
        hi = _local_date(self.horizon) - timedelta(days=45)
        if hi <= lo:
            return
        busy = [c.signed for c in self.contracts] + [p.issued for p in self.policies]
        for _ in range(8):
            day = lo + timedelta(days=rng.randint(0, (hi - lo).days))
            a = _work_time(day, rng)
            b = _work_time(day + timedelta(days=rng.randint(3, 30)), rng)
            if any(a - 3 * _DAY <= t <= b + 3 * _DAY for t in busy):
                continue
            a_rec, b_rec = _soon(a, rng, 60, 600), _soon(b, rng, 60, 600)
            self.stops.append((a, b_rec, a.date(), b.date()))
            reason, note = rng.choice(_STOP_REASONS)
            self.stop_group = _Group(
                [
                    _Ev(a, a_rec, "use.stopped", self.use.uscc, {"reason": reason}),
                    _Ev(b, b_rec, "use.resumed", self.use.uscc, {"note": note}),
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

    def policy_on(self, d: date) -> _Policy | None:
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
                d + timedelta(days=span + 1) < da or d - _DAY > db for _a, _b, da, db in self.stops
            ):
                return d
        return None

    # ---- streaming --------------------------------------------------------------------------

    def rest(self) -> Iterator[tuple[datetime, int, int, PlannedStatement]]:
        # one source per area of the lifecycle, each yielding groups in order of their key
        sources: list[Iterable[_Group]] = [
            setup_groups(self),
            contract_groups(self),
            policy_groups(self),
            visit_groups(self),
            inspection_groups(self),
            fault_groups(self),
            rescue_groups(self),
            one_off_groups(self),
        ]
        buffer: list[tuple[datetime, int, _Ev]] = []
        seq = 1
        for group in heapq.merge(*sources, key=lambda g: g.key):
            for ev in self._admit(group):
                heapq.heappush(buffer, (ev.recorded, seq, ev))
                seq += 1
            while buffer and buffer[0][0] <= group.key:
                yield self._emit(*heapq.heappop(buffer))
        while buffer:
            yield self._emit(*heapq.heappop(buffer))

    def _admit(self, group: _Group) -> list[_Ev]:
        kept: list[_Ev] = []
        for ev in group.events:
            if ev.recorded > self.city.end:
                return kept  # still to come after now: what happened so far stands
            if not group.fixed and self.blocked(ev.occurred, ev.recorded, ev.type):
                return kept if group.prefix_ok else []
            kept.append(ev)
        return kept

    def _emit(
        self, recorded: datetime, seq: int, ev: _Ev
    ) -> tuple[datetime, int, int, PlannedStatement]:
        recorded_utc = recorded.astimezone(UTC)
        signers = (ev.issuer,) if ev.cosigner is None else (ev.issuer, ev.cosigner)
        statement = {
            "type": ev.type,
            "elevator": self.p.code,
            "issuer": ev.issuer,
            "occurred_at": _iso(ev.occurred),
            "nonce": _nonce(self.city, self.p, seq),
            "data": ev.data,
        }
        return (
            recorded_utc,
            self.i,
            seq,
            PlannedStatement(recorded_utc, signers, statement, ev.via_terminal),
        )
