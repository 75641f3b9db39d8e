"""C2SP signed notes (c2sp.org/signed-note) and tlog checkpoints (c2sp.org/tlog-checkpoint).

Parsing is strict: a note is valid UTF-8 without control characters other than
newline, ends with a newline, and is accepted only when at least one signature
verifies under a known key; a bad signature from a known key is an error,
signatures from unknown keys are kept but not trusted.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from ledger.keys import Ed25519, SigningKey, VerifyingKey

_EM_DASH = "\u2014"
_SIG_LINE = re.compile(r"^\u2014 (\S+) ([A-Za-z0-9+/=]+)$")
_MAX_SIGNATURES = 100
_ED25519 = Ed25519()


class NoteError(ValueError):
    """A note or checkpoint is malformed or does not verify."""


def _check_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError(f"invalid key name {name!r}")


def note_key_hash(name: str, key_type: int, public: bytes) -> int:
    """C2SP key ID: first four bytes of SHA-256(name || 0x0A || type || public key)."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + public).digest()
    return int(struct.unpack(">I", digest[:4])[0])


@dataclass(frozen=True)
class NoteVerifier:
    name: str
    key: VerifyingKey

    @functools.cached_property
    def key_hash(self) -> int:
        return note_key_hash(self.name, _ED25519.note_type, self.key.public)

    def text(self) -> str:
        """Verifier key in C2SP form: ``name+hash+base64(type || public key)``."""
        blob = base64.b64encode(bytes([_ED25519.note_type]) + self.key.public).decode()
        return f"{self.name}+{self.key_hash:08x}+{blob}"

    @classmethod
    def parse(cls, text: str) -> NoteVerifier:
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise NoteError("a verifier key is name+hash+key")
        name, hash_hex, blob = parts
        _check_name(name)
        try:
            raw = base64.b64decode(blob, validate=True)
            declared = int(hash_hex, 16)
        except (binascii.Error, ValueError) as exc:
            raise NoteError(f"malformed verifier key: {exc}") from exc
        if len(hash_hex) != 8 or len(raw) != 33 or raw[0] != _ED25519.note_type:
            raise NoteError("only Ed25519 verifier keys (type 0x01) are supported")
        verifier = cls(name, VerifyingKey("ed25519", raw[1:]))
        if verifier.key_hash != declared:
            raise NoteError("verifier key hash does not match the key")
        return verifier


@dataclass(frozen=True)
class NoteSigner:
    name: str
    key: SigningKey

    def __post_init__(self) -> None:
        _check_name(self.name)

    @functools.cached_property
    def verifier(self) -> NoteVerifier:
        return NoteVerifier(self.name, self.key.verifying_key)

    @functools.cached_property
    def _line_prefix(self) -> tuple[str, bytes]:
        return f"{_EM_DASH} {self.name} ", struct.pack(">I", self.verifier.key_hash)

    def signature_line(self, text: str) -> str:
        prefix, key_hash = self._line_prefix
        sig = self.key.sign(text.encode())
        return f"{prefix}{binascii.b2a_base64(key_hash + sig, newline=False).decode()}\n"

    def private_text(self) -> str:
        blob = base64.b64encode(bytes([_ED25519.note_type]) + self.key.private).decode()
        return f"PRIVATE+KEY+{self.name}+{self.verifier.key_hash:08x}+{blob}"

    @classmethod
    def parse_private(cls, text: str) -> NoteSigner:
        parts = text.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("a signer key is PRIVATE+KEY+name+hash+key")
        try:
            raw = base64.b64decode(parts[4], validate=True)
        except binascii.Error as exc:
            raise NoteError(f"malformed signer key: {exc}") from exc
        if len(raw) != 33 or raw[0] != _ED25519.note_type:
            raise NoteError("only Ed25519 signer keys are supported")
        signer = cls(parts[2], SigningKey("ed25519", raw[1:]))
        if f"{signer.verifier.key_hash:08x}" != parts[3]:
            raise NoteError("signer key hash does not match the key")
        return signer


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_hash: int
    signature: bytes


@dataclass(frozen=True)
class SignedNote:
    text: str
    signatures: tuple[NoteSignature, ...]
    verified_by: tuple[str, ...]  # names of known keys whose signature verified


_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if _CONTROL.search(text):
        raise NoteError("note text contains a control character")


def sign_note(text: str, signers: Iterable[NoteSigner]) -> str:
    _check_text(text)
    if "\n\n" in text:
        raise NoteError("note text must not contain a blank line")
    lines = "".join(s.signature_line(text) for s in signers)
    if not lines:
        raise NoteError("a note needs at least one signer")
    return f"{text}\n{lines}"


def open_note(note: str | bytes, verifiers: Iterable[NoteVerifier]) -> SignedNote:
    """Parse and verify a signed note; raise unless a known key signed it."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteError("note is not valid UTF-8") from exc
    _check_text(note)
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no signature block")
    text, sig_block = note[: split + 1], note[split + 2 :]
    sig_lines = sig_block.split("\n")[:-1]
    if not sig_lines or len(sig_lines) > _MAX_SIGNATURES:
        raise NoteError("note must carry 1 to 100 signatures")
    known = {(v.name, v.key_hash): v for v in verifiers}
    signatures: list[NoteSignature] = []
    verified: list[str] = []
    for line in sig_lines:
        sig = _parse_signature_line(line)
        signatures.append(sig)
        verifier = known.get((sig.name, sig.key_hash))
        if verifier is None:
            continue
        if not verifier.key.verify(text.encode(), sig.signature):
            raise NoteError(f"invalid signature by {sig.name}")
        verified.append(sig.name)
    if not verified:
        raise NoteError("note is not signed by any known key")
    return SignedNote(text, tuple(signatures), tuple(verified))


def _parse_signature_line(line: str) -> NoteSignature:
    match = _SIG_LINE.match(line)
    if not match:
        raise NoteError(f"malformed signature line {line[:80]!r}")
    name, blob_b64 = match.groups()
    try:
        blob = base64.b64decode(blob_b64, validate=True)
    except binascii.Error as exc:
        raise NoteError("signature is not valid base64") from exc
    if len(blob) < 5:
        raise NoteError("signature is too short")
    return NoteSignature(name, int(struct.unpack(">I", blob[:4])[0]), blob[4:])


# --- checkpoints ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        body = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        return "\n".join([*body, *self.extensions]) + "\n"

    def sign(self, signer: NoteSigner) -> str:
        return sign_note(self.text(), [signer])

    @classmethod
    def parse_text(cls, text: str) -> Checkpoint:
        _check_text(text)
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise NoteError("a checkpoint has origin, size and root lines")
        origin, size_s, root_s, *ext = lines
        if not origin:
            raise NoteError("checkpoint origin is empty")
        if not size_s.isdigit() or not size_s.isascii() or (size_s != "0" and size_s[0] == "0"):
            raise NoteError(f"checkpoint size {size_s!r} is not a decimal number")
        try:
            root = base64.b64decode(root_s, validate=True)
        except binascii.Error as exc:
            raise NoteError("checkpoint root is not base64") from exc
        if len(root) != 32:
            raise NoteError("checkpoint root is not 32 bytes")
        if any(not line for line in ext):
            raise NoteError("checkpoint extension lines must not be empty")
        return cls(origin, int(size_s), root, tuple(ext))


def open_checkpoint(
    note: str | bytes, verifier: NoteVerifier, origin: str | None = None
) -> Checkpoint:
    """Verify a signed checkpoint from a log whose key and origin we know."""
    signed = open_note(note, [verifier])
    checkpoint = Checkpoint.parse_text(signed.text)
    if checkpoint.origin != (origin or verifier.name):
        raise NoteError(f"checkpoint origin {checkpoint.origin!r} is not this log")
    return checkpoint
