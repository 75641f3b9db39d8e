"""Keys and signatures on the submitter's side: ``keygen`` makes an organization's signing key,
``sign`` turns a statement into the DSSE envelope ``submit`` sends."""

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
    statement: Annotated[Path, typer.Argument(help="statement JSON file, or - for stdin")],
    key: Annotated[list[Path], typer.Option("--key", "-k", help="signing key; repeat to co-sign")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="default: stdout")] = None,
) -> None:
    """Sign a statement (adds a nonce if missing): a DSSE envelope, or, when the statement has
    personal fields, {"envelope", "disclosures"} with those fields concealed in the envelope."""
    doc = _read_json(statement)
    if not isinstance(doc, dict):
        fail("a statement is a JSON object")
    try:
        checked = Statement.model_validate({"nonce": "checking-only", **doc})
    except ValidationError as exc:
        first = exc.errors()[0]
        fail(f"invalid statement: {'.'.join(map(str, first['loc']))}: {first['msg']}")
    for where, why in class_codes_assigned(checked):  # the ledger would refuse it
        fail(f"invalid statement: {where}: {why}")
    envelope = sign_statement(doc, _load_keys(key)).to_bytes() + b"\n"
    if out is None:
        print_bytes(envelope)
    else:
        out.write_bytes(envelope)


def _load_keys(paths: list[Path]) -> list[SigningKey]:
    try:
        return [load_signing_key(p) for p in paths]
    except KeyFormatError as exc:
        fail(str(exc))


def _read_json(path: Path) -> Any:
    try:
        return orjson.loads(sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes())
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")
    except orjson.JSONDecodeError as exc:
        fail(f"{path} is not JSON: {exc}")
