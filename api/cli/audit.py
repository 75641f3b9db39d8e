"""Auditing a ledger without trusting its server: ``export`` writes the log and a signed
manifest for offline audit, ``verify`` checks an export or a running ledger (read through
:mod:`ledger.log_source`) against the auditor's roots of trust and the checkpoint it saw last."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
import orjson
import typer

from api.cli.bundle import log_key_of, trust_of, verify_bundle
from api.cli.nodes import opened_node
from api.cli.output import fail, print_line, progress, say
from api.settings import Settings
from domain.application.audit import VerifyReport, verify_log
from domain.application.gc_tuning import tune_gc
from domain.model.trust import TrustAnchor
from ledger.audit import ConsistencyError, SeenCheckpoint, SeenCheckpoints, check_consistency
from ledger.bundle import is_bundle
from ledger.export import ENTRIES_FILE, ExportError, export_log, open_manifest
from ledger.keys import KeyFormatError, VerifyingKey
from ledger.log import LogError
from ledger.log_source import (
    FileLogSource,
    HttpLogSource,
    LogSource,
    LogSourceError,
    Malformed,
    Missing,
)
from ledger.note import Checkpoint, NoteError, NoteVerifier, open_checkpoint


def export(
    out_dir: Annotated[Path, typer.Argument(help="directory to write (created if missing)")],
) -> None:
    """Export the log up to its latest checkpoint: entries.jsonl, manifest.json and manifest.sig
    (signed by the log key), for `elevator-ledger verify`."""
    with opened_node() as node:
        try:
            with progress() as bar:
                task = bar.add_task("exporting", total=None)
                manifest = export_log(
                    node.log,
                    out_dir,
                    lambda done, total: bar.update(task, completed=done, total=total),
                )
        except (ExportError, LogError) as exc:
            fail(f"export: {exc}")
        except OSError as exc:
            fail(f"export: cannot write {out_dir}: {exc.strerror}")
    root = base64.b64encode(manifest.root).decode()
    say(f"exported {manifest.size} entries of {manifest.origin} (root {root}) to {out_dir}")


def http_client(url: str) -> httpx.Client:
    """The client ``verify URL`` reads the ledger with (a test puts an in-process app here)."""
    return httpx.Client(base_url=url, timeout=60)


@dataclass(frozen=True)
class _Verified:
    verifier: NoteVerifier
    anchor: TrustAnchor
    earlier: SeenCheckpoint | None  # the checkpoint seen before, if any
    note: str  # the signed checkpoint verified now
    checkpoint: Checkpoint
    report: VerifyReport


def verify(
    source: Annotated[
        str, typer.Argument(help="an export directory, or a ledger's URL (http://host:port)")
    ],
    trust: Annotated[
        Path | None,
        typer.Option(
            help="trust.json: the log verifier key and the root authority's key (default: "
            "<LEDGER_HOME>/trust.json for a directory, the ledger's GET /v1/trust for a URL)"
        ),
    ] = None,
    state: Annotated[
        Path | None,
        typer.Option(
            help="checkpoints seen before, per log "
            "(default: ~/.elevator-ledger/seen-checkpoints.json)"
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="processes replaying the write path, each a share of the elevators "
            "(default: one per core; 1: in this process)",
        ),
    ] = None,
    log_key: Annotated[
        str | None,
        typer.Option(
            "--log-key",
            help="for a bundle: the log's verifier key (C2SP vkey), or a file holding it",
        ),
    ] = None,
) -> None:
    """Verify a ledger without trusting its server: signed checkpoint, every entry, every chain,
    every signature, authorization and rule (by replaying the write path), and consistency with
    the checkpoint seen last time. Exits 1 naming the first bad entry. Given an elevator's
    bundle (`elevator-ledger bundle`, the console's download), checks it offline instead."""
    seen = SeenCheckpoints(state or Path.home() / ".elevator-ledger" / "seen-checkpoints.json")
    if is_bundle(Path(source)):
        pinned = log_key_of(log_key) if log_key is not None else None
        verify_bundle(Path(source), pinned, trust_of(trust) if trust is not None else None, seen)
        return
    if log_key is not None:
        fail("--log-key is for a bundle; an export or a URL takes --trust")
    tune_gc()  # with one worker, this process replays the write path itself
    checks: list[str] = []
    remote = source.startswith(("http://", "https://"))
    try:
        if remote:
            done = _verify_remote(source.rstrip("/"), trust, seen, checks, workers)
        else:
            done = _verify_export(Path(source), trust, seen, checks, workers)
    except (ExportError, ConsistencyError, Malformed) as exc:
        fail(str(exc))
    except LogSourceError as exc:  # a server unreachable or answering an error; a file unread
        fail(f"{source}: {exc}" if remote else str(exc))
    report, earlier = done.report, done.earlier
    if report.problem is not None:
        fail(str(report.problem))
    seen.remember(done.verifier, done.note, _pins(done.anchor))
    root = base64.b64encode(report.root).decode()
    checks += [
        f"indices 0..{report.size - 1} in order; the entries hash to the signed root",
        f"{report.subjects} hash chains link: versions 1, 2, 3…, each prev the hash before it",
        f"all {report.reaccepted} entries re-accepted identically by a replay of the write path "
        "(signatures against the key history, authorization, lifecycle rules)",
        "consistent with the checkpoint seen before "
        f"(size {earlier.checkpoint.size}, {earlier.seen_at})"
        if earlier is not None
        else "first checkpoint seen of this log",
        f"remembered in {seen.path}",
    ]
    print_line(f"verified {done.checkpoint.origin}: {report.size} entries, root {root}")
    for line in checks:
        print_line(f"  ok  {line}")


def _trust_doc(doc: Any, where: str) -> tuple[NoteVerifier, TrustAnchor]:
    """The auditor's roots of trust: the log's verifier key and the root authority's key."""
    try:
        verifier = NoteVerifier.parse(doc["log_verifier_key"])
        authority = doc["authority"]
        anchor = TrustAnchor(authority["uscc"], VerifyingKey.from_b64(authority["public_key"]))
    except (KeyError, TypeError, NoteError, KeyFormatError) as exc:
        fail(f"the trust configuration from {where} is unusable: {exc}")
    return verifier, anchor


def _trust_file(path: Path) -> tuple[NoteVerifier, TrustAnchor]:
    try:
        doc = orjson.loads(path.read_bytes())
    except OSError as exc:
        fail(f"cannot read the trust file {path}: {exc.strerror}")
    except orjson.JSONDecodeError as exc:
        fail(f"the trust file {path} is not JSON: {exc}")
    return _trust_doc(doc, str(path))


def _pins(anchor: TrustAnchor) -> dict[str, str]:
    """Pinned with each log's checkpoint in the state file, besides the log key."""
    return {"authority": f"{anchor.uscc} {anchor.key.public_b64()}"}


def _verify_export(
    export_dir: Path,
    trust: Path | None,
    seen: SeenCheckpoints,
    checks: list[str],
    workers: int | None,
) -> _Verified:
    verifier, anchor = _trust_file(trust or Settings().trust_path)
    earlier = seen.get(verifier, _pins(anchor))
    opened = open_manifest(export_dir, verifier)
    manifest, checkpoint = opened.manifest, opened.checkpoint
    checks.append(f"manifest.sig and the checkpoint are signed by {verifier.text()}")
    if earlier is not None and checkpoint.size <= earlier.checkpoint.size:
        check_consistency(earlier.note, manifest.checkpoint, [], verifier)
    files = FileLogSource(export_dir)
    report = _audit(files, checkpoint, anchor, earlier, workers)
    if report.ok and files.entries_sha256() != manifest.entries_sha256:
        raise ExportError(f"{ENTRIES_FILE} does not match the SHA-256 in the signed manifest")
    checks.append(f"{ENTRIES_FILE} matches the manifest's SHA-256")
    return _Verified(verifier, anchor, earlier, manifest.checkpoint, checkpoint, report)


def _verify_remote(
    url: str, trust: Path | None, seen: SeenCheckpoints, checks: list[str], workers: int | None
) -> _Verified:
    """Over HTTP: the trust configuration (unless the auditor brings its own), the key, the
    latest checkpoint, a consistency proof from the checkpoint seen before, then every entry
    (a page per request)."""
    with http_client(url) as client:
        server = HttpLogSource(client)
        if trust is not None:
            verifier, anchor = _trust_file(trust)
        else:
            try:
                doc = server.read_json("/v1/trust")
            except Missing:
                fail(f"{url} serves no /v1/trust; pass --trust trust.json")
            verifier, anchor = _trust_doc(doc, f"{url}/v1/trust")
            checks.append(
                f"trust from {url}/v1/trust, pinned on first use (pass --trust to bring your own)"
            )
        earlier = seen.get(verifier, _pins(anchor))
        served = server.read_key()
        if served != verifier.text():
            raise ConsistencyError(f"{url} serves log key {served}, the trust file names another")
        note = server.read_checkpoint()
        try:
            checkpoint = open_checkpoint(note, verifier)
        except NoteError as exc:
            raise ConsistencyError(f"{url}: checkpoint: {exc}") from exc
        checks.append(f"the checkpoint is signed by {verifier.text()}")
        if earlier is not None:
            old = earlier.checkpoint.size
            proof = (
                server.read_consistency_proof(old, checkpoint.size)
                if 0 < old < checkpoint.size
                else []
            )
            check_consistency(earlier.note, note, proof, verifier)
            checks.append(f"consistency proof from size {old} to size {checkpoint.size}")
        report = _audit(server, checkpoint, anchor, earlier, workers)
        return _Verified(verifier, anchor, earlier, note, checkpoint, report)


def _audit(
    source: LogSource,
    checkpoint: Checkpoint,
    anchor: TrustAnchor,
    earlier: SeenCheckpoint | None,
    workers: int | None,
) -> VerifyReport:
    with progress() as bar:
        task = bar.add_task("verifying", total=checkpoint.size)
        return verify_log(
            source.read_entries(checkpoint.size),
            checkpoint,
            anchor,
            earlier=[] if earlier is None else [earlier.checkpoint],
            progress=lambda done: bar.update(task, completed=done),
            workers=workers,
        )
