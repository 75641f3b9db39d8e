"""Ledgers written before personal fields were concealed still load: their chain events have no
``disclosures``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import text

from api.node import eventsourcing_env
from domain.application import ElevatorLedger
from domain.roles import Role
from tests.support.city import NOW, City, statement

CODE = "311023010201500098"


def test_chain_events_stored_before_disclosures_existed_still_load(
    tmp_path: Path, database_url: str
) -> None:
    """Ledgers written by session-1 code have chain events without ``disclosures``."""
    city = City.open(tmp_path, database_url)
    try:
        maker = city.org(Role.MANUFACTURER)
        receipt = city.say(maker, statement("elevator.manufactured", CODE, maker, NOW))
        app = city.node.app
        recorder: Any = app.recorder
        table = recorder.events_table_name
        if not database_url.startswith("sqlite"):
            table = f"{recorder.datastore.schema}.{table}"
        with city.node.engine.begin() as conn:
            rows = (
                conn.execute(text(f"SELECT rowid AS r, state FROM {table}")).all()
                if (database_url.startswith("sqlite"))
                else conn.execute(text(f"SELECT notification_id AS r, state FROM {table}")).all()
            )
            for r, state in rows:
                doc = orjson.loads(bytes(state))
                if doc.pop("disclosures", None) is not None:
                    key = "rowid" if database_url.startswith("sqlite") else "notification_id"
                    conn.execute(
                        text(f"UPDATE {table} SET state = :s WHERE {key} = :r"),
                        {"s": orjson.dumps(doc), "r": r},
                    )
        fresh = ElevatorLedger(city.node.anchor, env=eventsourcing_env(database_url))
        chain = fresh.elevator(CODE)
        assert chain is not None and chain.head == receipt.entry_hash
        assert fresh.disclosures_of(receipt.subject, receipt.version) == []
        fresh.close()
    finally:
        city.node.close()
