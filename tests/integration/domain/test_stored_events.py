"""Ledgers written before personal fields were concealed still load: their chain events have no
``disclosures``."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import text

from domain.application.aggregates import Elevator
from domain.application.ledger_factory import stored_ledger
from domain.model.roles import Role
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
        fresh = stored_ledger(city.node.anchor, database_url)
        chain = fresh.elevator(CODE)
        assert chain is not None and chain.head == receipt.entry_hash
        assert fresh.disclosures_of(receipt.subject, receipt.version) == []
        fresh.close()
    finally:
        city.node.close()


def test_the_writers_chain_is_the_one_its_stored_events_rebuild(
    tmp_path: Path, database_url: str
) -> None:
    """The write path hands each event the statement it has just parsed (instead of parsing
    the entry again); rebuilding the chain from the stored events parses the entries, and
    must arrive at the same state, head and replay index."""
    city = City.open(tmp_path, database_url)
    try:
        maker = city.org(Role.MANUFACTURER)
        maintainer = city.org(Role.MAINTENANCE_UNIT)
        city.say(maker, statement("elevator.manufactured", CODE, maker, NOW - timedelta(hours=5)))
        owner = city.org(Role.USE_UNIT)
        signed = NOW - timedelta(hours=4, minutes=30)
        contract = statement(  # a fault is reported by the elevator's own maintainer
            "maintenance_contract.signed",
            CODE,
            maintainer,
            signed,
            contract_number="C-1",
            maintenance_unit=maintainer.uscc,
            use_unit=owner.uscc,
            valid_from=signed.date().isoformat(),
            valid_to=(signed + timedelta(days=365)).date().isoformat(),
        )
        city.say(maintainer, contract, owner)
        for i in range(1, 4):
            at = NOW - timedelta(hours=4 - i)
            fault = statement(
                "fault.reported",
                CODE,
                maintainer,
                at,
                fault_id=f"F-{i}",
                detected_at=at.isoformat(),
            )
            city.say(maintainer, fault)
        written = city.node.app._fresh.get(Elevator.create_id(CODE))  # the writer's own
        fresh = stored_ledger(city.node.anchor, database_url)
        rebuilt = fresh.elevator(CODE)
        assert rebuilt is not None and rebuilt.version == written.version == 5
        assert (rebuilt.state, rebuilt.head, rebuilt.seen) == (
            written.state,
            written.head,
            written.seen,
        )
        fresh.close()
    finally:
        city.node.close()
