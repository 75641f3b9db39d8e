"""The feed the log follows: entries a writer has just saved may be handed to the sequencer
instead of read back, and the feed is then exactly what reading it back gives."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from domain.model.roles import Role
from tests.support.city import NOW, City, statement

CODES = [f"3110230102015{i:05d}" for i in range(6)]


def test_entries_known_to_the_writer_are_the_feed_as_stored(
    tmp_path: Path, database_url: str
) -> None:
    city = City.open(tmp_path, database_url)
    try:
        maker = city.org(Role.MANUFACTURER)
        app = city.node.app
        after = app.read_feed(0, 10**6)[-1][0]
        when = NOW - timedelta(days=1)
        for code in CODES:
            city.say(maker, statement("elevator.manufactured", code, maker, when))
        stored = app.read_feed(after, 100)
        assert len(stored) == len(CODES)
        known = dict(stored)
        assert app.read_feed(after, 100, known) == stored
        assert app.read_feed(after, 3, known) == stored[:3]
        assert app.read_feed(stored[2][0], 100, known) == stored[3:]
        # Another process wrote one of them: not known here, so everything is read back.
        partly = {pos: b"not what is stored" for pos, _ in stored[:-1]}
        assert app.read_feed(after, 100, partly) == stored
    finally:
        city.node.close()
