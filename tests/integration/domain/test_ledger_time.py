"""Ledger time never runs backwards: each entry is recorded no earlier than the one logged
before it, even when the server's clock steps back, so ``verify`` can require it (and a server
cannot date an entry before a revocation the log already holds)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from domain.roles import Role
from ledger.entry import Entry, format_time
from tests.support.city import City, statement


def test_a_clock_stepping_back_does_not_move_ledger_time_back(
    tmp_path: Path, database_url: str
) -> None:
    city = City.open(tmp_path, database_url)
    try:
        maker = city.org(Role.MANUFACTURER)
        log = city.node.log
        last = Entry.from_bytes(log.entry(log.size() - 1)).recorded_at
        city.node.app.clock = lambda: last - timedelta(hours=1)  # NTP stepped the clock back
        when = last - timedelta(days=2)
        receipts = [
            city.say(maker, statement("elevator.manufactured", code, maker, when))
            for code in ("311023010201500098", "311023010201500100")
        ]
        assert [r.recorded_at for r in receipts] == [format_time(last)] * 2
        # what any writer on this database reads as the floor before judging
        assert city.node.app.latest_recorded_at() == last
        times = [Entry.from_bytes(log.entry(i)).recorded_at for i in range(log.size())]
        assert times == sorted(times)
    finally:
        city.node.close()
