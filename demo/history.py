"""One elevator's history, streamed in ledger order: its first statement from the profile alone,
then, once its life is planned (:class:`~demo.life.ElevatorLife`), the statements of every source,
one module per area of the lifecycle, merged by time."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from demo.agreements import contract_groups, policy_groups
from demo.city import City, Profile
from demo.commissioning import setup_groups
from demo.events import Draft, Group, PlannedStatement
from demo.incidents import fault_groups, rescue_groups
from demo.inspections import inspection_groups
from demo.life import ElevatorLife
from demo.maintenance import visit_groups
from demo.one_offs import one_off_groups
from demo.timing import iso

#: (recorded_at in UTC, elevator index, order within the elevator's history, the statement)
Numbered = tuple[datetime, int, int, PlannedStatement]


def elevator_stream(city: City, prof: Profile) -> Iterator[Numbered]:
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
            "occurred_at": iso(prof.manufactured_at),
            "nonce": _nonce(city, prof, 0),
            "data": dict(prof.manufactured_data),
        },
    )
    yield first.recorded_at, prof.index, 0, first
    yield from _rest(ElevatorLife(city, prof))


def _nonce(city: City, prof: Profile, seq: int) -> str:
    return f"demo-{city.seed}-{prof.index}-{seq}"


def _rest(life: ElevatorLife) -> Iterator[Numbered]:
    """Everything after ``elevator.manufactured``: the sources' groups merged by their key, each
    statement held in a small buffer until nothing earlier can still come."""
    # one source per area of the lifecycle, each yielding groups in order of their key
    sources: list[Iterable[Group]] = [
        setup_groups(life),
        contract_groups(life),
        policy_groups(life),
        visit_groups(life),
        inspection_groups(life),
        fault_groups(life),
        rescue_groups(life),
        one_off_groups(life),
    ]
    buffer: list[tuple[datetime, int, Draft]] = []
    seq = 1
    for group in heapq.merge(*sources, key=lambda g: g.key):
        for ev in _admit(life, group):
            heapq.heappush(buffer, (ev.recorded, seq, ev))
            seq += 1
        while buffer and buffer[0][0] <= group.key:
            yield _emit(life, *heapq.heappop(buffer))
    while buffer:
        yield _emit(life, *heapq.heappop(buffer))


def _admit(life: ElevatorLife, group: Group) -> list[Draft]:
    kept: list[Draft] = []
    for ev in group.events:
        if ev.recorded > life.city.end:
            return kept  # still to come after now: what happened so far stands
        if not group.fixed and life.blocked(ev.occurred, ev.recorded, ev.type):
            return kept if group.prefix_ok else []
        kept.append(ev)
    return kept


def _emit(life: ElevatorLife, recorded: datetime, seq: int, ev: Draft) -> Numbered:
    recorded_utc = recorded.astimezone(UTC)
    signers = (ev.issuer,) if ev.cosigner is None else (ev.issuer, ev.cosigner)
    statement = {
        "type": ev.type,
        "elevator": life.p.code,
        "issuer": ev.issuer,
        "occurred_at": iso(ev.occurred),
        "nonce": _nonce(life.city, life.p, seq),
        "data": ev.data,
    }
    return (
        recorded_utc,
        life.i,
        seq,
        PlannedStatement(recorded_utc, signers, statement, ev.via_terminal),
    )
