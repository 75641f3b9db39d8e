"""The event store is an index of the log, never a source of what anyone reads.

A database attacker edits, or deletes, one stored event (the eventsourcing table), leaving the
log alone. The public API and the QR page keep showing the log's value — after the next
statement for that elevator with a cold cache, after a restart, after ``projections rebuild``;
``elevator-ledger check`` names the entry (subject, version, log index); the server sees it at
start-up and refuses writes (503 problem+json) while serving reads. Each tamper class of the
matrix in docs/security.md has its test here.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update
from typer.testing import CliRunner

from api.app import create_app
from api.auth import TokenStore
from api.bootstrap import initialise, open_node, projection_runner
from api.cli.main import app as cli_app
from api.elevator_replay import replay_elevator
from api.log_routes import DAMAGED_HEADER
from api.node import LedgerNode
from api.settings import Settings
from domain.application.aggregates import chain_id_of
from domain.application.log_chains import ChainFault, LogChains
from domain.application.service import Receipt
from domain.model.errors import StoreDisagrees
from domain.model.roles import Role
from ledger.schema import log_entries
from tests.support.city import NOW, City, Org, statement

CODE = "311023010201500098"
MODEL, FORGED = "GeN2-MR", "FORGED-9"


@dataclass
class Tampered:
    """A small ledger on one database, and the means to change its stored events."""

    home: Path
    url: str
    city: City
    maker: Org
    made: Receipt  # the elevator's first entry (its model is MODEL)

    @property
    def node(self) -> LedgerNode:
        return self.city.node

    def reopen(self) -> None:
        """A restart: a new node (so new caches) on the same database."""
        self.city.node.close()
        self.city.node, _ = initialise(Settings(home=self.home, database_url=self.url))
        self.city.submit = self.city.node.service.submit

    def _table(self) -> tuple[str, str]:
        recorder: Any = self.node.app.recorder
        if self.url.startswith("sqlite"):
            return recorder.events_table_name, "rowid"
        return f"{recorder.datastore.schema}.{recorder.events_table_name}", "notification_id"

    def _event(self, subject: str, version: int) -> tuple[int, dict[str, Any]]:
        table, key = self._table()
        chain = chain_id_of(subject)
        with self.node.engine.connect() as conn:
            row = conn.execute(
                text(
                    f"SELECT {key} AS r, state FROM {table} "
                    "WHERE originator_id = :id AND originator_version = :v"
                ),
                {"id": chain.hex if self.url.startswith("sqlite") else chain, "v": version},
            ).one()
        return int(row.r), orjson.loads(bytes(row.state))

    def edit_event(self, subject: str, version: int, **changes: Any) -> None:
        """Change fields of the state of one stored chain event (only the event store)."""
        _, state = self._event(subject, version)
        self.set_column(subject, version, "state", orjson.dumps({**state, **changes}))

    def set_column(self, subject: str, version: int, column: str, value: Any) -> None:
        """Overwrite one column of one stored chain event's row (only the event store)."""
        table, key = self._table()
        row, _ = self._event(subject, version)
        with self.node.engine.begin() as conn:
            conn.execute(
                text(f"UPDATE {table} SET {column} = :v WHERE {key} = :r"), {"v": value, "r": row}
            )

    def first_index(self, subject: str) -> int:
        """The log index of the subject's first entry."""
        return next(
            index
            for index in range(self.node.log.size())
            if orjson.loads(self.node.log.entry(index))["subject"] == subject
        )

    def regulator_get(self, path: str, **params: str) -> Any:
        """``GET path`` with a fresh regulator token (the root authority's)."""
        token, _ = TokenStore.open(self.node.engine).issue(
            self.city.authority.uscc, "alice", timedelta(days=1)
        )
        with self.client() as client:
            return client.get(path, params=params, headers={"Authorization": f"Bearer {token}"})

    def forge_model(self, subject: str, version: int) -> None:
        self.forge(subject, version, "model", FORGED)

    def forge(self, subject: str, version: int, field: str, value: str) -> None:
        """Put another value into the entry a stored event carries (signature and log kept)."""
        _, state = self._event(subject, version)
        entry = orjson.loads(state["entry"])
        payload = orjson.loads(base64.b64decode(entry["envelope"]["payload"]))
        payload["data"][field] = value
        entry["envelope"]["payload"] = base64.b64encode(orjson.dumps(payload)).decode()
        self.edit_event(subject, version, entry=orjson.dumps(entry).decode())

    def delete_event(self, subject: str, version: int) -> None:
        table, key = self._table()
        row, _ = self._event(subject, version)
        with self.node.engine.begin() as conn:
            conn.execute(text(f"DELETE FROM {table} WHERE {key} = :r"), {"r": row})

    def disclosures(self, subject: str, version: int) -> list[str]:
        return list(self._event(subject, version)[1]["disclosures"])

    def check(self) -> Any:
        env = {"LEDGER_HOME": str(self.home), "LEDGER_DATABASE_URL": self.url, "COLUMNS": "250"}
        return CliRunner().invoke(cli_app, ["check"], env=env)

    def client(self) -> TestClient:
        return TestClient(create_app(node=self.node))

    def model_shown(self) -> tuple[str, str]:
        """The model the public API and the QR page show."""
        with self.client() as client:
            api = client.get(f"/v1/elevators/{CODE}")
            page = client.get(f"/e/{CODE}")
        assert api.status_code == 200 and page.status_code == 200, (api.text, page.text)
        shown = api.json()["status"]["model"]
        assert (MODEL in page.text) != (FORGED in page.text), "the page shows one model"
        return shown, MODEL if MODEL in page.text else FORGED


@pytest.fixture
def ledger(tmp_path: Path, database_url: str) -> Iterator[Tampered]:
    city = City.open(tmp_path, database_url)
    # the 96333 platform's role too: its alarms need no contract (a fault would)
    maker = city.org(Role.MANUFACTURER, Role.MAINTENANCE_UNIT, Role.RESCUE_PLATFORM)
    made = city.say(maker, statement("elevator.manufactured", CODE, maker, NOW - timedelta(days=9)))
    city.node.projections.catch_up()
    tampered = Tampered(tmp_path, database_url, city, maker, made)
    try:
        yield tampered
    finally:
        tampered.city.node.close()


def _fault(ledger: Tampered, n: int) -> dict[str, Any]:
    """A later statement about the elevator (an alarm taken by the platform)."""
    return statement(
        "rescue.alarm",
        CODE,
        ledger.maker,
        NOW - timedelta(hours=n),
        rescue_id=f"F-{n}",
        alarm_at=(NOW - timedelta(hours=n)).isoformat(),
    )


def test_an_edited_stored_event_never_reaches_the_api_or_the_qr_page(ledger: Tampered) -> None:
    """The attack found on main: the event of the elevator's first entry edited, then the next
    statement for it folded with a cold cache (what a restarted projection process does)."""
    ledger.forge_model(ledger.made.subject, 1)
    # The write path would refuse it now (next tests); the read side must hold on its own,
    # so the next statement is written by a writer without that check, as on main.
    ledger.node.app.check_loaded = None
    ledger.city.say(ledger.maker, _fault(ledger, 1))
    cold = projection_runner(ledger.node.engine, ledger.node.log, ledger.node.app)
    assert cold.catch_up()["elevators"] == 1  # refolded from version 1, read from the log
    assert ledger.model_shown() == (MODEL, MODEL)

    ledger.reopen()
    assert ledger.model_shown() == (MODEL, MODEL)
    ledger.node.projections.rebuild()
    assert ledger.model_shown() == (MODEL, MODEL)
    ledger.reopen()
    projection_runner(ledger.node.engine, ledger.node.log, ledger.node.app).rebuild("elevators")
    assert ledger.model_shown() == (MODEL, MODEL)


def test_the_regulator_replay_reads_the_chain_from_the_log(ledger: Tampered) -> None:
    ledger.forge_model(ledger.made.subject, 1)
    replayed = ledger.regulator_get(
        f"/v1/elevators/{CODE}/replay", as_of=(NOW + timedelta(days=1)).isoformat()
    )
    assert replayed.status_code == 200, replayed.text
    body = replayed.json()
    assert body["verified"], body
    assert FORGED not in replayed.text and MODEL in replayed.text


def _named(result: Any, *fragments: str) -> str:
    assert result.exit_code == 1 and result.stdout == "", result.output
    [line] = result.stderr.splitlines()
    assert line.startswith("error: the event store disagrees with the log: "), line
    for fragment in fragments:
        assert fragment in line, line
    return str(line)


def test_check_agrees_on_an_untouched_ledger(ledger: Tampered) -> None:
    result = ledger.check()
    assert result.exit_code == 0, result.output
    size = ledger.node.log.size()
    assert result.stdout == f"the event store agrees with the log: {size} entries compared\n"


@pytest.mark.parametrize("which", ["first", "last"])
def test_check_names_an_edited_stored_event(ledger: Tampered, which: str) -> None:
    """An edit of a chain's first entry or of its head (the latest) in the event store."""
    last = ledger.city.say(ledger.maker, _fault(ledger, 1))
    if which == "first":
        target = ledger.made
        ledger.forge_model(target.subject, target.version)
    else:
        target = last
        ledger.forge(target.subject, target.version, "rescue_id", "F-FORGED")
    _named(
        ledger.check(),
        f"{target.subject} version {target.version}, log index {target.log_index}: ",
        "the stored event's entry differs from the log's",
    )


def test_check_names_a_deleted_stored_event(ledger: Tampered) -> None:
    ledger.city.say(ledger.maker, _fault(ledger, 1))
    ledger.delete_event(ledger.made.subject, 1)
    _named(
        ledger.check(),
        f"{ledger.made.subject} version 1, log index {ledger.made.log_index}: ",
        "the event store has no event at its feed position",
    )


def _forged_disclosures(ledger: Tampered, subject: str) -> list[str]:
    """The organization's registration disclosures with its legal representative changed."""
    out = []
    for encoded in ledger.disclosures(subject, 1):
        salt, name, value = orjson.loads(
            base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        )
        if name == "legal_representative":
            value = "李四"
        out.append(base64.urlsafe_b64encode(orjson.dumps([salt, name, value])).decode().rstrip("="))
    return out


def test_a_tampered_disclosure_is_a_409_naming_the_entry_and_check_names_it(
    ledger: Tampered,
) -> None:
    subject = f"organization:{ledger.maker.uscc}"
    registered = ledger.first_index(subject)
    ledger.edit_event(subject, 1, disclosures=_forged_disclosures(ledger, subject))
    answer = ledger.regulator_get(f"/v1/regulator/entries/{registered}")
    assert answer.status_code == 409, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"].endswith("/disclosures-mismatch")
    assert problem["log_index"] == registered and f"entry {registered} " in problem["detail"]
    assert "李四" not in answer.text
    _named(
        ledger.check(),
        f"{subject} version 1, log index {registered}: ",
        "the stored disclosures do not match the signed digests",
    )


def test_a_deleted_event_leaves_no_disclosures_a_409_not_a_500(ledger: Tampered) -> None:
    subject = f"organization:{ledger.maker.uscc}"
    registered = ledger.first_index(subject)
    ledger.delete_event(subject, 1)
    answer = ledger.regulator_get(f"/v1/regulator/entries/{registered}")
    assert answer.status_code == 409, answer.text
    assert answer.json()["type"].endswith("/disclosures-missing")
    assert answer.json()["log_index"] == registered


def test_start_up_detects_an_edited_event_and_refuses_writes_but_serves_reads(
    ledger: Tampered, caplog: pytest.LogCaptureFixture
) -> None:
    ledger.forge_model(ledger.made.subject, 1)
    with caplog.at_level(logging.CRITICAL, logger="elevator_ledger.integrity"):
        ledger.reopen()
    where = f"{ledger.made.subject} version 1, log index {ledger.made.log_index}"
    assert any(where in r.getMessage() for r in caplog.records), caplog.text
    assert ledger.node.service.stopped is not None and where in ledger.node.service.stopped.detail
    size = ledger.node.log.size()
    envelope = ledger.city.envelope([ledger.maker], _fault(ledger, 2))
    with ledger.client() as client:
        refused = client.post("/v1/statements", json=envelope)
        batch = client.post("/v1/statements/batch", json=[envelope])
        read = client.get(f"/v1/elevators/{CODE}")
    for answer in (refused, batch):
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["type"].endswith("/event-store-disagrees")
        assert where in answer.json()["detail"]
    assert ledger.node.log.size() == size  # nothing written
    assert read.status_code == 200 and read.json()["status"]["model"] == MODEL


def test_the_write_path_checks_the_head_of_every_chain_it_loads(ledger: Tampered) -> None:
    """An edit older than the stretch checked at start-up: the first statement judged against
    the chain, loaded from the event store, finds its head is not the log's; it and every
    write after it are refused."""
    last = ledger.city.say(ledger.maker, _fault(ledger, 1))
    ledger.forge(last.subject, last.version, "rescue_id", "F-FORGED")
    ledger.city.node.close()
    ledger.city.node = open_node(Settings(home=ledger.home, database_url=ledger.url), check=False)
    ledger.city.submit = ledger.city.node.service.submit
    assert ledger.node.service.stopped is None  # not checked at start-up
    size = ledger.node.log.size()
    other = "311023010201500101"
    made_other = statement("elevator.manufactured", other, ledger.maker, NOW)
    batch = [
        ledger.city.envelope([ledger.maker], made_other),
        ledger.city.envelope([ledger.maker], _fault(ledger, 2)),
    ]
    with pytest.raises(StoreDisagrees) as refused:  # the whole batch: nothing is saved
        ledger.node.service.submit_batch(batch)
    where = f"{last.subject} version {last.version}, log index {last.log_index}"
    assert where in str(refused.value), refused.value
    assert ledger.node.service.stopped is not None and where in ledger.node.service.stopped.detail
    assert ledger.node.app.elevator(other) is None
    with pytest.raises(StoreDisagrees):  # and every write after it
        ledger.node.service.submit_batch(batch[:1])
    assert ledger.node.log.size() == size


def test_start_up_detects_a_deleted_event(ledger: Tampered) -> None:
    ledger.delete_event(ledger.made.subject, 1)
    ledger.reopen()
    assert ledger.node.service.stopped is not None
    assert f"log index {ledger.made.log_index}" in ledger.node.service.stopped.detail


def test_start_up_of_an_untouched_ledger_refuses_nothing(ledger: Tampered) -> None:
    ledger.reopen()
    assert ledger.node.service.stopped is None
    ledger.city.say(ledger.maker, _fault(ledger, 3))


def test_a_page_of_entries_with_a_damaged_entry_is_never_served_as_immutable(
    ledger: Tampered,
) -> None:
    """Bytes changed in ``log_entries`` without their leaf hash: the page and the entry are
    served as stored (a verifier must see them to name them), never cacheable, the damaged
    entry named in a header."""
    size, index = ledger.node.log.size(), ledger.made.log_index
    with ledger.client() as client:
        intact = client.get("/v1/log/entries", params={"start": 0, "count": size})
        assert intact.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert DAMAGED_HEADER not in intact.headers
        stored = ledger.node.log.entry(index)
        damaged = stored.replace(b'"version":1', b'"version":7')
        assert damaged != stored
        with ledger.node.engine.begin() as conn:
            conn.execute(update(log_entries).where(log_entries.c.idx == index).values(data=damaged))
        page = client.get("/v1/log/entries", params={"start": 0, "count": size})
        one = client.get(f"/v1/log/entries/{index}")
    for answer in (page, one):
        assert answer.status_code == 200
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers[DAMAGED_HEADER] == str(index)
    assert page.content.splitlines()[index] == damaged and one.content == damaged
    _named(ledger.check(), f"log index {index}: ", "do not match its stored leaf hash")

    # the regulator replay, over HTTP and on the command line, names it instead of replaying
    replayed = ledger.regulator_get(
        f"/v1/elevators/{CODE}/replay", as_of=(NOW + timedelta(days=1)).isoformat()
    )
    assert replayed.status_code == 409, replayed.text
    problem = replayed.json()
    assert problem["type"].endswith("/chain-fault") and problem["log_index"] == index
    fault = f"{ledger.made.subject} version 1 (log index {index}): its stored bytes do not match"
    assert problem["detail"].startswith(fault)
    env = {"LEDGER_HOME": str(ledger.home), "LEDGER_DATABASE_URL": ledger.url, "COLUMNS": "250"}
    as_of = (NOW + timedelta(days=1)).isoformat()
    cli = CliRunner().invoke(cli_app, ["replay", CODE, "--as-of", as_of], env=env)
    assert cli.exit_code == 1 and cli.stdout == "", cli.output
    assert cli.stderr.splitlines() == [
        f"error: cannot replay the chain from the log: {fault} their leaf hash"
    ]


def test_check_names_a_deleted_log_entry(ledger: Tampered) -> None:
    """Deleting a logged entry is for ``verify`` to name (indices, root); ``check`` names the
    stored event the log no longer holds."""
    ledger.city.say(ledger.maker, _fault(ledger, 1))
    with ledger.node.engine.begin() as conn:
        conn.execute(log_entries.delete().where(log_entries.c.idx == ledger.made.log_index))
    _named(
        ledger.check(),
        f"{ledger.made.subject} version 1: ",
        "is not in the log, which integrated past it",
    )


def test_a_chain_read_from_the_log_names_each_disagreement_with_its_index(
    ledger: Tampered,
) -> None:
    """What every reader of a chain (cold fold, replay, CLI) gets when the log and its index
    disagree: a ``ChainFault`` naming the entry, never a value."""
    chains = LogChains(ledger.node.app, ledger.node.engine)
    subject = ledger.made.subject
    second = ledger.city.say(ledger.maker, _fault(ledger, 1))
    assert [e.index for e in chains.entries(subject)] == [ledger.made.log_index, second.log_index]

    # the index points the first version at another subject's entry
    with ledger.node.engine.begin() as conn:
        positions = {
            idx: pos
            for idx, pos in conn.execute(select(log_entries.c.idx, log_entries.c.source_position))
        }
        made, other = ledger.made.log_index, ledger.made.log_index - 1
        for idx, pos in ((made, -1), (other, positions[made]), (made, positions[other])):
            conn.execute(
                update(log_entries).where(log_entries.c.idx == idx).values(source_position=pos)
            )
    with pytest.raises(ChainFault) as fault:
        chains.entries(subject)
    assert (fault.value.version, fault.value.log_index) == (1, other)
    assert "is organization:" in str(fault.value)

    # the entry's bytes no longer match their leaf hash
    with ledger.node.engine.begin() as conn:
        for idx, pos in ((other, -1), (made, positions[made]), (other, positions[other])):
            conn.execute(
                update(log_entries).where(log_entries.c.idx == idx).values(source_position=pos)
            )
        stored = ledger.node.log.entry(made)
        conn.execute(
            update(log_entries)
            .where(log_entries.c.idx == made)
            .values(data=stored.replace(b'"version":1', b'"version":7'))
        )
    with pytest.raises(ChainFault) as fault:
        chains.entries(subject, upto=1)
    assert str(fault.value) == (
        f"{subject} version 1 (log index {made}): its stored bytes do not match their leaf hash"
    )

    # the event store lost the first version's event
    with ledger.node.engine.begin() as conn:
        conn.execute(update(log_entries).where(log_entries.c.idx == made).values(data=stored))
    ledger.delete_event(subject, 1)
    with pytest.raises(ChainFault) as fault:
        chains.entries(subject, upto=2)
    assert str(fault.value) == f"{subject} version 1: the event store has no event for it"


def _newest_event_deleted(ledger: Tampered) -> Receipt:
    """A second entry, folded into the read models, then its stored event deleted (only the
    event store: the log keeps it)."""
    second = ledger.city.say(ledger.maker, _fault(ledger, 1))
    ledger.node.projections.catch_up()
    ledger.delete_event(second.subject, second.version)
    return second


def test_a_chain_whose_newest_events_were_deleted_is_refused_before_it_forks(
    ledger: Tampered,
) -> None:
    """The review's attack: the chain's newest stored events deleted (older than the stretch
    start-up compares, here skipped): judged against the shortened chain, the next statement
    would be logged as a second version of it. The log's entries read model holds the later
    version, so the write path refuses, naming it, and logs nothing."""
    second = _newest_event_deleted(ledger)
    ledger.city.node.close()
    ledger.city.node = open_node(Settings(home=ledger.home, database_url=ledger.url), check=False)
    ledger.city.submit = ledger.city.node.service.submit
    size = ledger.node.log.size()
    with pytest.raises(StoreDisagrees) as refused:
        ledger.node.service.submit_batch([ledger.city.envelope([ledger.maker], _fault(ledger, 2))])
    assert f"{second.subject} version {second.version}" in str(refused.value), refused.value
    assert ledger.node.log.size() == size


def test_a_replay_of_a_chain_whose_newest_events_were_deleted_is_a_chain_fault(
    ledger: Tampered,
) -> None:
    """The replay must not answer "verified" for the chain the event store still has: the log
    holds a later version."""
    second = _newest_event_deleted(ledger)
    with pytest.raises(ChainFault) as fault:
        replay_elevator(ledger.node, CODE, NOW, "recorded")
    assert fault.value.version == second.version


@pytest.mark.parametrize("column, value", [("state", b"garbage{"), ("topic", "no.such:Thing")])
def test_an_unreadable_stored_event_is_a_409_naming_the_entry_not_a_500(
    ledger: Tampered, column: str, value: Any
) -> None:
    """A row whose state or topic was damaged cannot be decoded by the library: the regulator
    gets a problem naming the entry, and no personal value."""
    subject = f"organization:{ledger.maker.uscc}"
    registered = ledger.first_index(subject)
    ledger.set_column(subject, 1, column, value)
    answer = ledger.regulator_get(f"/v1/regulator/entries/{registered}")
    assert answer.status_code == 409, answer.text
    assert answer.json()["type"].endswith("/disclosures-unreadable")
    assert answer.json()["log_index"] == registered
