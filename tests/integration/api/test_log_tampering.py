"""Someone with database access and no key changes the log's tables: the server signs nothing
more, answers every write with 503 ``log-tampered`` problem+json, raises a critical alarm, and
keeps serving reads and the last good checkpoint — on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select, update

from api.app import create_app
from domain.model.roles import Role
from ledger import merkle
from ledger.schema import log_checkpoints, log_entries, log_state
from tests.support.city import NOW, City, Org, statement
from tests.support.timeline import Days

CODE = "311023010201500098"
HISTORY = Days(NOW - timedelta(days=3))
at, day = HISTORY.at, HISTORY.day
FORGED = b'{"forged": "chosen by whoever has the database"}'
PROBLEM_JSON = "application/problem+json"


@dataclass
class Served:
    city: City
    client: TestClient
    maker: Org

    def post(self, url: str, body: Any) -> httpx.Response:
        response: httpx.Response = self.client.post(
            url, content=orjson.dumps(body), headers={"content-type": "application/json"}
        )
        return response

    def sold(self, days: float) -> dict[str, Any]:
        return self.city.envelope(
            [self.maker], statement("elevator.sold", CODE, self.maker, at(days))
        )

    def stored(self) -> tuple[int | None, int, str]:
        """The elevator's chain version, the log size and the served checkpoint."""
        chain = self.city.node.app.elevator(CODE)
        checkpoint = self.client.get("/v1/log/checkpoint")
        assert checkpoint.status_code == 200
        version = None if chain is None else chain.version
        return version, self.city.node.log.size(), checkpoint.text


def _open(city: City, maker: Org) -> Iterator[Served]:
    with TestClient(create_app(node=city.node)) as client:
        yield Served(city, client, maker)
    city.node.close()


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[Served]:
    city = City.open(tmp_path, database_url)
    maker = city.org(Role.MANUFACTURER)
    city.say(maker, statement("elevator.manufactured", CODE, maker, at(0), manufactured_on=day(0)))
    yield from _open(city, maker)


def _row_past_the_checkpoint(city: City) -> None:
    with city.node.engine.begin() as conn:
        size = int(conn.execute(select(log_state.c.size)).scalar_one())
        conn.execute(
            insert(log_entries).values(
                idx=size, data=FORGED, leaf_hash=merkle.leaf_hash(FORGED), source_position=None
            )
        )
        conn.execute(update(log_state).values(size=size + 1))


def _size_bumped(city: City) -> None:
    with city.node.engine.begin() as conn:
        conn.execute(update(log_state).values(size=log_state.c.size + 1))


def _last_entry_changed(city: City) -> None:
    with city.node.engine.begin() as conn:
        size = int(conn.execute(select(log_state.c.size)).scalar_one())
        conn.execute(
            update(log_entries)
            .where(log_entries.c.idx == size - 1)
            .values(data=FORGED, leaf_hash=merkle.leaf_hash(FORGED))
        )


def _feed_position_moved(by: int) -> Callable[[City], None]:
    """log_state's feed position no longer that of the last entry: rolled back, the sequencer
    would log stored events a second time; moved forward, it would never log new ones."""

    def tamper(city: City) -> None:
        with city.node.engine.begin() as conn:
            conn.execute(update(log_state).values(source_position=log_state.c.source_position + by))

    return tamper


def _checkpoint_row_inserted(city: City) -> None:
    with city.node.engine.begin() as conn:
        row = conn.execute(select(log_checkpoints).order_by(log_checkpoints.c.size.desc())).first()
        assert row is not None
        conn.execute(
            insert(log_checkpoints).values(
                size=99_999, root=row.root, note=row.note, signed_at=row.signed_at
            )
        )


#: What the look before accepting sees (the state row): such a write stores nothing at all.
SEEN_BEFORE_ACCEPTING: dict[str, Callable[[City], None]] = {
    "a row inserted past the checkpoint": _row_past_the_checkpoint,
    "log_state.size bumped": _size_bumped,
    "the feed position rolled back": _feed_position_moved(-1),
    "the feed position moved forward": _feed_position_moved(1000),
    "a checkpoint row inserted": _checkpoint_row_inserted,
}


def _refused(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["type"].endswith("/problems/log-tampered")
    assert "writes are stopped" in body["detail"]
    return body


@pytest.mark.parametrize("tamper", SEEN_BEFORE_ACCEPTING.values(), ids=SEEN_BEFORE_ACCEPTING)
def test_a_log_changed_past_the_checkpoint_stops_writes_and_stores_nothing(
    served: Served, tamper: Callable[[City], None], caplog: pytest.LogCaptureFixture
) -> None:
    tamper(served.city)
    before = served.stored()
    with caplog.at_level(logging.CRITICAL):
        _refused(served.post("/v1/statements", served.sold(1)))
    assert served.stored() == before  # no event, no entry, no checkpoint
    alarms = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert alarms and "did not write" in alarms[-1].getMessage()


def test_a_changed_signed_entry_on_the_right_edge_is_never_signed_over(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    """Found under the writers' lock, after the statement was judged and saved: it is neither
    logged nor signed (it joins the log if the log is restored and the server restarted)."""
    if served.city.node.log.size() % 2 == 0:  # so that the last leaf is itself on the edge
        assert served.post("/v1/statements", served.sold(1)).status_code == 201
    _last_entry_changed(served.city)
    _, size, checkpoint = served.stored()
    with caplog.at_level(logging.CRITICAL):
        _refused(served.post("/v1/statements", served.sold(2)))
    assert served.stored()[1:] == (size, checkpoint)
    assert any("does not fold to the root" in r.getMessage() for r in caplog.records)


def test_once_stopped_every_write_is_refused_and_every_read_still_served(
    served: Served,
) -> None:
    _row_past_the_checkpoint(served.city)
    _refused(served.post("/v1/statements", served.sold(1)))
    before = served.stored()
    _refused(served.post("/v1/statements", served.sold(2)))
    batch = served.post("/v1/statements/batch", [served.sold(3), served.sold(4)])
    _refused(batch)
    assert served.stored() == before
    served.city.node.projections.catch_up()  # the read models follow the last good checkpoint
    for url in ("/v1/log/entries/0", f"/v1/elevators/{CODE}", f"/v1/elevators/{CODE}/entries"):
        assert served.client.get(url).status_code == 200, url
    verified = served.post("/v1/envelopes/verify", served.sold(5))  # signatures only: a read
    assert verified.status_code == 200, verified.text


def test_a_log_tampered_with_while_down_is_found_at_start_up(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    city = City.open(tmp_path, database_url)
    maker = city.org(Role.MANUFACTURER)
    _row_past_the_checkpoint(city)
    city.node.close()
    with caplog.at_level(logging.CRITICAL):
        again = City.open(tmp_path, database_url)  # start-up integrates what is pending
    assert again.node.service.stopped is not None
    assert any(r.levelno == logging.CRITICAL for r in caplog.records)
    for served in _open(again, maker):
        _refused(served.post("/v1/statements", served.sold(1)))
        assert served.client.get("/v1/log/entries/0").status_code == 200


def test_a_checkpoint_row_slipped_into_the_table_is_not_served_as_the_latest(
    served: Served,
) -> None:
    """The latest checkpoint is the one the writers published (log_state), not the largest
    row: the QR page and the checkpoint endpoint keep serving the last good one."""
    good = served.client.get("/v1/log/checkpoint").text
    _checkpoint_row_inserted(served.city)
    assert served.client.get("/v1/log/checkpoint").text == good
    served.city.node.projections.catch_up()
    page = served.client.get(f"/e/{CODE}", headers={"accept": "text/html"})
    assert page.status_code == 200, page.text
    assert "99999" not in page.text
    _refused(served.post("/v1/statements", served.sold(1)))
