"""A lift its use unit declared stopped (停止使用) keeps carrying passengers past its inspection
due date: the schedule is suspended while stopped, so the use is what puts it on a list."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from projections.worklists import worklist
from tests.support.city import NOW, City, statement
from tests.support.lift_states import Parties, commissioned, tell
from tests.support.timeline import Days

LIFE = Days(NOW - timedelta(days=900))
at, day = LIFE.at, LIFE.day
CODE = "311023010201500392"


def test_a_stopped_lift_carrying_passengers_past_its_due_date_is_on_a_list(
    tmp_path: Path, sqlite_url: str
) -> None:
    city = City.open(tmp_path, sqlite_url)
    try:
        p = Parties.onboard(city)
        tell(city, commissioned(p, CODE, LIFE, contract_fields={"valid_to": day(2000)}))
        city.say(p.owner, statement("use.stopped", CODE, p.owner, at(300), reason="装修"))
        when = NOW - timedelta(days=5)
        city.say(
            p.platform,
            statement(
                "rescue.alarm",
                CODE,
                p.platform,
                when,
                rescue_id="R-S",
                source="96333",
                alarm_at=when.isoformat(),
                trapped=2,
            ),
        )
        city.node.projections.catch_up()
        engine, today, zone = city.node.engine, NOW.date(), city.node.settings.zone
        illegal = worklist(engine, "illegal-use", today, zone=zone)
        overdue = worklist(engine, "inspection-overdue", today, zone=zone)
        assert [r["equipment_code"] for r in illegal] == [CODE], "stopped but in use: no flag"
        [reason] = illegal[0]["reasons"]
        assert reason["reason"] == "used-while-stopped" and reason["entries"]
        assert overdue == []  # the declared stop suspends the schedule: the use is the finding
    finally:
        city.node.close()
