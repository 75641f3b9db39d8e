"""One elevator with a file worth reading, for the tests of the console's elevator file: in
service (tests/support/lift_states.py), then re-registered under a new registration code and
certificate number, a maintenance visit recorded late (ten days after it happened: the two
replay axes differ), and a fault still open. Said through the real signed write path, each
statement recorded a few minutes after it happened (as a ledger in daily use records them),
but the late visit, recorded now."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

from domain.application.service import Receipt
from domain.model.errors import Rejected
from tests.support.city import NOW, City, statement
from tests.support.lift_states import Parties, identified, in_service

CODE = "311023010201500131"
#: the registration after the change (the first is :func:`identified`'s)
NEW_REGISTRATION = "31104309002026120131"
NEW_CERTIFICATE = "梯11湘H0131(26)"
#: the late visit happened LATE_AGO ago and was recorded now; a replay at BETWEEN sees it on the
#: occurred axis only
LATE_AGO = timedelta(days=10)
BETWEEN = NOW - timedelta(days=6)


@dataclass
class FiledLift:
    code: str
    parties: Parties
    first: dict[str, str]  # the first registration's identifiers
    changed: Receipt  # registration.changed
    late: Receipt  # the visit recorded late
    fault: Receipt  # the fault still open
    between: datetime


#: how long after it happened each statement but the late one is recorded
PROMPTLY = timedelta(minutes=5)


@contextmanager
def recorded_promptly(city: City) -> Iterator[None]:
    """While in the block, ``city`` records each statement :data:`PROMPTLY` after its
    ``occurred_at`` instead of now."""
    service, plain = city.node.service, city.submit

    def submit(envelope: dict[str, Any]) -> Receipt:
        bare = envelope.get("envelope", envelope)  # with disclosures: {"envelope", ...}
        stmt = orjson.loads(base64.b64decode(bare["payload"]))
        at = datetime.fromisoformat(stmt["occurred_at"]) + PROMPTLY
        [result] = service.submit_batch([envelope], [min(at, NOW)])
        if isinstance(result, Rejected):
            raise AssertionError(f"{stmt['type']} rejected: {result}")
        return result

    city.submit = submit
    try:
        yield
    finally:
        city.submit = plain


def filed_lift(city: City, p: Parties | None = None) -> FiledLift:
    """The lift, its read models caught up."""
    with recorded_promptly(city):
        p = p or Parties.onboard(city)
        return _said(city, p)


def _said(city: City, p: Parties) -> FiledLift:
    in_service(city, p, CODE)
    changed = city.say(
        p.bureau,
        statement(
            "registration.changed",
            CODE,
            p.bureau,
            NOW - timedelta(days=8),
            reason="other",
            registration_code=NEW_REGISTRATION,
            certificate_number=NEW_CERTIFICATE,
            use_unit=p.owner.uscc,
        ),
    )
    fault = city.say(
        p.maintainer,
        statement(
            "fault.reported",
            CODE,
            p.maintainer,
            NOW - timedelta(days=1),
            fault_id="F-OPEN-0131",
            detected_at=(NOW - timedelta(days=1)).isoformat(),
        ),
    )
    visit = NOW - LATE_AGO
    late = city.node.service.submit_batch([city.envelope([p.maintainer], _visit(p, visit))], [NOW])[
        0
    ]
    assert isinstance(late, Receipt) and late.late, late
    city.node.projections.catch_up()
    return FiledLift(CODE, p, identified(CODE), changed, late, fault, BETWEEN)


def _visit(p: Parties, at: datetime) -> dict[str, Any]:
    return statement(
        "maintenance.performed",
        CODE,
        p.maintainer,
        at,
        visit_id="V-LATE-0131",
        arrived_at=at.isoformat(),
        departed_at=(at + timedelta(hours=1)).isoformat(),
    )
