"""The ``elevator-ledger`` command line: set up, serve, make keys, sign, submit, seed a demo city.

Every failure is one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import base64
import signal
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn

import httpx
import orjson
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from api.bootstrap import SetupError, initialise, open_node
from api.log_routes import MAX_PAGE as ENTRIES_PAGE
from api.node import LedgerNode
from api.settings import Settings
from api.statement_routes import problem_of
from domain.application.audit import VerifyReport, verify_log
from domain.application.gc_tuning import tune_gc
from domain.application.log_chains import ChainFault
from domain.application.store_check import compare
from domain.model.catalogue import Statement
from domain.model.errors import Rejected
from domain.model.organization import OrganizationState, evolve_organization
from domain.model.signing import sign_statement
from domain.model.submission import statement_of
from domain.model.trust import TrustAnchor
from domain.replay import Axis, parse_instant
from ledger.audit import ConsistencyError, SeenCheckpoint, SeenCheckpoints, check_consistency
from ledger.export import ENTRIES_FILE, EntryLines, ExportError, export_log, open_manifest
from ledger.keys import KeyFormatError, SigningKey, VerifyingKey, load_signing_key, save_signing_key
from ledger.log import LogError
from ledger.note import Checkpoint, NoteError, NoteVerifier, open_checkpoint

app = typer.Typer(
    name="elevator-ledger",
    help="A publicly verifiable ledger of the whole life of every elevator.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
BATCH = 500


def fail(message: str, code: int = 1) -> NoReturn:
    """One line on stderr and a non-zero exit: the CLI's error contract."""
    console.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@app.callback()
def settings_first() -> None:
    """Read the ``LEDGER_*`` settings before any command: a bad one (an unknown
    ``LEDGER_TIME_ZONE``…) is one line and exit 2, not a traceback half-way through."""
    try:
        Settings()
    except ValidationError as exc:
        fail(
            "; ".join(
                f"LEDGER_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
                for e in exc.errors()
            ),
            2,
        )


def say(message: str) -> None:
    """One line on stderr, as given: never wrapped, never read as Rich markup."""
    console.print(message, markup=False, highlight=False, soft_wrap=True)


def _node() -> LedgerNode:
    try:
        node, _ = initialise(Settings())
    except SetupError as exc:
        fail(str(exc))
    return node


def progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


@app.command()
def init() -> None:
    """Create the database, the log key and the root authority key (idempotent); print the
    log's verifier key."""
    settings = Settings()
    node = _node()
    try:
        say(f"database:      {settings.resolved_database_url}")
        say(f"log key:       {settings.log_key_path}")
        say(f"authority key: {settings.authority_key_path} ({node.anchor.uscc})")
        say(f"trust file:    {settings.trust_path}")
        sys.stdout.write(node.log.signer.verifier.text() + "\n")
    finally:
        node.close()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port")] = None,
    access_log: Annotated[bool, typer.Option(help="log every request")] = True,
) -> None:
    """Serve the HTTP API (one worker)."""
    import uvicorn

    from api.app import create_app

    settings = Settings()
    node = _node()
    try:  # node.close() must run: it stops the pools' worker processes and the projections'
        node.start_projection_process()  # the read models follow the log in a child process
        node.warm_up()  # worker processes up before the first request, not during it
        # uvicorn shuts down gracefully on SIGINT or SIGTERM, then raises the signal again
        # under the handler it found: SIGINT's raises KeyboardInterrupt, which uvicorn.run
        # swallows, so it returns; SIGTERM's default would kill this process before
        # node.close(). So SIGTERM is taken as SIGINT.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        uvicorn.run(
            create_app(node=node),
            host=host or settings.host,
            port=port or settings.port,
            log_level="info",
            access_log=access_log,
        )
    finally:
        node.close()


@app.command()
def keygen(
    out: Annotated[Path, typer.Argument(help="where to write the private key (PEM, mode 0600)")],
) -> None:
    """Make an Ed25519 signing key; print its key id and public key for registration."""
    if out.exists():
        fail(f"{out} exists; refusing to overwrite a key")
    key = SigningKey.generate()
    save_signing_key(key, out)
    sys.stdout.write(
        orjson.dumps(
            {
                "key_id": key.key_id,
                "algorithm": key.algorithm,
                "public_key": key.verifying_key.public_b64(),
            }
        ).decode()
        + "\n"
    )


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


@app.command()
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
        Statement.model_validate({"nonce": "checking-only", **doc})
    except ValidationError as exc:
        first = exc.errors()[0]
        fail(f"invalid statement: {'.'.join(map(str, first['loc']))}: {first['msg']}")
    envelope = sign_statement(doc, _load_keys(key)).to_bytes() + b"\n"
    if out is None:
        sys.stdout.buffer.write(envelope)
    else:
        out.write_bytes(envelope)


def _envelopes(path: Path) -> Iterator[dict[str, Any]]:
    """One submission (a JSON file: an envelope, or {"envelope", "disclosures"}) or a JSON Lines
    stream of them."""
    try:
        data = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")
    try:
        single = orjson.loads(data)
    except orjson.JSONDecodeError:
        single = None
    if isinstance(single, dict):
        yield single
        return
    for number, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            fail(f"{path}:{number}: not JSON: {exc}")
        if not isinstance(item, dict):
            fail(f"{path}:{number}: an envelope is a JSON object")
        yield item


@app.command()
def submit(
    path: Annotated[Path, typer.Argument(help="an envelope, or JSON Lines of them; - for stdin")],
    url: Annotated[
        str | None, typer.Option(help="server URL; default: this ledger directly")
    ] = None,
    receipts: Annotated[Path | None, typer.Option(help="write receipts as JSON Lines here")] = None,
) -> None:
    """Submit signed statements, in batches, with a progress bar. Exits 1 if any was rejected."""
    items = list(_envelopes(path))
    if not items:
        fail(f"{path} holds no envelopes")
    sink = receipts.open("wb") if receipts else None
    rejected = 0
    node = None if url else _node()
    try:
        with progress() as bar:
            task = bar.add_task("submitting", total=len(items))
            for start in range(0, len(items), BATCH):
                chunk = items[start : start + BATCH]
                for number, result in enumerate(_submit_chunk(chunk, url, node), start + 1):
                    if "problem" in result:
                        rejected += 1
                        _report_rejection(number, result["problem"])
                    elif sink:
                        sink.write(orjson.dumps(result["receipt"]) + b"\n")
                bar.advance(task, len(chunk))
    finally:
        if sink:
            sink.close()
        if node:
            node.close()
    say(f"{len(items) - rejected} accepted, {rejected} rejected")
    if rejected:
        raise typer.Exit(1)


def _report_rejection(number: int, problem: dict[str, Any]) -> None:
    why = problem.get("rule") or str(problem["type"]).rsplit("/", 1)[-1]
    console.print(
        f"[red]#{number} rejected[/red] ({escape(str(why))}): {escape(str(problem['detail']))}",
        highlight=False,
        soft_wrap=True,
    )


def _submit_chunk(
    chunk: list[dict[str, Any]], url: str | None, node: LedgerNode | None
) -> list[dict[str, Any]]:
    if node is not None:
        try:
            results = node.service.submit_batch(chunk)
        except Rejected as exc:  # the whole chunk: writers kept colliding, or writes stopped
            fail(f"{exc.title}: {exc.detail}")
        return [
            {"problem": problem_of(r).body("")}
            if isinstance(r, Rejected)
            else {"receipt": r.to_json()}
            for r in results
        ]
    assert url is not None
    try:
        endpoint = f"{url.rstrip('/')}/v1/statements/batch"
        response = httpx.post(endpoint, json=chunk, timeout=120)
    except httpx.HTTPError as exc:
        fail(f"cannot reach {url}: {exc}")
    if response.status_code != 200:
        fail(f"{url} answered {response.status_code}: {response.text[:200]}")
    return [
        {"receipt": i["receipt"]} if i["accepted"] else {"problem": i["problem"]}
        for i in response.json()["results"]
    ]


@app.command()
def demo(
    elevators: Annotated[int, typer.Option(min=1, max=100_000, help="elevators in the city")] = 20,
    years: Annotated[int, typer.Option(min=1, max=15, help="years of history each")] = 5,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
) -> None:
    """Seed a synthetic city through the signed write path (once; later runs reuse it)."""
    from api.demo import seed_city

    settings = Settings()
    node = _node()
    try:
        if settings.demo_marker_path.exists():
            say(f"demo city already seeded ({settings.demo_marker_path}); reusing it")
            return
        counts = seed_city(
            node, settings, elevators=elevators, years=years, seed=seed, bar=progress()
        )
        say(
            f"demo city: {counts['accepted']} statements accepted, {counts['rejected']} rejected; "
            f"organization keys in {settings.demo_keys_dir}"
        )
        node.projections.catch_up()  # the read models are ready when the server starts
    finally:
        node.close()


# --- export and offline verification ---------------------------------------------------------


@app.command()
def export(
    out_dir: Annotated[Path, typer.Argument(help="directory to write (created if missing)")],
) -> None:
    """Export the log up to its latest checkpoint: entries.jsonl, manifest.json and manifest.sig
    (signed by the log key), for `elevator-ledger verify`."""
    try:
        node = open_node(Settings())
    except SetupError as exc:
        fail(str(exc))
    try:
        with progress() as bar:
            task = bar.add_task("exporting", total=None)
            manifest = export_log(
                node.log, out_dir, lambda done, total: bar.update(task, completed=done, total=total)
            )
    except (ExportError, LogError) as exc:
        fail(f"export: {exc}")
    except OSError as exc:
        fail(f"export: cannot write {out_dir}: {exc.strerror}")
    finally:
        node.close()
    root = base64.b64encode(manifest.root).decode()
    say(f"exported {manifest.size} entries of {manifest.origin} (root {root}) to {out_dir}")


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


def _http_client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=60)


def _get(client: httpx.Client, path: str) -> httpx.Response:
    return _ok(client.get(path), path)


def _ok(response: httpx.Response, path: str) -> httpx.Response:
    if response.status_code != 200:
        raise httpx.HTTPStatusError(
            f"GET {path} answered {response.status_code}: {response.text[:200]}",
            request=response.request,
            response=response,
        )
    return response


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        fail(f"{response.request.url} answered something other than JSON")


@dataclass(frozen=True)
class _Verified:
    verifier: NoteVerifier
    anchor: TrustAnchor
    earlier: SeenCheckpoint | None  # the checkpoint seen before, if any
    note: str  # the signed checkpoint verified now
    checkpoint: Checkpoint
    report: VerifyReport


@app.command()
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
) -> None:
    """Verify a ledger without trusting its server: signed checkpoint, every entry, every chain,
    every signature, authorization and rule (by replaying the write path), and consistency with
    the checkpoint seen last time. Exits 1 naming the first bad entry."""
    tune_gc()  # with one worker, this process replays the write path itself
    seen = SeenCheckpoints(state or Path.home() / ".elevator-ledger" / "seen-checkpoints.json")
    checks: list[str] = []
    try:
        if source.startswith(("http://", "https://")):
            done = _verify_remote(source.rstrip("/"), trust, seen, checks, workers)
        else:
            done = _verify_export(Path(source), trust, seen, checks, workers)
    except (ExportError, ConsistencyError) as exc:
        fail(str(exc))
    except httpx.HTTPError as exc:
        fail(f"{source}: {exc}")
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
    sys.stdout.write(
        f"verified {done.checkpoint.origin}: {report.size} entries, root {root}\n"
        + "".join(f"  ok  {line}\n" for line in checks)
    )


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
    lines = EntryLines(export_dir / ENTRIES_FILE)
    report = _audit(lines, checkpoint, anchor, earlier, workers)
    if report.ok and lines.hexdigest() != manifest.entries_sha256:
        raise ExportError(f"{ENTRIES_FILE} does not match the SHA-256 in the signed manifest")
    checks.append(f"{ENTRIES_FILE} matches the manifest's SHA-256")
    return _Verified(verifier, anchor, earlier, manifest.checkpoint, checkpoint, report)


def _verify_remote(
    url: str, trust: Path | None, seen: SeenCheckpoints, checks: list[str], workers: int | None
) -> _Verified:
    """Over HTTP: the trust configuration (unless the auditor brings its own), the key, the
    latest checkpoint, a consistency proof from the checkpoint seen before, then every entry
    (a page of up to 1,000 per request)."""
    with _http_client(url) as client:
        if trust is not None:
            verifier, anchor = _trust_file(trust)
        else:
            response = client.get("/v1/trust")
            if response.status_code == 404:
                fail(f"{url} serves no /v1/trust; pass --trust trust.json")
            verifier, anchor = _trust_doc(_json(_ok(response, "/v1/trust")), f"{url}/v1/trust")
            checks.append(
                f"trust from {url}/v1/trust, pinned on first use (pass --trust to bring your own)"
            )
        earlier = seen.get(verifier, _pins(anchor))
        served = _get(client, "/v1/log/key").text.strip()
        if served != verifier.text():
            raise ConsistencyError(f"{url} serves log key {served}, the trust file names another")
        note = _get(client, "/v1/log/checkpoint").text
        try:
            checkpoint = open_checkpoint(note, verifier)
        except NoteError as exc:
            raise ConsistencyError(f"{url}: checkpoint: {exc}") from exc
        checks.append(f"the checkpoint is signed by {verifier.text()}")
        if earlier is not None:
            old = earlier.checkpoint.size
            proof: list[bytes] = []
            if 0 < old < checkpoint.size:
                path = f"/v1/log/proof/consistency?old={old}&size={checkpoint.size}"
                doc = _json(_get(client, path))
                try:
                    proof = [base64.b64decode(h, validate=True) for h in doc["proof"]]
                except (KeyError, TypeError, ValueError) as exc:
                    raise ConsistencyError(f"{url}{path}: malformed proof: {exc}") from exc
            check_consistency(earlier.note, note, proof, verifier)
            checks.append(f"consistency proof from size {old} to size {checkpoint.size}")

        def entries() -> Iterator[tuple[int, bytes]]:
            index = 0
            while index < checkpoint.size:  # a page of entries per request, each exact bytes
                count = min(ENTRIES_PAGE, checkpoint.size - index)
                page = _get(client, f"/v1/log/entries?start={index}&count={count}").content
                lines = page.split(b"\n")
                if len(lines) != count + 1 or lines[-1] != b"":
                    raise ExportError(f"the server sent a malformed page of entries at {index}")
                for data in lines[:-1]:
                    yield index, data
                    index += 1

        report = _audit(entries(), checkpoint, anchor, earlier, workers)
        return _Verified(verifier, anchor, earlier, note, checkpoint, report)


def _audit(
    entries: Iterable[tuple[int, bytes]],
    checkpoint: Checkpoint,
    anchor: TrustAnchor,
    earlier: SeenCheckpoint | None,
    workers: int | None,
) -> VerifyReport:
    with progress() as bar:
        task = bar.add_task("verifying", total=checkpoint.size)
        return verify_log(
            entries,
            checkpoint,
            anchor,
            earlier=[] if earlier is None else [earlier.checkpoint],
            progress=lambda done: bar.update(task, completed=done),
            workers=workers,
        )


class _OrgNames:
    """USCC -> "name (USCC)" from the organizations' chains in the log, memoized."""

    def __init__(self, node: LedgerNode) -> None:
        self.chains, self.names = node.chains(), dict[str, str]()

    def __call__(self, uscc: str | None) -> str:
        if uscc is None:
            return "—"
        if uscc not in self.names:
            state = OrganizationState.empty(uscc)
            for entry in self.chains.entries(f"organization:{uscc}"):
                state = evolve_organization(state, statement_of(entry.data.decode()))
            self.names[uscc] = f"{state.name} ({uscc})" if state.name else uscc
        return self.names[uscc]


@app.command()
def check() -> None:
    """Compare this ledger's event store with its log, entry by entry (on the server's host):
    the read side shows only the log, but the write path judges against the event store, so
    any difference is a fault. Exits 1 naming the first disagreeing entry (subject, version,
    log index)."""
    try:
        node = open_node(Settings(), check=False)
    except SetupError as exc:
        fail(str(exc))
    try:
        size = node.log.size()
        found = compare(node.app, node.engine)
    finally:
        node.close()
    if found is not None:
        fail(f"the event store disagrees with the log: {found}")
    sys.stdout.write(f"the event store agrees with the log: {size} entries compared\n")


@app.command()
def replay(
    code: Annotated[str, typer.Argument(help="the elevator's equipment code")],
    as_of: Annotated[
        str,
        typer.Option(
            "--as-of", help="RFC 3339 instant with a UTC offset, e.g. 2025-03-01T14:05:00+08:00"
        ),
    ],
    axis: Annotated[
        Axis,
        typer.Option(
            help="occurred: as it happened by then (late entries included); recorded: as the"
            " ledger knew it then"
        ),
    ] = Axis.OCCURRED,
    as_json: Annotated[bool, typer.Option("--json", help="print the replay as JSON")] = False,
) -> None:
    """Replay one elevator as of an instant, re-verifying its chain and signatures, and say who
    was responsible then. Exits 1 if the elevator is unknown or its chain does not verify."""
    from rich.table import Table
    from rich.text import Text

    from api.local_time import on_ledger_clock
    from api.replay_routes import replay_elevator

    try:
        at = parse_instant(as_of)
    except ValueError as exc:
        fail(f"--as-of: {exc}")
    node = _node()
    try:
        try:  # the same instant on the ledger's clock: the report's dates are in its zone
            result = replay_elevator(node, code, on_ledger_clock(at, node.settings.zone), axis)
        except ChainFault as fault:
            fail(f"cannot replay the chain from the log: {fault}")
        if result is None:
            fail(f"no elevator {code} in this ledger")
        if as_json:
            sys.stdout.write(orjson.dumps(result.to_json(), option=orjson.OPT_INDENT_2).decode())
            sys.stdout.write("\n")
        else:
            name = _OrgNames(node)
            out = Console(highlight=False)
            steps = Table(title=Text(f"elevator {code} as of {at.isoformat()} ({axis} axis)"))
            for column in ("v", "occurred", "recorded", "type", "issuer", "what changed"):
                steps.add_column(column)
            for step in result.steps:
                changed = "\n".join(f"{k}: {b} → {a}" for k, (b, a) in step.changes.items())
                steps.add_row(
                    Text(str(step.version)),
                    Text(step.occurred_at.isoformat()),
                    Text(
                        step.recorded_at.astimezone(at.tzinfo).isoformat()
                        + (" (late)" if step.late else "")
                    ),
                    Text(step.type),
                    Text(name(step.issuer)),
                    Text(step.note or changed or "—"),
                )
            out.print(steps)
            report = result.report
            parties = Table(title=Text(f"responsible at {report.as_of.isoformat()}"))
            for column in ("role", "organization", "basis", "proof"):
                parties.add_column(column)
            for party in report.parties:
                proof = ", ".join(f"v{e.version} {e.entry_hash[:12]}…" for e in party.evidence)
                parties.add_row(
                    Text(str(party.role)), Text(name(party.uscc)), Text(party.basis), Text(proof)
                )
            out.print(parties)
            for o in report.overdue:
                proof = ", ".join(f"v{e.version} {e.entry_hash[:12]}…" for e in o.evidence)
                line = f"overdue {o.obligation} ({name(o.responsible)}): {o.detail} [{proof}]"
                out.print(Text(line))
            for i in report.open_items:
                proof = ", ".join(f"v{e.version} {e.entry_hash[:12]}…" for e in i.evidence)
                late = " OVERDUE" if i.overdue else ""
                out.print(Text(f"open {i.kind} {i.id}: {i.detail}{late} [{proof}]"))
            if not report.overdue and not report.open_items:
                out.print(Text("nothing overdue or open"))
        if not result.verified:
            fail(f"chain verification failed: {result.problem}")
        assert result.head is not None
        say(
            f"chain and signatures verified ({result.entries_checked} entries, head"
            f" v{result.head.version} {result.head.entry_hash[:16]}…)"
        )
    finally:
        node.close()


def _register_read_commands() -> None:
    from api.cli_read import project, projections_app, qr

    app.add_typer(projections_app, name="projections")
    app.command()(project)
    app.command()(qr)


def _register_admin_commands() -> None:
    from api.cli_admin import token_app

    app.add_typer(token_app, name="token")


_register_read_commands()
_register_admin_commands()

if __name__ == "__main__":
    app()
