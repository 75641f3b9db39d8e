"""Which shard of a split replay judges an entry: the elevator its *payload* is about (not the
chain it is stored in), or every shard for organization statements and for payloads that are
no statement at all (which every shard then refuses alike)."""

from __future__ import annotations

import base64
import gc
import sys
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from domain.application.audit_shards import PRELOAD, ShardReplay, preload, route, shard_env
from domain.application.gc_tuning import GC_THRESHOLDS
from domain.model.catalogue import EXAMPLE_ELEVATOR, example_statement
from domain.model.trust import TrustAnchor
from ledger.canonical import canonical_json
from ledger.entry import Entry
from ledger.keys import SigningKey

OTHER = "311023010201500099"
NOON = datetime(2025, 1, 1, 12, tzinfo=UTC)


def stored(payload: bytes | Any, subject: str = f"elevator:{OTHER}") -> Entry:
    """An entry in ``subject``'s chain carrying ``payload`` (bytes: base64'd, else as is)."""
    text = base64.b64encode(payload).decode() if isinstance(payload, bytes) else payload
    envelope: dict[str, Any] = {"payload": text, "payloadType": "x", "signatures": []}
    return Entry(envelope, subject, 1, None, NOON)


def test_an_elevator_statement_goes_to_its_elevators_shard_whatever_chain_holds_it() -> None:
    stmt = example_statement("maintenance.performed")
    assert route(stored(canonical_json(stmt))) == EXAMPLE_ELEVATOR
    # URL-safe, unpadded base64 is read as the ledger reads it
    text = base64.urlsafe_b64encode(canonical_json(stmt)).decode().rstrip("=")
    assert route(stored(text)) == EXAMPLE_ELEVATOR


@pytest.mark.parametrize("kind", ["org.registered", "key.registered", "key.revoked"])
def test_an_organization_statement_goes_to_every_shard(kind: str) -> None:
    assert route(stored(canonical_json(example_statement(kind)))) is None


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(b"not json", id="not JSON"),
        pytest.param(b"[1, 2]", id="not an object"),
        pytest.param(canonical_json({"type": "no.such.type"}), id="unknown type"),
        pytest.param({"not": "text"}, id="payload not a string"),
        pytest.param("***", id="not base64"),
    ],
)
def test_a_payload_that_is_no_statement_goes_to_every_shard(payload: bytes | Any) -> None:
    assert route(stored(payload)) is None


def test_an_elevator_field_that_is_not_text_is_left_to_the_ledgers_parser() -> None:
    stmt = {**example_statement("maintenance.performed"), "elevator": 311023010201500098}
    assert route(stored(orjson.dumps(stmt))) is None  # the parser refuses it: every shard


def test_each_shard_replays_into_a_store_of_its_own() -> None:
    memory = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    assert shard_env(memory, 1) == memory
    sqlite = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": "/tmp/replay.db"}
    assert shard_env(sqlite, 0)["SQLITE_DBNAME"] == "/tmp/replay.db.0"
    assert shard_env(sqlite, 1)["SQLITE_DBNAME"] == "/tmp/replay.db.1"
    assert shard_env({**sqlite, "SQLITE_DBNAME": ":memory:"}, 1)["SQLITE_DBNAME"] == ":memory:"


def test_a_statement_wrapped_as_a_submission_goes_where_the_ledger_judges_it() -> None:
    """The ledger unwraps ``{"envelope", "disclosures"}``; so does the router."""
    inner = stored(canonical_json(example_statement("maintenance.performed"))).envelope
    wrapped = Entry({"envelope": inner, "disclosures": []}, f"elevator:{OTHER}", 1, None, NOON)
    assert route(wrapped) == EXAMPLE_ELEVATOR
    assert route(Entry({"envelope": "not an object"}, f"elevator:{OTHER}", 1, None, NOON)) is None


def test_the_fork_server_also_preloads_a_main_module_run_by_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    main = sys.modules["__main__"]
    monkeypatch.setattr(main, "__spec__", SimpleNamespace(name="bench.read_side"))
    assert preload() == (*PRELOAD, "bench.read_side")
    monkeypatch.setattr(main, "__spec__", None)  # a script run by its path
    assert preload() == PRELOAD


def test_a_shard_collects_cycles_as_rarely_as_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """A shard judges statements as the writer does: with CPython's default thresholds the
    cycle collector took about a sixth of its time (see domain.application.gc_tuning)."""
    set_to: list[tuple[int, ...]] = []
    monkeypatch.setattr(gc, "set_threshold", lambda *t: set_to.append(t))
    shard = ShardReplay(
        (TrustAnchor("11430900MB1C2D3E45", SigningKey.generate().verifying_key), {})
    )
    shard.close()
    assert set_to == [GC_THRESHOLDS]
