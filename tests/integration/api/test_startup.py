"""Starting the ledger integrates what a crash left between the event store and the log."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from api.bootstrap import initialise
from api.settings import Settings
from domain.model.roles import Role
from tests.support.city import NOW, City, statement

CODE = "311023010201500098"


def test_events_saved_but_not_yet_logged_join_the_log_at_start(
    tmp_path: Path, database_url: str
) -> None:
    city = City.open(tmp_path, database_url)
    maker = city.org(Role.MANUFACTURER)
    when = NOW - timedelta(days=2)
    envelope = city.envelope(
        [maker],
        statement(
            "elevator.manufactured", CODE, maker, when, manufactured_on=when.date().isoformat()
        ),
    )
    size = city.node.log.size()
    city.node.app.accept(envelope)  # saved; the process "dies" before the sequencer runs
    assert city.node.log.size() == size
    city.node.close()

    node, _ = initialise(Settings(home=tmp_path, database_url=database_url))
    try:
        assert node.log.size() == size + 1
        assert node.log.latest_checkpoint().size == size + 1
        receipt = node.service.submit(envelope)  # and the submitter's retry finds it there
        assert receipt.duplicate and receipt.log_index == size
    finally:
        node.close()
