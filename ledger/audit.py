"""Offline audit of the log: recompute what the server signed, trusting nothing it says.

:class:`LogAuditor` takes the entries of a log in order, as ``(index, bytes)``, and checks

* the indices are ``0, 1, 2, …`` — nothing missing, repeated or out of order;
* every entry is a well-formed, canonical ledger entry (:meth:`ledger.entry.Entry.from_bytes`);
* per subject, the hash chain links: versions ``1, 2, 3, …`` in log order, version 1 without
  ``prev`` and every later ``prev`` equal to the hash of the subject's previous entry;
* the RFC 6962 root of the entries equals the signed checkpoint's (and the roots of any
  earlier checkpoints the auditor saw equal the roots of the same prefixes: the log was only
  ever appended to).

The root is folded along the tree's right edge (O(log n) memory); the chain check keeps one
(version, hash, index) per subject. The first problem by index is reported as a
:class:`Finding`: ``entry 1234: prev does not match the hash of elevator:… version 6 (entry
1200)``. :func:`check_consistency` compares a new checkpoint with the last one seen through a
consistency proof, for auditors that do not download the entries, and :class:`SeenCheckpoints`
keeps the last checkpoint an auditor verified per log, to compare the next one with.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from ledger import merkle
from ledger.entry import Entry, EntryError
from ledger.note import Checkpoint, NoteError, NoteVerifier, open_checkpoint


@dataclass(frozen=True)
class Finding:
    """The first thing wrong: with the entry's index, or ``None`` for the log as a whole."""

    index: int | None
    reason: str

    def __str__(self) -> str:
        return self.reason if self.index is None else f"entry {self.index}: {self.reason}"


class AuditError(ValueError):
    def __init__(self, finding: Finding) -> None:
        super().__init__(str(finding))
        self.finding = finding


class ConsistencyError(ValueError):
    """A new checkpoint does not extend the one seen before: the log was rewritten or forked."""


@dataclass(frozen=True)
class AuditResult:
    size: int  # entries checked
    root: bytes  # the root recomputed from them
    subjects: int  # distinct hash chains
    problem: Finding | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass
class _Link:
    version: int
    hash: bytes  # leaf hash of the subject's latest entry
    index: int  # where it is in the log


def _b64(h: bytes) -> str:
    return base64.b64encode(h).decode()


class LogAuditor:
    """Incremental audit: :meth:`add` each entry in order, then :meth:`finish`.

    ``earlier`` are checkpoints seen before (already verified): when the entries reach one's
    size, the root so far must be that checkpoint's root.
    """

    def __init__(self, earlier: Sequence[Checkpoint] = ()) -> None:
        self.size = 0
        self._edge: list[tuple[int, bytes]] = []  # (level, hash) of perfect subtrees, left→right
        self._chains: dict[str, _Link] = {}
        # any tree extends the empty one
        self._earlier = sorted((c for c in earlier if c.size), key=lambda c: c.size)

    @property
    def subjects(self) -> int:
        return len(self._chains)

    def root(self) -> bytes:
        return merkle.fold([h for _, h in self._edge])

    def add(self, index: int, data: bytes) -> Entry:
        """Check the next entry; raise :class:`AuditError` naming the first problem."""
        expected = self.size
        if index != expected:
            if index < expected:
                raise AuditError(
                    Finding(index, f"repeated or out of order (found after entry {expected - 1})")
                )
            before = f"entry {expected - 1}" if expected else "the start"
            raise AuditError(
                Finding(expected, f"missing or out of order (entry {index} follows {before})")
            )
        try:
            entry = Entry.from_bytes(data)
        except EntryError as exc:
            raise AuditError(Finding(index, str(exc))) from None
        leaf = merkle.leaf_hash(data)
        self._link(index, entry, leaf)
        self._append(leaf)
        self._check_earlier()
        return entry

    def _link(self, index: int, entry: Entry, leaf: bytes) -> None:
        subject, version = entry.subject, entry.version
        if not isinstance(subject, str) or not isinstance(entry.prev, str | None):
            raise AuditError(Finding(index, "subject must be text and prev text or null"))
        if not isinstance(version, int) or isinstance(version, bool):
            raise AuditError(Finding(index, f"{subject}: version {version!r} is not a number"))
        last = self._chains.get(subject)
        if last is None:
            if version != 1:
                raise AuditError(
                    Finding(index, f"{subject} starts at version {version}, not version 1")
                )
            if entry.prev is not None:
                raise AuditError(Finding(index, f"{subject} version 1 has a prev"))
            self._chains[subject] = _Link(1, leaf, index)
            return
        if version != last.version + 1:
            raise AuditError(
                Finding(
                    index,
                    f"{subject} version {version} follows version {last.version} "
                    f"(entry {last.index}); expected version {last.version + 1}",
                )
            )
        if entry.prev != last.hash.hex():
            raise AuditError(
                Finding(
                    index,
                    f"prev does not match the hash of {subject} version {last.version} "
                    f"(entry {last.index})",
                )
            )
        last.version, last.hash, last.index = version, leaf, index

    def _append(self, leaf: bytes) -> None:
        edge, level, h = self._edge, 0, leaf
        while edge and edge[-1][0] == level:
            h = merkle.node_hash(edge.pop()[1], h)
            level += 1
        edge.append((level, h))
        self.size += 1

    def _check_earlier(self) -> None:
        while self._earlier and self._earlier[0].size == self.size:
            seen = self._earlier.pop(0)
            if self.root() != seen.root:
                raise AuditError(
                    Finding(
                        None,
                        f"the first {seen.size} entries do not hash to the root of the "
                        f"checkpoint seen earlier ({_b64(seen.root)}): the log was rewritten",
                    )
                )

    def finish(self, checkpoint: Checkpoint) -> AuditResult:
        """Compare the entries with the signed checkpoint; raise :class:`AuditError` if not."""
        if self._earlier:
            seen = self._earlier[-1]
            raise AuditError(
                Finding(
                    None,
                    f"the log has {self.size} entries, fewer than the {seen.size} of the "
                    "checkpoint seen earlier: the log was truncated",
                )
            )
        if self.size != checkpoint.size:
            missing = self.size if self.size < checkpoint.size else None
            raise AuditError(
                Finding(
                    missing,
                    f"the checkpoint covers {checkpoint.size} entries, the log holds {self.size}",
                )
            )
        root = self.root()
        if root != checkpoint.root:
            raise AuditError(
                Finding(
                    None,
                    f"the {self.size} entries hash to {_b64(root)}, "
                    f"not to the signed checkpoint's root {_b64(checkpoint.root)}",
                )
            )
        return AuditResult(self.size, root, self.subjects)


def parse_entries(
    batch: Sequence[tuple[int, bytes]], entries: Sequence[Entry] | None = None
) -> tuple[list[tuple[int, bytes, Entry]], Finding | None]:
    """The batch's entries, parsed (or ``entries``, their parsed forms already at hand), up to
    the first that is malformed or whose envelope is not a JSON object, and that finding."""
    parsed: list[tuple[int, bytes, Entry]] = []
    for position, (index, data) in enumerate(batch):
        try:
            entry = Entry.from_bytes(data) if entries is None else entries[position]
        except EntryError as exc:
            return parsed, Finding(index, str(exc))
        if not isinstance(entry.envelope, dict):
            return parsed, Finding(index, "the envelope is not a JSON object")
        parsed.append((index, data, entry))
    return parsed, None


def audit_log(
    entries: Iterable[tuple[int, bytes]],
    checkpoint: Checkpoint,
    earlier: Sequence[Checkpoint] = (),
) -> AuditResult:
    """Audit a whole log against its signed checkpoint; ``problem`` is the first finding."""
    auditor = LogAuditor(earlier)
    try:
        for index, data in entries:
            auditor.add(index, data)
        return auditor.finish(checkpoint)
    except AuditError as exc:
        return AuditResult(auditor.size, auditor.root(), auditor.subjects, exc.finding)


def check_consistency(
    old_note: str, new_note: str, proof: Sequence[bytes], verifier: NoteVerifier
) -> Checkpoint:
    """Check that the signed checkpoint ``new_note`` extends ``old_note`` (both by ``verifier``).

    Same size: the roots must be equal (a proof must be empty). Smaller: the log shrank, an
    error. Larger: ``proof`` must be an RFC 9162 consistency proof between them. Any tree
    extends the empty one. Returns the new checkpoint; raises :class:`ConsistencyError`.
    """
    try:
        old = open_checkpoint(old_note, verifier)
        new = open_checkpoint(new_note, verifier)
    except NoteError as exc:
        raise ConsistencyError(f"checkpoint: {exc}") from exc
    if new.size < old.size:
        raise ConsistencyError(
            f"the log shrank: the checkpoint seen earlier has {old.size} entries, "
            f"the new one {new.size}"
        )
    if old.size == 0:
        return new
    if old.size == new.size and old.root != new.root:
        raise ConsistencyError(
            f"two signed checkpoints of size {new.size} with different roots "
            f"({_b64(old.root)} and {_b64(new.root)}): the log forked"
        )
    try:
        merkle.verify_consistency(old.size, new.size, old.root, new.root, proof)
    except merkle.ProofError as exc:
        raise ConsistencyError(
            f"the checkpoint of size {new.size} is not consistent with the one of size "
            f"{old.size} seen earlier: {exc}"
        ) from exc
    return new


# --- the checkpoints an auditor has seen ---------------------------------------------------


@dataclass(frozen=True)
class SeenCheckpoint:
    note: str  # the signed checkpoint, kept as evidence
    checkpoint: Checkpoint
    seen_at: str


class SeenCheckpoints:
    """The latest checkpoint verified per log origin, in a small JSON file of the auditor's.

    ``{"<origin>": {"log_key": "<verifier key>", "pins": {…}, "checkpoint": "<signed note>",
    "seen_at": "<RFC 3339>"}}``. The log key (and any other ``pins``, such as the root
    authority's key) is pinned with the checkpoint: a log that presents another key under the
    same origin is refused, not silently trusted afresh.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> dict[str, Any]:
        try:
            doc = orjson.loads(self.path.read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, orjson.JSONDecodeError) as exc:
            raise ConsistencyError(f"cannot read {self.path}: {exc}") from exc
        if not isinstance(doc, dict):
            raise ConsistencyError(f"{self.path} is not a JSON object")
        return doc

    def get(
        self, verifier: NoteVerifier, pins: Mapping[str, str] | None = None
    ) -> SeenCheckpoint | None:
        """The checkpoint seen last of ``verifier``'s log; ``pins`` (e.g. the root authority's
        key) must be what they were then."""
        item = self._load().get(verifier.name)
        if item is None:
            return None
        try:
            pinned, note, seen_at = item["log_key"], item["checkpoint"], item["seen_at"]
            pinned_too: dict[str, str] = dict(item.get("pins", {}))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConsistencyError(f"{self.path}: malformed record for {verifier.name}") from exc
        changed = {"log key": (pinned, verifier.text())}
        changed.update(
            (name, (pinned_too[name], value))
            for name, value in (pins or {}).items()
            if name in pinned_too
        )
        for name, (before, now) in changed.items():
            if before != now:
                raise ConsistencyError(
                    f"the {name} of {verifier.name} is {now}, but it was {before} until "
                    f"{seen_at}; if the change is legitimate, remove {verifier.name} from "
                    f"{self.path}"
                )
        try:
            return SeenCheckpoint(note, open_checkpoint(note, verifier), seen_at)
        except NoteError as exc:
            raise ConsistencyError(f"{self.path}: checkpoint of {verifier.name}: {exc}") from exc

    def remember(
        self, verifier: NoteVerifier, note: str, pins: Mapping[str, str] | None = None
    ) -> None:
        """Keep ``note`` (already verified to extend the last one seen) as the latest."""
        doc = self._load()
        doc[verifier.name] = {
            "log_key": verifier.text(),
            "pins": dict(pins or {}),
            "checkpoint": note,
            "seen_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.path.name}.partial")
        partial.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
        partial.replace(self.path)
