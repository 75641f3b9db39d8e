"""The replay of the write path split by elevator over several processes says exactly what the
one-process replay says: the same count of re-accepted entries and the same first problem
(index and reason) — on an honest log and on every kind of tampering, including those that
cross subjects: a statement stored in another elevator's chain, a terminal key signing for an
elevator it is not bound to, a key used after its revocation, an organization's entry removed.

A small town is written once through the real signed write path (four elevators in service,
an IoT terminal bound to the first, a manufacturer that rotates its key); each test then
tampers with a copy of the log's entries the way someone with the database could.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from api.cli.main import app
from domain.application.audit import ReverifyResult, reverify_entries, verify_log
from domain.model.onboarding import key_registration
from domain.model.roles import Role
from domain.model.signing import sign_statement
from domain.model.trust import TrustAnchor
from ledger.canonical import canonical_json
from ledger.dsse import sign
from ledger.entry import Entry, entry_hash
from ledger.keys import SigningKey
from ledger.note import Checkpoint, open_checkpoint
from tests.support.city import NOW, City, Org, statement
from tests.support.lift_states import UNHURRIED, Commissioners, commissioned
from tests.support.timeline import Days

A, B, C, D = (f"3110230102015{serial:05d}" for serial in (101, 102, 103, 104))
NEW = "311023010201500105"  # manufactured after the maker rotated its key
LATER = "311023010201500106"  # never in the honest log
HISTORY = Days(NOW - timedelta(days=800))
at, day = HISTORY.at, HISTORY.day
PAYLOAD_TYPE = "application/vnd.elevator-ledger.statement+json"


@dataclass
class Town:
    home: Path
    url: str
    anchor: TrustAnchor
    checkpoint: Checkpoint
    entries: list[bytes]  # the honest log
    maker: Org
    builder: Org
    maintainer: Org
    retired: SigningKey  # the maker's first key, revoked
    terminal: SigningKey  # the maintainer's IoT terminal, bound to elevator A
    index: dict[str, int] = field(default_factory=dict)  # log index of named entries

    def envelope(self, keys: list[SigningKey], stmt: dict[str, Any]) -> dict[str, Any]:
        return sign_statement(stmt, keys).envelope.to_json()


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Town]:
    home = tmp_path_factory.mktemp("town")
    url = f"sqlite:///{home / 'ledger.db'}"
    city = City.open(home, url)
    maker = city.org(Role.MANUFACTURER)
    builder = city.org(Role.CONSTRUCTION_UNIT)
    institute = city.org(Role.INSPECTION_INSTITUTE)
    owner = city.org(Role.USE_UNIT)
    maintainer = city.org(Role.MAINTENANCE_UNIT)
    bureau = city.org(Role.REGULATOR)
    index: dict[str, int] = {}

    def say(name: str, org: Org, stmt: dict[str, Any], *cosigners: Org) -> None:
        index[name] = city.say(org, stmt, *cosigners).log_index

    crew = Commissioners(maker, builder, institute, owner, maintainer, bureau)
    lives = [commissioned(crew, c, HISTORY, UNHURRIED, next_due=day(400)) for c in (A, B, C, D)]
    for steps in zip(*lives, strict=True):  # the elevators' histories interleave in the log
        for code, step in zip((A, B, C, D), steps, strict=True):
            say(f"{code} {step.name}", step.signer, step.statement, *step.cosigners)

    terminal = SigningKey.generate()
    say(
        "terminal registered",
        maintainer,
        key_registration(
            maintainer.uscc, maintainer.uscc, terminal.verifying_key, at(52), bound_elevator=A
        ),
    )
    device = Org(maintainer.uscc, terminal, maintainer.roles)
    say(
        f"{A} fault",
        device,
        statement("fault.reported", A, maintainer, at(60), detected_at=at(60).isoformat()),
    )
    retired, rotated = maker.key, SigningKey.generate()
    say(
        "maker key registered",
        maker,
        key_registration(maker.uscc, maker.uscc, rotated.verifying_key, at(61)),
    )
    say(
        "maker key revoked",
        maker,
        {
            "type": "key.revoked",
            "organization": maker.uscc,
            "issuer": maker.uscc,
            "occurred_at": at(62).isoformat(),
            "data": {"key_id": retired.key_id, "reason": "rotated"},
        },
    )
    maker = Org(maker.uscc, rotated, maker.roles)
    say(
        f"{NEW} manufactured",
        maker,
        statement("elevator.manufactured", NEW, maker, at(63), manufactured_on=day(63)),
    )
    for code in (B, C):
        say(
            f"{code} visit",
            maintainer,
            statement(
                "maintenance.performed",
                code,
                maintainer,
                at(70),
                arrived_at=at(70).isoformat(),
                departed_at=(at(70) + timedelta(hours=1)).isoformat(),
            ),
        )

    node = city.node
    signed = node.log.latest_checkpoint()
    entries = list(node.log.entries(0, node.log.size()))
    assert signed.size == len(entries)
    checkpoint = open_checkpoint(signed.note, node.log.signer.verifier)
    yield Town(
        home,
        url,
        node.anchor,
        checkpoint,
        entries,
        maker,
        builder,
        maintainer,
        retired,
        terminal,
        index,
    )
    node.close()


# --- building tampered logs --------------------------------------------------------------


def chained(
    entries: list[bytes], envelope: dict[str, Any], code: str, subject: str | None = None
) -> bytes:
    """An entry for ``code``'s chain (or ``subject``'s) right after its last one (version, prev
    and a later recorded_at all as the ledger would write them), so only the replay can
    object."""
    subject = subject or f"elevator:{code}"
    parsed = [Entry.from_bytes(data) for data in entries]
    chain = [
        (entry, data)
        for entry, data in zip(parsed, entries, strict=True)
        if entry.subject == subject
    ]
    version, prev = (chain[-1][0].version + 1, entry_hash(chain[-1][1])) if chain else (1, None)
    recorded_at = max(entry.recorded_at for entry in parsed) + timedelta(seconds=1)
    return Entry(envelope, subject, version, prev, recorded_at).to_bytes()


def rewritten(data: bytes, **changes: Any) -> bytes:
    entry = Entry.from_bytes(data)
    return Entry(**{**entry.__dict__, **changes}).to_bytes()


#: (the tampered log, the index of the first bad entry, a fragment of its reason)
Tampered = tuple[list[bytes], int, str]


def copied_onto_another_chain(t: Town) -> Tampered:
    """A genuine statement about A stored again as the next entry of B's chain."""
    envelope = orjson.loads(t.entries[t.index[f"{A} manufactured"]])["envelope"]
    log = [*t.entries, chained(t.entries, envelope, B)]
    return log, len(t.entries), f"repeats the statement already recorded as elevator:{A} version 1"


def wrapped_as_a_submission(t: Town) -> Tampered:
    """A genuine statement about C, stored in B's chain in the form a submission with
    disclosures takes (which the ledger unwraps): judged against C's chain all the same."""
    i = t.index[f"{C} visit"]
    envelope = orjson.loads(t.entries[i])["envelope"]
    log = [*t.entries, chained(t.entries, {"envelope": envelope, "disclosures": []}, B)]
    return log, len(t.entries), "repeats the statement already recorded"


def terminal_signing_for_another_elevator(t: Town) -> Tampered:
    device = Org(t.maintainer.uscc, t.terminal, t.maintainer.roles)
    fault = statement("fault.reported", B, device, at(80), detected_at=at(80).isoformat())
    log = [*t.entries, chained(t.entries, t.envelope([t.terminal], fault), B)]
    return log, len(t.entries), "terminal-not-bound"


def terminal_bound_by_a_stranger(t: Town) -> Tampered:
    """The builder binds a terminal to B, whose parties it is not: refused in B's shard, the
    others being told that binding is judged elsewhere."""
    key = SigningKey.generate().verifying_key
    uscc = t.builder.uscc
    binding = key_registration(uscc, uscc, key, at(80), bound_elevator=B)
    envelope = t.envelope([t.builder.key], binding)
    log = [*t.entries, chained(t.entries, envelope, B, f"organization:{uscc}")]
    return log, len(t.entries), "terminal-owner-not-a-party"


def terminal_bound_to_an_elevator_never_made(t: Town) -> Tampered:
    """A binding to an elevator no shard holds yet: it gets its shard there and then."""
    key = SigningKey.generate().verifying_key
    uscc = t.maintainer.uscc
    binding = key_registration(uscc, uscc, key, at(80), bound_elevator=LATER)
    envelope = t.envelope([t.maintainer.key], binding)
    log = [*t.entries, chained(t.entries, envelope, LATER, f"organization:{uscc}")]
    return log, len(t.entries), "terminal-elevator-unknown"


def key_used_after_its_revocation(t: Town) -> Tampered:
    made = statement("elevator.manufactured", LATER, t.maker, at(80), manufactured_on=day(80))
    log = [*t.entries, chained(t.entries, t.envelope([t.retired], made), LATER)]
    return log, len(t.entries), "key-revoked"


def signature_broken(t: Town) -> Tampered:
    i = t.index[f"{C} inspected"]
    envelope = orjson.loads(t.entries[i])["envelope"]
    sig = base64.b64decode(envelope["signatures"][0]["sig"])
    envelope["signatures"][0]["sig"] = base64.b64encode(bytes([sig[0] ^ 1]) + sig[1:]).decode()
    log = list(t.entries)
    log[i] = rewritten(t.entries[i], envelope=envelope)
    return log, i, "bad-signature"


def signed_payload_that_is_no_statement(t: Town) -> Tampered:
    payload = canonical_json({"type": "no.such.type", "elevator": A})
    envelope = sign(PAYLOAD_TYPE, payload, [t.maker.key]).to_json()
    log = [*t.entries, chained(t.entries, envelope, A)]
    return log, len(t.entries), "invalid-statement"


def bytes_that_are_no_entry(t: Town) -> Tampered:
    i = t.index[f"{B} completed"]
    log = list(t.entries)
    log[i] = b'{"not": "an entry"}'
    return log, i, "not a ledger entry"


def organization_entry_removed(t: Town) -> Tampered:
    """The maker's key rotation without its registration: every shard needs that entry."""
    i = t.index["maker key registered"]
    return [*t.entries[:i], *t.entries[i + 1 :]], i, "version"


def recorded_before_it_happened(t: Town) -> Tampered:
    i = t.index[f"{D} contracted"]
    log = list(t.entries)
    log[i] = rewritten(t.entries[i], recorded_at=at(50))  # signed as of day 51
    return log, i, "occurred-in-the-future"


def stamped_before_the_entry_before_it(t: Town) -> Tampered:
    """An earlier recorded_at than the entry before it (another elevator's, in another shard)
    breaks no rule of the replay by itself: what it changes is the entry's hash, which the
    next entry of its own chain no longer links to."""
    i = t.index[f"{B} completed"]
    assert t.index[f"{A} completed"] == i - 1
    before = Entry.from_bytes(t.entries[i - 1]).recorded_at
    log = list(t.entries)
    log[i] = rewritten(t.entries[i], recorded_at=before - timedelta(microseconds=1))
    return log, t.index[f"{B} inspected"], "prev"


def revoked_key_dated_before_its_revocation(t: Town) -> Tampered:
    """Revocation counts by log order: an entry after the revocation in the log may not carry
    the revoked key's signature, whatever earlier recorded_at it claims."""
    made = statement("elevator.manufactured", LATER, t.maker, at(61), manufactured_on=day(61))
    forged = chained(t.entries, t.envelope([t.retired], made), LATER)
    revoked = Entry.from_bytes(t.entries[t.index["maker key revoked"]]).recorded_at
    log = [*t.entries, rewritten(forged, recorded_at=revoked - timedelta(seconds=1))]
    return log, len(t.entries), "key-revoked"


def refused_in_two_chains(first: str, second: str) -> Callable[[Town], Tampered]:
    def tamper(t: Town) -> Tampered:
        log = list(t.entries)
        for code in (first, second):
            sold = statement("elevator.sold", code, t.builder, at(80), contract_number="XS-9")
            log.append(chained(log, t.envelope([t.builder.key], sold), code))
        return log, len(t.entries), "role-required"  # both are; the first is named

    tamper.__name__ = f"refused_in_{first[-3:]}_then_{second[-3:]}"
    return tamper


TAMPERINGS = [
    copied_onto_another_chain,
    wrapped_as_a_submission,
    terminal_signing_for_another_elevator,
    terminal_bound_by_a_stranger,
    terminal_bound_to_an_elevator_never_made,
    key_used_after_its_revocation,
    signature_broken,
    signed_payload_that_is_no_statement,
    bytes_that_are_no_entry,
    organization_entry_removed,
    recorded_before_it_happened,
    stamped_before_the_entry_before_it,
    revoked_key_dated_before_its_revocation,
    refused_in_two_chains(A, B),
    refused_in_two_chains(B, A),
    refused_in_two_chains(C, NEW),
]


def replayed(town: Town, log: list[bytes], workers: int, batch: int) -> ReverifyResult:
    return reverify_entries(list(enumerate(log)), town.anchor, batch=batch, workers=workers)


# --- the honest log ----------------------------------------------------------------------


def test_every_core_verifies_the_honest_log_as_one_process_does(town: Town) -> None:
    entries = list(enumerate(town.entries))
    one = verify_log(entries, town.checkpoint, town.anchor, workers=1)
    assert one.ok and one.reaccepted == one.size == len(town.entries)
    for workers, batch in [(2, 1000), (2, 5), (3, 7)]:
        seen: list[int] = []
        split = verify_log(
            entries,
            town.checkpoint,
            town.anchor,
            workers=workers,
            batch=batch,
            progress=seen.append,
        )
        assert split == one
        assert seen == sorted(seen) and seen[-1] == len(town.entries)
        assert len(split.replay_cpu) == workers and all(cpu > 0 for cpu in split.replay_cpu)
    assert one.replay_cpu == ()  # the replay ran in this process


def test_each_shard_can_replay_into_a_file_of_its_own(town: Town, tmp_path: Path) -> None:
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "r.db")}
    result = reverify_entries(list(enumerate(town.entries)), town.anchor, env=env, workers=2)
    assert result.ok and result.entries == len(town.entries)
    assert sorted(p.name for p in tmp_path.glob("r.db*")) == ["r.db.0", "r.db.1"]


# --- tampered logs -----------------------------------------------------------------------


@pytest.mark.parametrize("tamper", TAMPERINGS, ids=lambda t: t.__name__)
def test_every_core_names_the_same_first_bad_entry_as_one_process(
    town: Town, tamper: Callable[[Town], Tampered]
) -> None:
    log, index, reason = tamper(town)
    one = replayed(town, log, workers=1, batch=1000)
    assert one.problem is not None and one.problem.index == index, one.problem
    assert reason in one.problem.reason
    assert one.entries == index  # everything before it was re-accepted
    for workers, batch in [(2, 1000), (2, 4), (3, 9)]:
        assert replayed(town, log, workers, batch) == one, (workers, batch)


def test_the_full_verify_reports_the_replays_first_problem(town: Town) -> None:
    log, index, _ = terminal_signing_for_another_elevator(town)
    entries = list(enumerate(log))
    one = verify_log(entries, town.checkpoint, town.anchor, workers=1)
    assert one.problem is not None and one.problem.index == index
    assert verify_log(entries, town.checkpoint, town.anchor, workers=2) == one


# --- the CLI -----------------------------------------------------------------------------


def test_the_cli_verifies_on_as_many_workers_as_asked(town: Town) -> None:
    env: dict[str, str | None] = {
        "LEDGER_HOME": str(town.home),
        "LEDGER_DATABASE_URL": town.url,
        "LEDGER_ORIGIN": None,
    }
    runner = CliRunner()
    export = town.home / "export"
    assert runner.invoke(app, ["export", str(export)], env=env).exit_code == 0
    outputs = []
    for workers in ("1", "2"):
        state = town.home / f"seen-{workers}.json"
        result = runner.invoke(
            app, ["verify", str(export), "--state", str(state), "--workers", workers], env=env
        )
        assert result.exit_code == 0, result.output
        assert f"all {len(town.entries)} entries re-accepted identically" in result.stdout
        outputs.append(result.stdout.replace(str(state), "STATE"))
    assert outputs[0] == outputs[1]
    refused = runner.invoke(app, ["verify", str(export), "--workers", "0"], env=env)
    assert refused.exit_code == 2 and "--workers" in refused.output
