"""The ``elevator-ledger`` command line, end to end, in-process (``typer.testing.CliRunner``).

Each test has a ledger home of its own (``LEDGER_HOME`` = a temporary directory) on embedded
SQLite at the default URL under that home. The contract: results on stdout, progress and
reports on stderr, every failure one line on stderr (``error: …``) with a non-zero exit code.
``serve`` is left to the HTTP app's own tests.
"""

from __future__ import annotations

import base64
import json
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner, Result

from api.bootstrap import initialise
from api.cli.main import app
from api.settings import Settings
from domain.model.identifiers import USCC_ALPHABET
from domain.model.roles import Role
from domain.model.signing import sign_statement
from domain.model.submission import STATEMENT_PAYLOAD_TYPE
from ledger.canonical import canonical_json
from ledger.dsse import parse_envelope, verify
from ledger.keys import SigningKey, load_signing_key, save_signing_key
from ledger.note import NoteVerifier
from ledger.receipt import Promise
from tests.support.city import NOW, City, Org, new_uscc, statement

ORIGIN = Settings.model_fields["origin"].default
VERIFIER_KEY = re.compile(
    rf"^{re.escape(ORIGIN)}\+(?P<hash>[0-9a-f]{{8}})\+(?P<key>[A-Za-z0-9+/]+=*)$"
)


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def database_url(home: Path) -> str:
    """The CLI's default database under its home."""
    return f"sqlite:///{home / 'ledger.db'}"


def cli(home: Path, *args: str | Path, stdin: bytes | None = None) -> Result:
    """Run ``elevator-ledger ARGS`` with ``home`` as ``LEDGER_HOME`` and the default database."""
    env: dict[str, str | None] = {
        "LEDGER_HOME": str(home),
        "LEDGER_DATABASE_URL": None,  # the default: SQLite under the home
        "LEDGER_ORIGIN": None,
    }
    return CliRunner().invoke(app, [str(a) for a in args], env=env, input=stdin)


def succeeded(result: Result) -> Result:
    assert result.exception is None, (result.exception, result.output)
    assert result.exit_code == 0, result.output
    return result


def one_line_error(result: Result, *fragments: str) -> str:
    """The failure contract: non-zero exit, nothing on stdout, exactly one line on stderr."""
    assert isinstance(result.exception, SystemExit), (result.exception, result.output)
    assert result.exit_code != 0, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def log_size(home: Path) -> int:
    node, _ = initialise(Settings(home=home, database_url=database_url(home)))
    try:
        return node.log.size()
    finally:
        node.close()


def log_verifier(home: Path) -> NoteVerifier:
    return NoteVerifier.parse(orjson.loads((home / "trust.json").read_bytes())["log_verifier_key"])


def summary(result: Result) -> tuple[int, int]:
    """``N accepted, M rejected`` from ``submit``'s last stderr line."""
    match = re.fullmatch(r"(\d+) accepted, (\d+) rejected", result.stderr.splitlines()[-1])
    assert match, result.stderr
    return int(match[1]), int(match[2])


def rejection_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if re.match(r"#\d+ rejected ", line)]


def receipts_in(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def elevator(n: int) -> str:
    """An equipment code: traction passenger lift (3110), maker 23010, 2015, serial ``n``."""
    return f"3110230102015{n:05d}"


def manufactured(org: Org, code: str) -> dict[str, Any]:
    return statement("elevator.manufactured", code, org, NOW - timedelta(days=30))


def jsonl(envelopes: Sequence[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(e) + b"\n" for e in envelopes)


def with_bad_check_character(uscc: str) -> str:
    wrong = next(c for c in USCC_ALPHABET if c != uscc[-1])
    return uscc[:-1] + wrong


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "ledger-home"


@dataclass
class Onboarded:
    home: Path
    maker: Org


@pytest.fixture
def onboarded(home: Path) -> Onboarded:
    """A ledger (at the CLI's home and default database) where one manufacturer is registered,
    with its role and key; the node that onboarded it is closed before the CLI runs."""
    city = City.open(home, database_url(home))
    try:
        maker = city.org(Role.MANUFACTURER, name="湖南资江电梯制造有限公司")
    finally:
        city.node.close()
    return Onboarded(home, maker)


# --------------------------------------------------------------------------------------------
# init
# --------------------------------------------------------------------------------------------


def test_init_creates_the_database_private_keys_and_trust_file_and_prints_the_log_key(
    home: Path,
) -> None:
    result = succeeded(cli(home, "init"))

    assert (home / "ledger.db").is_file()
    for key in (home / "keys" / "log.note-key", home / "keys" / "authority.pem"):
        assert key.is_file() and mode(key) == 0o600, key
    trust = orjson.loads((home / "trust.json").read_bytes())
    authority = load_signing_key(home / "keys" / "authority.pem")
    assert trust["authority"]["public_key"] == authority.verifying_key.public_b64()
    assert trust["authority"]["key_id"] == authority.key_id

    # stdout is exactly the verifier key, in C2SP vkey form: origin+keyhash+base64(0x01‖pub)
    printed = result.stdout.removesuffix("\n")
    assert "\n" not in printed
    match = VERIFIER_KEY.fullmatch(printed)
    assert match, printed
    raw = base64.b64decode(match["key"], validate=True)
    assert len(raw) == 33 and raw[0] == 0x01
    verifier = NoteVerifier.parse(printed)
    assert verifier.name == ORIGIN
    assert int(match["hash"], 16) == verifier.key_hash
    assert trust["log_verifier_key"] == printed
    # the human-readable report goes to stderr
    assert "trust file:" in result.stderr and str(home / "trust.json") in result.stderr

    # the genesis statements (the authority onboarding itself) are in the log
    assert log_size(home) > 0


def test_init_a_second_time_reuses_everything_and_prints_the_same_log_key(home: Path) -> None:
    first = succeeded(cli(home, "init"))
    files = [home / "keys" / "log.note-key", home / "keys" / "authority.pem", home / "trust.json"]
    before = {f: (f.read_bytes(), f.stat().st_mtime_ns) for f in files}
    size = log_size(home)

    second = succeeded(cli(home, "init"))

    assert second.stdout == first.stdout
    assert {f: (f.read_bytes(), f.stat().st_mtime_ns) for f in files} == before
    assert sorted(p.name for p in (home / "keys").iterdir()) == ["authority.pem", "log.note-key"]
    assert log_size(home) == size  # no second genesis


# --------------------------------------------------------------------------------------------
# keygen
# --------------------------------------------------------------------------------------------


def test_keygen_writes_a_private_pem_and_prints_the_public_identity_to_register(
    tmp_path: Path, home: Path
) -> None:
    out = tmp_path / "company" / "mycompany.pem"

    result = succeeded(cli(home, "keygen", out))

    assert mode(out) == 0o600
    assert out.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    key = load_signing_key(out)
    printed = json.loads(result.stdout)
    assert printed == {
        "key_id": key.key_id,
        "algorithm": "ed25519",
        "public_key": key.verifying_key.public_b64(),
    }
    assert result.stdout.count("\n") == 1
    assert not list(out.parent.glob("*.tmp"))


def test_keygen_refuses_to_overwrite_an_existing_file(tmp_path: Path, home: Path) -> None:
    out = tmp_path / "mycompany.pem"
    succeeded(cli(home, "keygen", out))
    original = out.read_bytes()

    one_line_error(cli(home, "keygen", out), str(out), "refusing to overwrite")

    assert out.read_bytes() == original
    not_a_key = tmp_path / "notes.txt"
    not_a_key.write_text("precious\n")
    one_line_error(cli(home, "keygen", not_a_key), "refusing to overwrite")
    assert not_a_key.read_text() == "precious\n"


# --------------------------------------------------------------------------------------------
# sign
# --------------------------------------------------------------------------------------------


@pytest.fixture
def maker() -> Org:
    """An organization's identity and key; signing needs no ledger."""
    return Org(new_uscc(), SigningKey.generate(), (Role.MANUFACTURER,))


def key_file(tmp_path: Path, key: SigningKey, name: str = "key.pem") -> Path:
    path = tmp_path / name
    save_signing_key(key, path)
    return path


def test_sign_turns_a_statement_into_a_dsse_envelope_that_verifies_under_the_key(
    tmp_path: Path, home: Path, maker: Org
) -> None:
    doc = manufactured(maker, elevator(1))
    (tmp_path / "statement.json").write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))

    result = succeeded(
        cli(home, "sign", tmp_path / "statement.json", "-k", key_file(tmp_path, maker.key))
    )

    envelope = parse_envelope(result.stdout_bytes, [STATEMENT_PAYLOAD_TYPE])
    assert [s.keyid for s in envelope.signatures] == [maker.key.key_id]
    assert verify(envelope, [maker.key.verifying_key]) == [maker.key.verifying_key]
    payload = orjson.loads(envelope.payload)
    assert envelope.payload == canonical_json(payload)  # RFC 8785, as the ledger requires
    nonce = payload.pop("nonce")
    assert isinstance(nonce, str) and nonce  # added, since the statement had none
    assert payload == doc
    assert result.stderr == ""


def test_sign_refuses_the_class_code_3200_and_signs_a_hydraulic_variety(
    tmp_path: Path, home: Path, maker: Org
) -> None:
    key = key_file(tmp_path, maker.key)
    legacy = {**manufactured(maker, "320023010201500001")}
    legacy["data"] = {**legacy["data"], "category": "3200"}
    refused = cli(home, "sign", "-", "--key", key, stdin=orjson.dumps(legacy))
    one_line_error(refused, "elevator", "3210 液压乘客电梯 or 3220 液压载货电梯")
    hydraulic = {**manufactured(maker, "321023010201500001")}
    hydraulic["data"] = {**hydraulic["data"], "category": "3210"}
    succeeded(cli(home, "sign", "-", "--key", key, stdin=orjson.dumps(hydraulic)))


def test_sign_keeps_the_statements_own_nonce_and_reads_stdin(
    tmp_path: Path, home: Path, maker: Org
) -> None:
    doc = {**manufactured(maker, elevator(1)), "nonce": "0123456789abcdef01234567"}

    result = succeeded(
        cli(home, "sign", "-", "--key", key_file(tmp_path, maker.key), stdin=orjson.dumps(doc))
    )

    envelope = parse_envelope(result.stdout_bytes, [STATEMENT_PAYLOAD_TYPE])
    assert orjson.loads(envelope.payload) == doc


def test_sign_with_two_keys_carries_both_signatures_issuer_first(
    tmp_path: Path, home: Path, maker: Org
) -> None:
    owner = SigningKey.generate()
    out = tmp_path / "envelope.json"
    args: list[str | Path] = [
        "-k",
        key_file(tmp_path, maker.key, "maker.pem"),
        "-k",
        key_file(tmp_path, owner, "owner.pem"),
    ]
    (tmp_path / "statement.json").write_bytes(orjson.dumps(manufactured(maker, elevator(1))))

    result = succeeded(cli(home, "sign", tmp_path / "statement.json", *args, "--out", out))

    assert result.stdout == ""
    envelope = parse_envelope(out.read_bytes(), [STATEMENT_PAYLOAD_TYPE])
    assert [s.keyid for s in envelope.signatures] == [maker.key.key_id, owner.key_id]
    both = verify(envelope, [maker.key.verifying_key, owner.verifying_key])
    assert {k.key_id for k in both} == {maker.key.key_id, owner.key_id}


def test_sign_refuses_an_invalid_statement_naming_the_field_and_writes_no_envelope(
    tmp_path: Path, home: Path, maker: Org
) -> None:
    doc = {**manufactured(maker, elevator(1)), "issuer": with_bad_check_character(maker.uscc)}
    (tmp_path / "statement.json").write_bytes(orjson.dumps(doc))
    out = tmp_path / "envelope.json"

    line = one_line_error(
        cli(
            home,
            "sign",
            tmp_path / "statement.json",
            "-k",
            key_file(tmp_path, maker.key),
            "-o",
            out,
        )
    )

    assert line.startswith("error: invalid statement: issuer: "), line
    assert "check character" in line
    assert not out.exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"{not json", "is not JSON"),
        (b"[1, 2, 3]", "a statement is a JSON object"),
        (b'{"type": "elevator.teleported"}', "invalid statement: "),
    ],
    ids=["not-json", "not-an-object", "unknown-type"],
)
def test_sign_refuses_what_is_not_a_statement_with_one_line(
    tmp_path: Path, home: Path, maker: Org, content: bytes, expected: str
) -> None:
    (tmp_path / "statement.json").write_bytes(content)
    out = tmp_path / "envelope.json"

    one_line_error(
        cli(
            home,
            "sign",
            tmp_path / "statement.json",
            "-k",
            key_file(tmp_path, maker.key),
            "-o",
            out,
        ),
        expected,
    )

    assert not out.exists()


@pytest.mark.parametrize(
    ("key_content", "expected"),
    [
        (None, "cannot read key file"),
        (b"garbage\n", "not an unencrypted PEM private key"),
        (b"", "not an unencrypted PEM private key"),
    ],
    ids=["missing", "garbage", "empty"],
)
def test_sign_refuses_a_missing_or_unusable_key_with_one_line(
    tmp_path: Path, home: Path, maker: Org, key_content: bytes | None, expected: str
) -> None:
    key = tmp_path / "key.pem"
    if key_content is not None:
        key.write_bytes(key_content)
    (tmp_path / "statement.json").write_bytes(orjson.dumps(manufactured(maker, elevator(1))))
    out = tmp_path / "envelope.json"

    one_line_error(cli(home, "sign", tmp_path / "statement.json", "-k", key, "-o", out), expected)

    assert not out.exists()


def test_sign_error_messages_are_printed_as_given_not_read_as_markup(
    tmp_path: Path, home: Path, maker: Org
) -> None:
    """A bracketed value in the input is not Rich markup: no crash, nothing swallowed."""
    for issuer in ("[/x]", "[bold]"):
        doc = {**manufactured(maker, elevator(1)), "issuer": issuer}
        (tmp_path / "statement.json").write_bytes(orjson.dumps(doc))
        one_line_error(
            cli(home, "sign", tmp_path / "statement.json", "-k", key_file(tmp_path, maker.key)),
            "invalid statement: issuer: ",
            repr(issuer),
        )


# --------------------------------------------------------------------------------------------
# submit (to this ledger directly)
# --------------------------------------------------------------------------------------------


def test_submit_of_one_envelope_file_accepts_it_and_writes_its_receipt(
    tmp_path: Path, onboarded: Onboarded
) -> None:
    home, maker = onboarded.home, onboarded.maker
    envelope = sign_statement(manufactured(maker, elevator(1)), [maker.key]).to_json()
    (tmp_path / "envelope.json").write_bytes(orjson.dumps(envelope, option=orjson.OPT_INDENT_2))
    size = log_size(home)

    result = succeeded(
        cli(home, "submit", tmp_path / "envelope.json", "--receipts", tmp_path / "receipts.jsonl")
    )

    assert summary(result) == (1, 0)
    [receipt] = receipts_in(tmp_path / "receipts.jsonl")
    assert (receipt["subject"], receipt["type"]) == (
        f"elevator:{elevator(1)}",
        "elevator.manufactured",
    )
    assert receipt["log_index"] == size and receipt["duplicate"] is False
    promise = Promise.open(receipt["promise"], log_verifier(home))  # signed by the log key
    assert (promise.entry_hash, promise.index) == (receipt["entry_hash"], receipt["log_index"])
    assert log_size(home) == size + 1


def test_submit_of_a_json_lines_stream_accepts_every_envelope_with_one_receipt_per_line(
    tmp_path: Path, onboarded: Onboarded
) -> None:
    home, maker = onboarded.home, onboarded.maker
    codes = [elevator(n) for n in (1, 2, 3, 4)]
    envelopes = [sign_statement(manufactured(maker, c), [maker.key]).to_json() for c in codes]
    (tmp_path / "envelopes.jsonl").write_bytes(jsonl(envelopes) + b"\n")  # blank lines are fine
    size = log_size(home)

    result = succeeded(
        cli(home, "submit", tmp_path / "envelopes.jsonl", "--receipts", tmp_path / "r.jsonl")
    )

    assert summary(result) == (4, 0)
    assert rejection_lines(result) == []
    receipts = receipts_in(tmp_path / "r.jsonl")
    assert [r["subject"] for r in receipts] == [f"elevator:{c}" for c in codes]
    assert sorted(r["log_index"] for r in receipts) == list(range(size, size + 4))
    verifier = log_verifier(home)
    for r in receipts:
        assert Promise.open(r["promise"], verifier).entry_hash == r["entry_hash"]
    assert log_size(home) == size + 4


def test_submit_reports_a_rejected_line_by_its_failure_class_accepts_the_rest_and_exits_1(
    tmp_path: Path, onboarded: Onboarded
) -> None:
    home, maker = onboarded.home, onboarded.maker
    stranger = SigningKey.generate()  # never registered
    envelopes = [
        sign_statement(manufactured(maker, elevator(1)), [maker.key]).to_json(),
        sign_statement(manufactured(maker, elevator(2)), [stranger]).to_json(),
        sign_statement(manufactured(maker, elevator(3)), [maker.key]).to_json(),
    ]
    (tmp_path / "envelopes.jsonl").write_bytes(jsonl(envelopes))
    size = log_size(home)

    result = cli(home, "submit", tmp_path / "envelopes.jsonl", "--receipts", tmp_path / "r.jsonl")

    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert summary(result) == (2, 1)
    [line] = rejection_lines(result)
    assert line.startswith("#2 rejected (bad-signature): "), line
    # each report is one line, however long: nothing but reports, the bar and the summary
    for other in result.stderr.splitlines():
        assert other.startswith(("#", "submitting ")) or other == "2 accepted, 1 rejected"
    receipts = receipts_in(tmp_path / "r.jsonl")
    assert [r["subject"] for r in receipts] == [f"elevator:{elevator(n)}" for n in (1, 3)]
    assert log_size(home) == size + 2


def test_submit_of_an_accepted_envelope_again_returns_its_original_receipt(
    tmp_path: Path, onboarded: Onboarded
) -> None:
    home, maker = onboarded.home, onboarded.maker
    envelope = sign_statement(manufactured(maker, elevator(1)), [maker.key]).to_json()
    (tmp_path / "envelope.json").write_bytes(orjson.dumps(envelope))
    succeeded(cli(home, "submit", tmp_path / "envelope.json", "--receipts", tmp_path / "1.jsonl"))
    size = log_size(home)

    again = succeeded(
        cli(home, "submit", tmp_path / "envelope.json", "--receipts", tmp_path / "2.jsonl")
    )

    assert summary(again) == (1, 0)
    [original] = receipts_in(tmp_path / "1.jsonl")
    [replay] = receipts_in(tmp_path / "2.jsonl")
    assert replay["duplicate"] is True
    same = ("entry_hash", "log_index", "subject", "version", "recorded_at", "promise")
    assert {k: replay[k] for k in same} == {k: original[k] for k in same}
    assert log_size(home) == size


def test_submit_names_the_broken_rule_of_a_statement_that_does_not_fit_the_history(
    tmp_path: Path, onboarded: Onboarded
) -> None:
    home, maker = onboarded.home, onboarded.maker
    first = sign_statement(manufactured(maker, elevator(1)), [maker.key]).to_json()
    (tmp_path / "first.json").write_bytes(orjson.dumps(first))
    succeeded(cli(home, "submit", tmp_path / "first.json"))
    # the same elevator manufactured a second time (a different statement: a new nonce)
    second = sign_statement(manufactured(maker, elevator(1)), [maker.key]).to_json()
    third = sign_statement(manufactured(maker, elevator(2)), [maker.key]).to_json()
    (tmp_path / "more.jsonl").write_bytes(jsonl([second, third]))

    result = cli(home, "submit", tmp_path / "more.jsonl")

    assert result.exit_code == 1, result.output
    assert summary(result) == (1, 1)
    [line] = rejection_lines(result)
    assert line.startswith("#1 rejected (already-manufactured): "), line  # the rule's name
    assert elevator(1) in line


def test_submit_prints_rejection_details_as_given_not_read_as_markup(
    tmp_path: Path, onboarded: Onboarded
) -> None:
    """A bracketed value from the input in a rejection is not Rich markup: no crash."""
    odd = {"payloadType": "[/x]", "payload": "", "signatures": [{"keyid": "", "sig": ""}]}
    (tmp_path / "odd.jsonl").write_bytes(jsonl([odd]))

    result = cli(onboarded.home, "submit", tmp_path / "odd.jsonl")

    assert isinstance(result.exception, SystemExit) and result.exit_code == 1, result.output
    assert rejection_lines(result) == [
        "#1 rejected (malformed-envelope): unsupported payloadType '[/x]'"
    ]


def test_submit_of_the_same_envelope_twice_in_one_stream_accepts_it_once(
    tmp_path: Path, onboarded: Onboarded
) -> None:
    home, maker = onboarded.home, onboarded.maker
    envelope = sign_statement(manufactured(maker, elevator(1)), [maker.key]).to_json()
    (tmp_path / "twice.jsonl").write_bytes(jsonl([envelope, envelope]))
    size = log_size(home)

    result = cli(home, "submit", tmp_path / "twice.jsonl", "--receipts", tmp_path / "r.jsonl")

    assert result.exception is None, repr(result.exception)
    assert summary(result) == (2, 0)
    original, replay = receipts_in(tmp_path / "r.jsonl")
    assert (replay["duplicate"], replay["entry_hash"]) == (True, original["entry_hash"])
    assert log_size(home) == size + 1


@pytest.mark.parametrize(
    ("tail", "where"),
    [(b"this is not JSON\n", ":2:"), (b"[1, 2]\n", ":2:"), (b"\n\n\x00\xff\n", ":4:")],
    ids=["text", "not-an-object", "binary"],
)
def test_submit_refuses_garbage_input_naming_path_and_line_and_submits_nothing(
    tmp_path: Path, onboarded: Onboarded, tail: bytes, where: str
) -> None:
    home, maker = onboarded.home, onboarded.maker
    good = sign_statement(manufactured(maker, elevator(1)), [maker.key]).to_json()
    path = tmp_path / "envelopes.jsonl"
    path.write_bytes(jsonl([good]) + tail)
    size = log_size(home)

    one_line_error(cli(home, "submit", path, "--receipts", tmp_path / "r.jsonl"), f"{path}{where}")

    assert log_size(home) == size
    assert not (tmp_path / "r.jsonl").exists()


def test_submit_of_a_file_with_no_envelopes_fails_with_one_line(
    tmp_path: Path, onboarded: Onboarded
) -> None:
    (tmp_path / "empty.jsonl").write_bytes(b"\n")
    one_line_error(cli(onboarded.home, "submit", tmp_path / "empty.jsonl"), "holds no envelopes")
    one_line_error(cli(onboarded.home, "submit", tmp_path / "absent.jsonl"), "cannot read")


# --------------------------------------------------------------------------------------------
# demo
# --------------------------------------------------------------------------------------------

DEMO = ("demo", "--elevators", "3", "--years", "1")


def demo_counts(result: Result, home: Path) -> tuple[int, int]:
    """The summary line, whole on one line: counts and where the organizations' keys are."""
    match = re.search(
        rf"^demo city: (\d+) statements accepted, (\d+) rejected; "
        rf"organization keys in {re.escape(str(home / 'keys' / 'demo'))}$",
        result.stderr,
        re.MULTILINE,
    )
    assert match, result.stderr
    return int(match[1]), int(match[2])


def test_demo_seeds_a_small_city_with_no_rejections_and_a_key_per_organization(
    home: Path,
) -> None:
    result = succeeded(cli(home, *DEMO))

    accepted, rejected = demo_counts(result, home)
    assert rejected == 0
    assert accepted > 0
    city = orjson.loads((home / "demo-city.json").read_bytes())
    assert (city["accepted"], city["rejected"]) == (accepted, 0)
    assert len(city["elevators"]) == 3
    expected = {Path(o["key"]) for o in (city["regulator"], *city["organizations"])}
    expected |= {Path(p) for p in city["terminals"].values()}
    demo_keys = home / "keys" / "demo"
    assert set(demo_keys.glob("*.pem")) == expected
    assert all(mode(p) == 0o600 for p in expected)
    organizations = {o["uscc"] for o in (city["regulator"], *city["organizations"])}
    for uscc in organizations:
        load_signing_key(demo_keys / f"{uscc}.pem")  # a usable private key
    assert log_size(home) > accepted  # plus genesis and onboarding


def test_demo_a_second_time_reuses_the_city_and_adds_nothing(home: Path) -> None:
    first = succeeded(cli(home, *DEMO))
    marker = (home / "demo-city.json").read_bytes()
    accounts = (home / "demo-accounts.txt").read_text(encoding="utf-8")
    assert mode(home / "demo-accounts.txt") == 0o600
    keys = sorted((home / "keys" / "demo").iterdir())
    size = log_size(home)

    again = succeeded(cli(home, *DEMO))

    assert "reusing it" in again.stderr
    assert "statements accepted" not in again.stderr
    assert log_size(home) == size
    assert (home / "demo-city.json").read_bytes() == marker
    assert sorted((home / "keys" / "demo").iterdir()) == keys
    # the demo's staff accounts: made once, printed every time with the same passwords
    assert (home / "demo-accounts.txt").read_text(encoding="utf-8") == accounts
    password = accounts.split("city-bureau\t")[1].split("\t")[0]
    for run in (first, again):
        assert re.search(rf"city-bureau\s+{re.escape(password)}\s", run.stderr), run.stderr


def test_qr_writes_the_code_and_refuses_a_path_it_cannot_write_with_one_line(
    home: Path, tmp_path: Path
) -> None:
    succeeded(cli(home, *DEMO))
    code = orjson.loads((home / "demo-city.json").read_bytes())["elevators"][0]
    written = succeeded(cli(home, "qr", code, "-o", tmp_path / "car.svg"))
    assert (tmp_path / "car.svg").read_text().startswith("<?xml") and f"/e/{code}" in written.output
    for bad, said in (
        (tmp_path / "no" / "such" / "dir" / "x.png", "cannot write the QR code"),
        (tmp_path / "x.jpg", "written as .png, .svg or .pdf"),
    ):
        refused = cli(home, "qr", code, "-o", bad)
        assert refused.exit_code == 1 and isinstance(refused.exception, SystemExit), refused.output
        assert said in refused.stderr and "Traceback" not in refused.output
