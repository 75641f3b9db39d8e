"""`elevator-ledger export` and `elevator-ledger verify`: an auditor checks everything without
trusting the server, and every kind of tampering makes `verify` exit non-zero naming the entry.

A small town (a manufacturer, a construction unit, an inspection institute; two elevators
manufactured, sold, built, inspected) is written through the real signed write path; the CLI
runs in-process with ``LEDGER_HOME`` and ``LEDGER_DATABASE_URL`` pointing at it. Tampering is
done the way an attacker with the database would: SQL on the stored tables, edits of the
exported files, entries appended straight to the log tables past the application's rules.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, insert, select, text, update
from typer.testing import CliRunner, Result

import api.cli.audit
from api.app import create_app
from api.cli.main import app
from domain.application.aggregates import Elevator
from domain.application.audit import reverify_entries
from domain.application.service import Receipt
from domain.model.roles import Role
from domain.model.trust import TrustAnchor
from ledger import merkle
from ledger.canonical import canonical_json
from ledger.entry import Entry, entry_hash
from ledger.keys import SigningKey
from ledger.log import is_stored_level
from ledger.merkle import node_key
from ledger.note import Checkpoint
from ledger.schema import log_checkpoints, log_entries, log_nodes, log_state
from tests.support.city import NOW, City, Org, statement
from tests.support.timeline import Days

CODE = "311023010201500098"
OTHER = "311023010201500099"
THIRD = "311023010201500097"
HISTORY = Days(NOW - timedelta(days=800))
at, day = HISTORY.at, HISTORY.day
SERVER = "http://ledger.test"


@dataclass
class Town:
    home: Path
    url: str
    city: City
    maker: Org
    builder: Org
    institute: Org
    receipts: dict[str, Receipt] = field(default_factory=dict)

    @property
    def state(self) -> Path:
        return self.home / "seen-checkpoints.json"

    def say(self, org: Org, stmt: dict[str, Any]) -> Receipt:
        return self.city.say(org, stmt)

    def lifecycle(self, code: str) -> None:
        m, b, i = self.maker, self.builder, self.institute
        self.receipts[f"{code} manufactured"] = self.say(
            m, statement("elevator.manufactured", code, m, at(0), manufactured_on=day(0))
        )
        self.receipts[f"{code} sold"] = self.say(m, statement("elevator.sold", code, m, at(1)))
        self.receipts[f"{code} notified"] = self.say(
            b, statement("construction.notified", code, b, at(10), planned_start=day(11))
        )
        self.receipts[f"{code} completed"] = self.say(
            b, statement("construction.completed", code, b, at(40), completed_on=day(40))
        )
        self.receipts[f"{code} inspected"] = self.say(
            i, statement("inspection.concluded", code, i, at(45), next_due=day(400))
        )

    def manufacture(self, code: str, days: float = 2) -> Receipt:
        m = self.maker
        return self.say(
            m, statement("elevator.manufactured", code, m, at(days), manufactured_on=day(days))
        )

    def reopen(self) -> None:
        """A fresh node on the same database (nothing cached from before a rewrite)."""
        self.city.node.close()
        self.city = City.open(self.home, self.url)

    # --- the CLI -------------------------------------------------------------------------

    def cli(self, *args: str | Path) -> Result:
        env: dict[str, str | None] = {
            "LEDGER_HOME": str(self.home),
            "LEDGER_DATABASE_URL": self.url,
            "LEDGER_ORIGIN": None,
        }
        return CliRunner().invoke(app, [str(a) for a in args], env=env)

    def export(self, name: str = "export") -> Path:
        out = self.home / name
        succeeded(self.cli("export", out))
        return out

    def verify(self, source: str | Path, *extra: str | Path) -> Result:
        return self.cli("verify", source, "--state", self.state, *extra)


@pytest.fixture
def town(tmp_path: Path, sqlite_url: str) -> Iterator[Town]:
    yield from _town(tmp_path, sqlite_url)


@pytest.fixture
def town_on_each_backend(tmp_path: Path, database_url: str) -> Iterator[Town]:
    yield from _town(tmp_path, database_url)


def _town(home: Path, url: str) -> Iterator[Town]:
    city = City.open(home, url)
    town = Town(
        home,
        url,
        city,
        maker=city.org(Role.MANUFACTURER),
        builder=city.org(Role.CONSTRUCTION_UNIT),
        institute=city.org(Role.INSPECTION_INSTITUTE),
    )
    town.lifecycle(CODE)
    town.lifecycle(OTHER)
    yield town
    town.city.node.close()


def succeeded(result: Result) -> str:
    assert result.exception is None, (result.exception, result.output)
    assert result.exit_code == 0, result.output
    return result.stdout


def failed(result: Result, *fragments: str) -> str:
    """Non-zero exit, nothing on stdout, the error as the last line on stderr (after the
    progress bar, if verification got that far)."""
    assert isinstance(result.exception, SystemExit), (result.exception, result.output)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    line = result.stderr.rstrip("\n").splitlines()[-1]
    assert line.startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


# --- exports and their verification ------------------------------------------------------


def test_export_is_the_log_up_to_its_checkpoint_with_a_signed_manifest(
    town_on_each_backend: Town,
) -> None:
    town = town_on_each_backend
    log = town.city.node.log
    out = town.export()
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    checkpoint = log.latest_checkpoint()
    assert manifest["format"] == "elevator-ledger-export/v1"
    assert manifest["size"] == checkpoint.size == log.size()
    assert manifest["range"] == [0, checkpoint.size]
    assert manifest["checkpoint"] == checkpoint.note
    assert base64.b64decode(manifest["root"]) == checkpoint.root
    lines = (out / "entries.jsonl").read_bytes().splitlines()
    assert [orjson.loads(line)["index"] for line in lines] == list(range(checkpoint.size))
    assert [orjson.loads(line)["entry"].encode() for line in lines] == log.entries(
        0, checkpoint.size
    )
    signed = (out / "manifest.sig").read_text()
    assert signed.startswith((out / "manifest.json").read_text() + "\n— " + log.origin + " ")

    report = succeeded(town.verify(out))
    assert f"verified {log.origin}: {checkpoint.size} entries" in report
    assert f"all {checkpoint.size} entries re-accepted identically" in report
    assert "first checkpoint seen of this log" in report
    seen = orjson.loads(town.state.read_bytes())[log.origin]
    assert seen["checkpoint"] == checkpoint.note


def test_export_refuses_to_overwrite_an_export(town: Town) -> None:
    out = town.export()
    failed(town.cli("export", out), "exists")


def test_a_later_export_must_extend_the_checkpoint_seen_before(town: Town) -> None:
    succeeded(town.verify(town.export("first")))
    town.manufacture(THIRD)
    report = succeeded(town.verify(town.export("second")))
    assert "consistent with the checkpoint seen before" in report
    # and an older export, after a newer one was seen, is a shrinking log
    failed(town.verify(town.home / "first"), "shrank")


def test_verify_needs_the_auditors_own_trust_file(town: Town, tmp_path: Path) -> None:
    out = town.export()
    forged = orjson.loads((town.home / "trust.json").read_bytes())
    other = City.open(tmp_path / "elsewhere", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    forged["log_verifier_key"] = other.node.log.signer.verifier.text()
    other.node.close()
    (tmp_path / "forged.json").write_bytes(orjson.dumps(forged))
    failed(town.verify(out, "--trust", tmp_path / "forged.json"), "manifest.sig")
    failed(town.verify(out, "--trust", tmp_path / "missing.json"), "cannot read")


def test_reverify_entries_replays_the_write_path(town: Town) -> None:
    node = town.city.node
    entries = list(enumerate(node.log.entries(0, node.log.size())))
    result = reverify_entries(entries, node.anchor, batch=7)
    assert result.ok and result.entries == len(entries)
    # under another root authority key nothing verifies, from the genesis entry on
    stranger = TrustAnchor(node.anchor.uscc, SigningKey.generate().verifying_key)
    result = reverify_entries(entries, stranger)
    assert result.entries == 0 and result.problem is not None
    assert result.problem.index == 0 and "(bad-signature)" in result.problem.reason


# --- tampering ---------------------------------------------------------------------------


def test_an_edited_manifest_is_refused(town: Town) -> None:
    out = town.export()
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    manifest["size"] -= 1
    manifest["range"] = [0, manifest["size"]]
    (out / "manifest.json").write_bytes(canonical_json(manifest) + b"\n")
    failed(town.verify(out), "manifest.sig signs another text than manifest.json")


def test_a_byte_changed_in_a_stored_entry_is_named(town_on_each_backend: Town) -> None:
    """(a) one byte of one stored entry changed by SQL: the signature no longer verifies."""
    town = town_on_each_backend
    index = town.receipts[f"{CODE} sold"].log_index
    data = town.city.node.log.entry(index)
    doc = orjson.loads(data)
    payload = doc["envelope"]["payload"]
    middle = len(payload) // 2
    swapped = "B" if payload[middle] != "B" else "C"
    at_byte = data.index(payload.encode()) + middle
    tampered = data[:at_byte] + swapped.encode() + data[at_byte + 1 :]
    assert len(tampered) == len(data) and tampered != data
    with town.city.node.engine.begin() as conn:
        conn.execute(update(log_entries).where(log_entries.c.idx == index).values(data=tampered))
    failed(town.verify(town.export()), f"entry {index}: ", "bad-signature")


def _rewrite_lines(path: Path, edit: Any) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(edit(lines)))


def test_an_entry_deleted_from_the_export_is_named(town: Town) -> None:
    """(b)"""
    out = town.export()
    index = town.receipts[f"{CODE} notified"].log_index
    _rewrite_lines(out / "entries.jsonl", lambda lines: lines[:index] + lines[index + 1 :])
    failed(town.verify(out), f"entry {index}: missing or out of order")


def test_two_entries_reordered_in_the_export_are_named(town: Town) -> None:
    """(c)"""
    out = town.export()
    index = town.receipts[f"{CODE} notified"].log_index

    def swap(lines: list[bytes]) -> list[bytes]:
        lines[index], lines[index + 1] = lines[index + 1], lines[index]
        return lines

    _rewrite_lines(out / "entries.jsonl", swap)
    failed(town.verify(out), f"entry {index}: missing or out of order")


def test_an_edited_export_line_that_still_parses_is_caught_by_its_hash(town: Town) -> None:
    out = town.export()

    def reformat(lines: list[bytes]) -> list[bytes]:
        doc = orjson.loads(lines[-1])
        return [*lines[:-1], orjson.dumps({"entry": doc["entry"], "index": doc["index"]}) + b"\n"]

    _rewrite_lines(out / "entries.jsonl", reformat)
    failed(town.verify(out), "entries.jsonl does not match the SHA-256")


def _rewrite_stored_entry(town: Town, index: int, new: bytes) -> None:
    """What a compromised server with the database does to change history without leaving an
    inconsistency behind: the event, the log entry, its leaf hash, every stored tree node
    above it, and a fresh checkpoint signed with the log key over the rewritten tree."""
    node = town.city.node
    old = Entry.from_bytes(node.log.entry(index))
    kind, ident = old.subject.split(":", 1)
    assert kind == "elevator"
    chain_id = Elevator.create_id(ident)
    recorder: Any = node.app.recorder
    with node.engine.begin() as conn:
        # the event store: the chain's event carries the entry and its hash
        row = conn.execute(
            text(
                f"SELECT state FROM {recorder.events_table_name} "
                "WHERE originator_id = :id AND originator_version = :v"
            ),
            {"id": chain_id.hex, "v": old.version},
        ).one()
        state = orjson.loads(row.state)
        state["entry"], state["entry_hash"] = new.decode(), entry_hash(new)
        conn.execute(
            text(
                f"UPDATE {recorder.events_table_name} SET state = :s "
                "WHERE originator_id = :id AND originator_version = :v"
            ),
            {"s": orjson.dumps(state), "id": chain_id.hex, "v": old.version},
        )
        # the log: entry, leaf hash, and the stored interior nodes on its path
        size = int(conn.execute(select(log_state.c.size)).scalar_one())
        tree = merkle.MemoryTree()
        for i, data in enumerate(node.log.entries(0, size)):
            tree.append(new if i == index else data)
        conn.execute(
            update(log_entries)
            .where(log_entries.c.idx == index)
            .values(data=new, leaf_hash=merkle.leaf_hash(new))
        )
        for level in range(2, len(tree.levels), 2):
            if (index >> level) < len(tree.levels[level]):
                assert is_stored_level(level)
                conn.execute(
                    update(log_nodes)
                    .where(log_nodes.c.id == node_key(level, index >> level))
                    .values(hash=tree.node(level, index >> level))
                )
        # the checkpoints that covered the old entry disappear; the attacker signs a new one
        # with the log key itself (the server signs only what it appended: ledger.log._Guard)
        conn.execute(delete(log_checkpoints).where(log_checkpoints.c.size > index))
        note = Checkpoint(node.log.origin, size, tree.root()).sign(node.log.signer)
        conn.execute(
            insert(log_checkpoints).values(
                size=size, root=tree.root(), note=note, signed_at=datetime.now(UTC)
            )
        )
        conn.execute(update(log_state).values(checkpoint_size=size))
    assert node.log.latest_checkpoint().root == tree.root()
    town.reopen()


def test_a_consistent_rewrite_after_a_published_checkpoint_fails_the_consistency_check(
    town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(d) The server back-dates the recorded_at of a late statement (the elevator's latest) so
    it no longer looks late, rewriting the event and log tables consistently and re-signing.
    Its own export then verifies in full — only the checkpoint the auditor saw before the
    rewrite exposes it, offline (the export's prefix root) and online (a consistency proof)."""
    succeeded(town.verify(town.export("before")))  # the auditor has seen this checkpoint
    seen = town.city.node.log.latest_checkpoint()
    index = town.receipts[f"{CODE} inspected"].log_index
    original = Entry.from_bytes(town.city.node.log.entry(index))
    backdated = Entry(
        original.envelope,
        original.subject,
        original.version,
        original.prev,
        at(45) + timedelta(hours=1),
    ).to_bytes()
    _rewrite_stored_entry(town, index, backdated)
    # the server carries on: its chain and log agree with the rewritten entry
    town.manufacture(THIRD)
    bureau = town.city.authority
    town.say(bureau, statement("supervision.checked", CODE, bureau, at(60), result="compliant"))
    head = town.city.node.app.elevator(CODE)
    assert head is not None and head.version == original.version + 1
    after = town.city.node.log.latest_checkpoint()
    assert after.size > seen.size

    rewritten = town.export("after")
    # without the earlier checkpoint, the rewritten log verifies in full: that is the point
    fresh = town.cli("verify", rewritten, "--state", town.home / "fresh-auditor.json")
    assert "re-accepted identically" in succeeded(fresh)
    # with it: the first entries no longer hash to the checkpoint seen before
    failed(
        town.verify(rewritten),
        f"the first {seen.size} entries do not hash to the root of the checkpoint seen earlier",
        "rewritten",
    )

    # online, the server's consistency proof cannot link the two checkpoints either
    monkeypatch.setattr(
        api.cli.audit, "http_client", lambda url: TestClient(create_app(node=town.city.node), url)
    )
    failed(
        town.verify(SERVER),
        f"the checkpoint of size {after.size} is not consistent with the one of size "
        f"{seen.size} seen earlier",
    )


def _forge(town: Town, envelope: dict[str, Any], code: str) -> int:
    """Append an entry for ``code``'s chain straight to the log tables (chain fields right,
    checkpoint signed), bypassing the application's rules; return its index."""
    chain = town.city.node.app.elevator(code)
    assert chain is not None
    forged = Entry(envelope, f"elevator:{code}", chain.version + 1, chain.head, NOW)
    return town.city.node.log.append([forged.to_bytes()]).first_index


def test_a_validly_signed_entry_the_rules_refuse_is_named(town: Town) -> None:
    """(e) signed by a registered key, chained correctly, but the signer may not say it."""
    builder = town.builder
    envelope = town.city.envelope(
        [builder], statement("elevator.sold", CODE, builder, at(2), contract_number="XS-9")
    )
    index = _forge(town, envelope, CODE)
    failed(town.verify(town.export()), f"entry {index}: the ledger's rules refuse it")


def test_a_statement_copied_onto_another_elevators_chain_is_named(town: Town) -> None:
    """(e) a real signed statement about one elevator, stored in another elevator's chain."""
    sold = town.city.node.log.entry(town.receipts[f"{CODE} sold"].log_index)
    index = _forge(town, orjson.loads(sold)["envelope"], OTHER)
    failed(
        town.verify(town.export()),
        f"entry {index}: repeats the statement already recorded as elevator:{CODE} version 2",
    )


# --- verifying a running ledger ----------------------------------------------------------


def test_verify_a_url_refuses_a_page_of_entries_with_one_missing(
    town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    class DroppingServer(TestClient):
        """Serves pages of entries with their first line left out."""

        def get(self, url: Any, **kwargs: Any) -> httpx.Response:
            response: httpx.Response = super().get(url, **kwargs)
            if str(url).startswith("/v1/log/entries?"):
                return httpx.Response(200, content=response.content.split(b"\n", 1)[1])
            return response

    monkeypatch.setattr(
        api.cli.audit,
        "http_client",
        lambda url: DroppingServer(create_app(node=town.city.node), url),
    )
    failed(town.verify(SERVER), "the server sent a malformed page of entries at 0")


def test_verify_a_url_checks_consistency_with_the_checkpoint_seen_before(
    town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        api.cli.audit, "http_client", lambda url: TestClient(create_app(node=town.city.node), url)
    )
    size = town.city.node.log.size()
    report = succeeded(town.verify(SERVER))
    assert f"{size} entries" in report and "first checkpoint seen" in report
    assert f"trust from {SERVER}/v1/trust, pinned on first use" in report
    town.manufacture(THIRD)
    report = succeeded(town.verify(SERVER, "--trust", town.home / "trust.json"))
    assert f"consistency proof from size {size} to size {size + 1}" in report
    assert "trust from" not in report

    # another ledger under the same origin (its own log key and authority) is refused
    other = City.open(town.home / "other", f"sqlite:///{town.home / 'other.db'}")
    try:
        monkeypatch.setattr(
            api.cli.audit, "http_client", lambda url: TestClient(create_app(node=other.node), url)
        )
        failed(town.verify(SERVER), f"the log key of {other.node.log.origin} is ", "but it was")
        failed(town.verify(SERVER, "--trust", town.home / "trust.json"), "serves log key")
    finally:
        other.node.close()
