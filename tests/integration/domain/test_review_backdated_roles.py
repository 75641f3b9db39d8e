"""Review repro: a back-dated statement that would make a later rescue step break its relation
check (the later step's issuer no longer a party on its date) is refused, as the fast path
would have refused that step."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.model.errors import RuleBroken
from tests.support.city import City, statement
from tests.support.lift_states import HISTORY, Parties, in_service

CODE = "311023010201500391"
at, day = HISTORY.at, HISTORY.day


def test_backdated_contract_end_breaks_later_arrival(tmp_path: Path, database_url: str) -> None:
    city = City.open(tmp_path, database_url)
    try:
        p = Parties.onboard(city)
        in_service(city, p, CODE, recent_visit=False)
        alarm_at = at(150)
        city.say(
            p.owner,
            statement(
                "rescue.alarm",
                CODE,
                p.owner,
                alarm_at,
                rescue_id="R-9",
                source="alarm_button",
                alarm_at=alarm_at.isoformat(),
                trapped=1,
            ),
        )
        arrived = at(150.01)
        city.say(
            p.maintainer,
            statement(
                "rescue.arrived",
                CODE,
                p.maintainer,
                arrived,
                rescue_id="R-9",
                arrived_at=arrived.isoformat(),
            ),
        )
        ended = statement(
            "maintenance_contract.ended",
            CODE,
            p.owner,
            at(100),
            contract_number=f"C-{CODE[-4:]}",
            reason="合同解除",
        )
        with pytest.raises(RuleBroken) as caught:
            city.say(p.owner, ended)
        assert caught.value.rule == "backdated-breaks-later"
    finally:
        city.node.close()
