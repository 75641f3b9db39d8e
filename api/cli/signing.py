"""Keys and signatures on the submitter's side: ``keygen`` makes an organization's signing key,
``sign`` turns a statement (or a file of them) into the DSSE envelopes ``submit`` sends."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from pydantic import ValidationError

from api.cli.output import fail, print_bytes, print_json
from domain.model.catalogue import Statement, class_codes_assigned
from domain.model.signing import sign_statement
from ledger.keys import KeyFormatError, SigningKey, load_signing_key, save_signing_key


def keygen(
    out: Annotated[Path, typer.Argument(help="where to write the private key (PEM, mode 0600)")],
) -> None:
    """Make an Ed25519 signing key; print its key id and public key for registration."""
    if out.exists():
        fail(f"{out} exists; refusing to overwrite a key")
    key = SigningKey.generate()
    save_signing_key(key, out)
    print_json(
        {
            "key_id": key.key_id,
            "algorithm": key.algorithm,
            "public_key": key.verifying_key.public_b64(),
        }
    )


def sign(
    statement: Annotated[
        Path, typer.Argument(help="statement JSON file, JSON Lines or a JSON array of them; -")
    ],
    key: Annotated[list[Path], typer.Option("--key", "-k", help="signing key; repeat to co-sign")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="default: stdout")] = None,
) -> None:
    """Sign a statement (adds a nonce if missing): a DSSE envelope, or, when the statement has
    personal fields, {"envelope", "disclosures"} with those fields concealed in the envelope.
    Given several (JSON Lines, or a JSON array, as ``onboard prepare`` writes), signs each and
    writes one per line, in order; nothing is written unless every one is valid."""
    docs, many = _statements(statement)
    for number, doc in enumerate(docs, 1):
        _check_statement(doc, f"statement {number}: " if many else "")
    keys = _load_keys(key)
    envelopes = b"".join(sign_statement(doc, keys).to_bytes() + b"\n" for doc in docs)
    if out is None:
        print_bytes(envelopes)
    else:
        out.write_bytes(envelopes)


def _check_statement(doc: Any, where: str) -> None:
    """One line and exit 1 unless ``doc`` is a statement the ledger would take."""
    if not isinstance(doc, dict):
        fail(f"{where}a statement is a JSON object")
    try:
        checked = Statement.model_validate({"nonce": "checking-only", **doc})
    except ValidationError as exc:
        first = exc.errors()[0]
        fail(f"{where}invalid statement: {'.'.join(map(str, first['loc']))}: {first['msg']}")
    for loc, why in class_codes_assigned(checked):  # the ledger would refuse it
        fail(f"{where}invalid statement: {loc}: {why}")


def _statements(path: Path) -> tuple[list[Any], bool]:
    """The statements in the file and whether it held several (a JSON array or JSON Lines)
    rather than one JSON object."""
    data = _read(path)
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        lines = [line for line in data.splitlines() if line.strip()]
        if len(lines) < 2:
            fail(f"{path} is not JSON: {exc}")
        return [_line(path, n, line) for n, line in enumerate(lines, 1)], True
    if isinstance(doc, list):
        if not doc:
            fail(f"{path} holds no statements")
        return doc, True
    return [doc], False


def _line(path: Path, number: int, line: bytes) -> Any:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        fail(f"{path}: statement {number} is not JSON: {exc}")


def _load_keys(paths: list[Path]) -> list[SigningKey]:
    try:
        return [load_signing_key(p) for p in paths]
    except KeyFormatError as exc:
        fail(str(exc))


def _read(path: Path) -> bytes:
    try:
        return sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")
