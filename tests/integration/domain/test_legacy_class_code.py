"""An elevator the ledger recorded with the class code 3200 (液压驱动电梯) before it knew the
hydraulic varieties 3210 / 3220: its entries still verify and replay, statements about it are
still accepted, and no new statement may give 3200 as a code (docs/lifecycle.md, "Catalogue
codes")."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from api.elevator_replay import replay_elevator
from domain.application.audit import verify_log
from domain.model.admission import CLASS_CODES_REFUSED_FROM
from domain.model.errors import InvalidStatement
from domain.model.roles import Role
from domain.replay import Axis
from ledger.note import open_checkpoint
from tests.support.city import NOW, City, Org, statement

LEGACY = "320023010201500098"
HYDRAULIC = "321023010201500099"


def _hydraulic_maker(city: City) -> Org:
    """A manufacturer whose licence names the class 3200, covering both hydraulic varieties."""
    return city.org(Role.MANUFACTURER, name="液压电梯制造厂", scope=("3200",))


def test_a_3200_elevator_recorded_before_the_cut_verifies_replays_and_is_still_served(
    tmp_path: Path, database_url: str
) -> None:
    city = City.open(tmp_path, database_url)
    try:
        maker = _hydraulic_maker(city)
        before = CLASS_CODES_REFUSED_FROM - timedelta(days=30)
        old = statement(
            "elevator.manufactured", LEGACY, maker, before - timedelta(days=1), category="3200"
        )
        [accepted] = city.node.service.submit_batch(
            [city.envelope([maker], old)], recorded_at=[before]
        )
        assert not isinstance(accepted, Exception), accepted

        # today the same claim is refused, naming the varieties to use instead
        again = statement(
            "elevator.manufactured", "320023010201500097", maker, NOW, category="3200"
        )
        [refused] = city.node.service.submit_batch([city.envelope([maker], again)])
        assert isinstance(refused, InvalidStatement), refused
        assert "3210 液压乘客电梯 or 3220 液压载货电梯" in refused.detail

        # a real hydraulic code is accepted under the licence naming the class
        city.say(maker, statement("elevator.manufactured", HYDRAULIC, maker, NOW, category="3210"))
        # and the elevator recorded as 3200 is still served by its lifetime code
        city.say(maker, statement("elevator.sold", LEGACY, maker, NOW))

        log = city.node.log
        checkpoint = open_checkpoint(log.latest_checkpoint().note, log.signer.verifier)
        report = verify_log(
            enumerate(log.entries(0, checkpoint.size)), checkpoint, city.node.anchor
        )
        assert report.problem is None, report.problem
        for axis in Axis:
            result = replay_elevator(city.node, LEGACY, NOW + timedelta(days=1), axis)
            assert result is not None and result.verified, result and result.problem
            assert result.entries_checked == 2 and result.state.category == "3200"
    finally:
        city.node.close()
