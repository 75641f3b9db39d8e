"""Exports of the log for offline audit: every entry, and a manifest signed by the log key.

An export directory holds:

``entries.jsonl``
    one line per entry, in log order: ``{"index": i, "entry": "<the entry bytes as text>"}``.
    Entries are canonical UTF-8 JSON, so ``entry.encode()`` gives back the exact stored bytes
    (the preimage of the leaf hash).
``manifest.json``
    the canonical JSON of ``{"format", "origin", "size", "root", "checkpoint", "entries_sha256",
    "range"}`` and a newline: the export covers ``[0, size)``, exactly the tree of the latest
    signed checkpoint (``checkpoint`` is that signed note's text, ``root`` its base64 root).
``manifest.sig``
    a C2SP signed note by the log key whose text is ``manifest.json``.

Nothing here trusts the exporter: :func:`open_manifest` checks the manifest's signature and its
checkpoint with the log's verifier key, and :mod:`ledger.audit` recomputes everything the
manifest claims from the entries themselves. Both sides stream: an export of any size is
written and read in pages, never held in memory.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ledger.canonical import canonical_json
from ledger.log import MerkleLog
from ledger.note import Checkpoint, NoteError, NoteVerifier, open_checkpoint, open_note, sign_note

FORMAT = "elevator-ledger-export/v1"
ENTRIES_FILE = "entries.jsonl"
MANIFEST_FILE = "manifest.json"
SIGNATURE_FILE = "manifest.sig"
PAGE = 5000

#: progress(done, total): called after each page
Progress = Callable[[int, int], None]


class ExportError(ValueError):
    """An export cannot be written, or what was read is not a well-formed, signed export."""


@dataclass(frozen=True)
class Manifest:
    origin: str
    size: int
    root: bytes
    checkpoint: str  # the signed note of the checkpoint whose tree the export holds
    entries_sha256: str  # hex SHA-256 of entries.jsonl

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "origin": self.origin,
            "size": self.size,
            "root": base64.b64encode(self.root).decode(),
            "checkpoint": self.checkpoint,
            "entries_sha256": self.entries_sha256,
            "range": [0, self.size],
        }

    def text(self) -> str:
        """What ``manifest.json`` holds and ``manifest.sig`` signs."""
        return canonical_json(self.to_json()).decode() + "\n"

    @classmethod
    def parse(cls, text: str) -> Manifest:
        try:
            doc = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise ExportError(f"{MANIFEST_FILE} is not JSON: {exc}") from exc
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ExportError(f"{MANIFEST_FILE} is not an {FORMAT} manifest")
        try:
            manifest = cls(
                origin=_typed(doc, "origin", str),
                size=_typed(doc, "size", int),
                root=base64.b64decode(_typed(doc, "root", str), validate=True),
                checkpoint=_typed(doc, "checkpoint", str),
                entries_sha256=_typed(doc, "entries_sha256", str),
            )
        except binascii.Error as exc:
            raise ExportError(f"{MANIFEST_FILE}: root is not base64") from exc
        if set(doc) != set(manifest.to_json()) or doc["range"] != [0, manifest.size]:
            raise ExportError(f"{MANIFEST_FILE}: unexpected fields or a range other than [0, size]")
        if manifest.text() != text:
            raise ExportError(f"{MANIFEST_FILE} is not canonical JSON")
        return manifest


def _typed(doc: dict[str, Any], name: str, kind: type) -> Any:
    value = doc.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ExportError(f"{MANIFEST_FILE}: {name} must be a {kind.__name__}")
    return value


def export_log(log: MerkleLog, out_dir: Path, progress: Progress | None = None) -> Manifest:
    """Write the log up to its latest checkpoint into ``out_dir`` (created if missing).

    The entries go to a temporary file renamed into place; the manifest and its signature are
    written last, so a directory without ``manifest.sig`` is an interrupted export.
    """
    checkpoint = log.latest_checkpoint()
    size = checkpoint.size
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in (ENTRIES_FILE, MANIFEST_FILE, SIGNATURE_FILE):
        if (out_dir / name).exists():
            raise ExportError(f"{out_dir / name} exists; export into an empty directory")
    digest = hashlib.sha256()
    partial = out_dir / f".{ENTRIES_FILE}.partial"
    with partial.open("wb") as out:
        for start in range(0, size, PAGE):
            end = min(start + PAGE, size)
            page = log.entries(start, end)
            if len(page) != end - start:
                raise ExportError(f"entries {start}..{end - 1} are missing from the log store")
            lines = b"".join(_line(start + offset, data) for offset, data in enumerate(page))
            digest.update(lines)
            out.write(lines)
            if progress is not None:
                progress(end, size)
        out.flush()
        os.fsync(out.fileno())
    partial.replace(out_dir / ENTRIES_FILE)
    manifest = Manifest(log.origin, size, checkpoint.root, checkpoint.note, digest.hexdigest())
    text = manifest.text()
    (out_dir / MANIFEST_FILE).write_text(text, encoding="utf-8")
    (out_dir / SIGNATURE_FILE).write_text(sign_note(text, [log.signer]), encoding="utf-8")
    if progress is not None and size == 0:
        progress(0, 0)
    return manifest


def _line(index: int, data: bytes) -> bytes:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ExportError(
            f"entry {index} is not UTF-8, so it cannot be a ledger entry: the log store is damaged"
        ) from None
    return orjson.dumps({"index": index, "entry": text}) + b"\n"


# --- reading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedManifest:
    manifest: Manifest
    checkpoint: Checkpoint  # opened and verified with the log key


def open_manifest(export_dir: Path, verifier: NoteVerifier) -> VerifiedManifest:
    """Read the manifest, check its signature and its checkpoint's with the log key."""
    try:
        text = (export_dir / MANIFEST_FILE).read_text(encoding="utf-8")
        note = (export_dir / SIGNATURE_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExportError(f"cannot read the export's manifest: {exc}") from exc
    try:
        signed = open_note(note, [verifier])
    except NoteError as exc:
        raise ExportError(f"{SIGNATURE_FILE}: {exc}") from exc
    if signed.text != text:
        raise ExportError(f"{SIGNATURE_FILE} signs another text than {MANIFEST_FILE}")
    manifest = Manifest.parse(text)
    try:
        checkpoint = open_checkpoint(manifest.checkpoint, verifier, manifest.origin)
    except NoteError as exc:
        raise ExportError(f"{MANIFEST_FILE}: checkpoint: {exc}") from exc
    if manifest.origin != verifier.name:
        raise ExportError(f"the export is of log {manifest.origin!r}, not {verifier.name!r}")
    if (checkpoint.size, checkpoint.root) != (manifest.size, manifest.root):
        raise ExportError(f"{MANIFEST_FILE}: size and root differ from its signed checkpoint")
    return VerifiedManifest(manifest, checkpoint)


class EntryLines:
    """Iterate ``entries.jsonl`` as ``(index, entry bytes)``, hashing the file as it is read.

    A line that is not ``{"index": <int>, "entry": <str>}`` raises :class:`ExportError` naming
    its line number. After a complete iteration, :meth:`hexdigest` is the file's SHA-256.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._digest = hashlib.sha256()

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        try:
            with self.path.open("rb") as fh:
                for number, line in enumerate(fh, 1):
                    self._digest.update(line)
                    yield _parse_line(number, line)
        except OSError as exc:
            raise ExportError(f"cannot read {self.path}: {exc.strerror}") from exc

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def _parse_line(number: int, line: bytes) -> tuple[int, bytes]:
    try:
        doc = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise ExportError(f"{ENTRIES_FILE} line {number} is not JSON: {exc}") from exc
    if (
        not isinstance(doc, dict)
        or set(doc) != {"index", "entry"}
        or not isinstance(doc["index"], int)
        or isinstance(doc["index"], bool)
        or not isinstance(doc["entry"], str)
    ):
        raise ExportError(f'{ENTRIES_FILE} line {number} is not {{"index": n, "entry": "…"}}')
    try:
        return doc["index"], doc["entry"].encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate escaped in the JSON string
        raise ExportError(f"{ENTRIES_FILE} line {number}: entry is not UTF-8 text") from exc
