"""A deterministic synthetic city for ``elevator-ledger demo``: who says what, about which lift.

Pure planning: no keys, no clock, no I/O. :func:`plan_city` returns a :class:`CityPlan` with the
organizations of a Yiyang-like city and its elevators; :meth:`CityPlan.statements` yields every
elevator statement of the city's history (about five years ending just before ``now``) in ledger
order, ready for the CLI to add ``prev``, sign and submit at ``recorded_at``. Organization setup
(``org.registered``, role grants, licences, keys) is left to the CLI.

Everything is a function of ``(elevators, years, seed, now)``: each elevator draws from its own
random streams (``random.Random`` seeded with a string, stable across processes), so a history
does not depend on how many other elevators there are or in which order they are generated.

The first elevators each tell one story (:mod:`demo.scenarios`): a modification, a relocation, a
lift over 15 years old back-filled when the ledger went live, a rescue going on now... so that
every state and every regulator work list shows on first run.

Memory stays small for large cities: an elevator's history is planned only when the city-wide
merge first needs more than its first statement (``elevator.manufactured``, which comes from the
cheap per-elevator profile), and is then produced as a stream. Within an elevator, histories are
built from sources (setup, contracts, insurance, visits, inspections, faults, rescues, one-off
events) yielding *groups* (a visit and its confirmation, a fault and its clearance, a rescue...)
in order of their first ``occurred_at``; since ``recorded_at >= occurred_at`` a small buffer puts
them in ``recorded_at`` order.

The histories obey the lifecycle rules the ledger enforces, checked in recorded order: the lift
is manufactured first; construction is completed by the unit that notified it; registration
follows a supervisory pass; a re-inspection follows a fail; maintenance is by the maintenance
unit of a contract active on the visit's date; confirmations follow the (possibly late) visit
record; contracts are signed with the registered use unit and never overlap another unit's; a
fault is cleared only while open; rescues go alarm, dispatched, arrived, released; nothing but
inspection, hazard and complaint statements happens while the lift is stopped; nothing but the
registration's cancellation follows a scrapping.
"""

from __future__ import annotations

from demo.events import PlannedStatement
from demo.organizations import DemoOrganization
from demo.plan import CityPlan, plan_city
from demo.timing import CST

__all__ = ["CST", "CityPlan", "DemoOrganization", "PlannedStatement", "plan_city"]
