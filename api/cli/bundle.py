"""``bundle``: an elevator's file as one ZIP (``ledger/bundle.py``), and its offline check,
which ``verify FILE`` runs when given a bundle instead of an export or a URL: no network, no
database, only the file and the log key the checker trusts."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

import orjson
import typer

from api.cli.nodes import opened_node
from api.cli.output import alert, fail, print_line, say
from domain.application.log_chains import ChainFault
from domain.model.subjects import SubjectRef
from domain.model.trust import TrustAnchor
from domain.replay.bundle import BundleRejected, check_bundle
from ledger.audit import ConsistencyError, SeenCheckpoint, SeenCheckpoints
from ledger.bundle import BundleError, OpenedBundle, open_bundle
from ledger.entry import parse_time
from ledger.keys import KeyFormatError, VerifyingKey
from ledger.note import NoteError, NoteVerifier


def bundle(
    code: Annotated[str, typer.Argument(help="the elevator's equipment code")],
    out: Annotated[Path, typer.Option("--out", help="the ZIP file to write")],
) -> None:
    """Write an elevator's file as a bundle: its chain and the organization chains that sign
    it, each entry with its inclusion proof to the latest signed checkpoint, for `elevator-ledger
    verify FILE` to check offline."""
    from api.elevator_bundle import BundleTooLarge, elevator_bundle

    if out.exists():
        fail(f"{out} exists; choose another file")
    with opened_node() as node:
        try:
            made = elevator_bundle(node, code)
        except ChainFault as fault:
            fail(f"cannot read the chain from the log: {fault}")
        except (BundleError, BundleTooLarge) as exc:
            fail(f"bundle: {exc}")
        if made is None:
            fail(f"no elevator {code} in this ledger")
    try:
        out.write_bytes(made.data)
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror}")
    say(f"wrote {out}: elevator {code}, {made.entries} entries, checkpoint size {made.size}")


def log_key_of(text: str) -> NoteVerifier:
    """``--log-key``: a C2SP verifier key, or a file holding one."""
    try:
        return NoteVerifier.parse(text)
    except NoteError as as_key:
        path = Path(text)
        if not path.is_file():
            fail(f"--log-key: not a verifier key ({as_key}) nor a file")
    try:
        return NoteVerifier.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, NoteError) as exc:
        fail(f"--log-key: {path} holds no verifier key: {exc}")


def verify_bundle(
    path: Path,
    log_key: NoteVerifier | None,
    trust: tuple[NoteVerifier, TrustAnchor] | None,
    seen: SeenCheckpoints,
) -> None:
    """Check a bundle offline and print the report, or one line naming the first failure and
    exit 1. The log key: ``log_key``, else the trust file's, else the bundle's own — which the
    checkpoints seen before (``seen``, what ``verify`` of an export or URL pinned) must name
    if they know this log; if they do not, the report says loudly that nothing pinned it.
    The checkpoint is not remembered: a bundle carries no consistency proof."""
    verifier = log_key or (trust[0] if trust else None)
    try:
        opened = open_bundle(path, verifier)
        anchor = trust[1] if trust else _anchor(opened)
        earlier = seen.get(opened.verifier, _pins(anchor)) if opened.key_from_bundle else None
        code = str(opened.extra.get("equipment_code", ""))
        if opened.subject != str(SubjectRef.elevator(code)):
            raise BundleError(f"the bundle is about {opened.subject}, not elevator {code}")
        verdict = check_bundle(
            opened.indexed(), code, anchor, parse_time(opened.manifest["created_at"])
        )
    except (BundleError, BundleRejected, ConsistencyError) as exc:
        fail(f"bundle {path}: {exc}")
    except ValueError as exc:
        fail(f"bundle {path}: manifest: {exc}")
    elevator = opened.chains[opened.subject]
    if opened.key_from_bundle and earlier is None:
        key = opened.verifier.text()
        alert(
            "WARNING:",
            "no log key was pinned (--log-key or --trust): the key was taken from the bundle"
            f" itself, {key} (SHA-256 {hashlib.sha256(key.encode()).hexdigest()});"
            " compare it with the one the ledger publishes (GET /v1/log/key) before relying"
            " on this check",
        )
    print_line(
        f"verified the file of elevator {verdict.equipment_code}: {len(elevator)} entries"
        f" (versions 1..{len(elevator)}), {verdict.organization_entries} entries of"
        f" {len(opened.chains) - 1} organization chains, checkpoint size"
        f" {opened.checkpoint.size} of {opened.checkpoint.origin}: OK"
    )
    for line in _checks(opened, anchor, trust is not None, earlier, seen):
        print_line(f"  ok  {line}")


def _pins(anchor: TrustAnchor) -> dict[str, str]:
    """As ``verify`` of an export or URL pins the root authority (``cli/audit.py``)."""
    return {"authority": f"{anchor.uscc} {anchor.key.public_b64()}"}


def _anchor(opened: OpenedBundle) -> TrustAnchor:
    """The root authority the bundle names, in the manifest the log key signed."""
    try:
        authority = opened.extra["authority"]
        return TrustAnchor(authority["uscc"], VerifyingKey.from_b64(authority["public_key"]))
    except (KeyError, TypeError, KeyFormatError) as exc:
        raise BundleError(f"manifest: extra.authority is unusable: {exc}") from exc


def _checks(
    opened: OpenedBundle,
    anchor: TrustAnchor,
    pinned_anchor: bool,
    earlier: SeenCheckpoint | None,
    seen: SeenCheckpoints,
) -> list[str]:
    key = opened.verifier.text()
    whence = "pinned"
    if opened.key_from_bundle:
        whence = (
            f"taken from the bundle, the one {seen.path} pinned on {earlier.seen_at}"
            if earlier is not None
            else "taken from the bundle"
        )
    authority = "from the trust file" if pinned_anchor else "named in the signed manifest"
    return [
        f"the checkpoint and manifest.sig are signed by the log key ({whence}) {key}",
        f"all {opened.entry_count} entries: canonical, as listed in the signed manifest, each"
        f" inclusion proof leading to the root of the checkpoint of size {opened.checkpoint.size}",
        f"{len(opened.chains)} hash chains whole and linked: versions 1..n, each prev the hash"
        " of the version before, each head the one the signed manifest names",
        "every signature verifies under a key registered before its entry in log order and not"
        f" revoked before it (root authority {anchor.uscc}, {authority}); the elevator's chain"
        " re-verified by the replay fold",
        "not checked here: roles, licences and lifecycle rules (verify an export of the whole"
        " log for those)",
    ]


def trust_of(path: Path) -> tuple[NoteVerifier, TrustAnchor]:
    """A trust file (``trust.json``): the log key and the root authority."""
    try:
        doc = orjson.loads(path.read_bytes())
        verifier = NoteVerifier.parse(doc["log_verifier_key"])
        authority = doc["authority"]
        anchor = TrustAnchor(authority["uscc"], VerifyingKey.from_b64(authority["public_key"]))
    except OSError as exc:
        fail(f"cannot read the trust file {path}: {exc.strerror}")
    except (orjson.JSONDecodeError, KeyError, TypeError, NoteError, KeyFormatError) as exc:
        fail(f"the trust file {path} is unusable: {exc}")
    return verifier, anchor
