"""DSSE v1 envelopes (github.com/secure-systems-lab/dsse).

A signature covers ``PAE(payloadType, payload)``, never a re-encoding, so the
envelope is verified before the payload is parsed. ``keyid`` is only a hint: a
signature counts when it verifies under a key the caller trusts.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from ledger.keys import SigningKey, VerifyingKey

MAX_ENVELOPE_BYTES = 64 * 1024
#: A statement needs its issuer's signature and perhaps a co-signer's, each maybe twice during a
#: key rotation. Each signature costs a key lookup, so an envelope packed with hundreds of them
#: (and a batch of such envelopes) would make one request cost seconds.
MAX_SIGNATURES = 8
_B64 = re.compile(rb"^[A-Za-z0-9+/\-_]*={0,2}$")


class EnvelopeError(ValueError):
    """The envelope is malformed, too large, of an unknown type, or unsigned."""


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE pre-authentication encoding."""
    t = payload_type.encode()
    return b"DSSEv1 %d %b %d %b" % (len(t), t, len(payload), payload)


def b64decode_any(text: str) -> bytes:
    """Decode standard or URL-safe base64, padded or not (DSSE allows both)."""
    if text.isascii():
        try:  # the usual form, standard and padded: decoded as below, in one C call
            return binascii.a2b_base64(text, strict_mode=True)
        except binascii.Error:
            pass
    raw = text.encode("ascii", "strict") if text.isascii() else b"\xff"
    if not _B64.match(raw):
        raise EnvelopeError("invalid base64")
    raw = raw.replace(b"-", b"+").replace(b"_", b"/").rstrip(b"=")
    raw += b"=" * (-len(raw) % 4)
    try:
        return base64.b64decode(raw, validate=True)
    except binascii.Error as exc:
        raise EnvelopeError(f"invalid base64: {exc}") from exc


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key!r}")
            seen.add(key)
    return obj


def json_values_bound(data: bytes) -> int:
    """An upper bound on how many values a JSON document holds, counted without parsing it.

    Every value but the outermost is a member of an array or object, and a container's members
    number one more than the commas between them, so ``1 + commas + containers`` bounds the
    count (commas and brackets inside strings only raise it). Parsing allocates an object per
    value (16 MB of ``[{},{},…]`` is 5.5 million dicts, ~460 MiB in orjson alone), so a body
    is held to a value budget before it is parsed; counting is a C scan, ~7 ms for 16 MB.
    """
    return 1 + data.count(b",") + data.count(b"[") + data.count(b"{")


def strict_json(data: bytes) -> Any:
    """Parse JSON strictly: valid UTF-8 without lone surrogates, nested at most 1,024 deep
    (orjson), and no object with a duplicate key.

    orjson silently keeps the last of duplicate keys where other parsers keep the first, so a
    document with duplicates could say one thing to the ledger and another to a verifier
    (RFC 8259 §4, RFC 7493 §2.3). A second pass with the standard library's parser and a pairs
    hook finds them; it costs about as much as the first parse.
    """
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise EnvelopeError(f"not valid JSON: {exc}") from exc
    try:
        json.loads(data, object_pairs_hook=_unique_keys)
    except RecursionError:  # within orjson's depth limit but deeper than Python's stack allows
        raise EnvelopeError("not valid JSON: nested too deeply") from None
    except ValueError as exc:
        raise EnvelopeError(f"not valid JSON: {exc}") from None
    return value


def envelope_json(data: bytes) -> dict[str, Any]:
    """The envelope's JSON object, at most 64 KiB, parsed by :func:`strict_json`."""
    if len(data) > MAX_ENVELOPE_BYTES:
        raise EnvelopeError(f"envelope exceeds {MAX_ENVELOPE_BYTES} bytes")
    try:
        obj = strict_json(data)
    except EnvelopeError as exc:
        raise EnvelopeError(f"envelope is {exc}") from None
    if not isinstance(obj, dict):
        raise EnvelopeError("envelope must be a JSON object")
    return obj


@dataclass(frozen=True)
class Signature:
    keyid: str
    sig: bytes


@dataclass(frozen=True)
class Envelope:
    payload_type: str
    payload: bytes
    signatures: tuple[Signature, ...]

    def pae(self) -> bytes:
        return pae(self.payload_type, self.payload)

    def to_json(self) -> dict[str, Any]:
        return {
            "payloadType": self.payload_type,
            "payload": base64.b64encode(self.payload).decode(),
            "signatures": [
                {"keyid": s.keyid, "sig": base64.b64encode(s.sig).decode()} for s in self.signatures
            ],
        }

    def to_bytes(self) -> bytes:
        return orjson.dumps(self.to_json())

    def with_signature(self, key: SigningKey) -> Envelope:
        """Add a co-signature over the same PAE."""
        sig = Signature(key.key_id, key.sign(self.pae()))
        return Envelope(self.payload_type, self.payload, (*self.signatures, sig))


def sign(payload_type: str, payload: bytes, keys: Iterable[SigningKey]) -> Envelope:
    env = Envelope(payload_type, payload, ())
    for key in keys:
        env = env.with_signature(key)
    if not env.signatures:
        raise EnvelopeError("an envelope needs at least one signature")
    return env


def parse_envelope(
    data: bytes | Mapping[str, Any],
    accepted_types: Iterable[str] | None = None,
) -> Envelope:
    """Parse envelope JSON strictly, without touching the payload's content."""
    obj = envelope_json(bytes(data)) if isinstance(data, bytes | bytearray) else data
    if not isinstance(obj, Mapping):
        raise EnvelopeError("envelope must be a JSON object")
    unknown = set(obj) - {"payloadType", "payload", "signatures"}
    if unknown:
        raise EnvelopeError(f"unknown envelope fields: {sorted(unknown)}")
    ptype, payload, sigs = obj.get("payloadType"), obj.get("payload"), obj.get("signatures")
    if not isinstance(ptype, str) or not ptype:
        raise EnvelopeError("payloadType must be a non-empty string")
    if accepted_types is not None and ptype not in set(accepted_types):
        raise EnvelopeError(f"unsupported payloadType {ptype!r}")
    if not isinstance(payload, str):
        raise EnvelopeError("payload must be a base64 string")
    if not isinstance(sigs, list) or not sigs:
        raise EnvelopeError("signatures must be a non-empty list")
    if len(sigs) > MAX_SIGNATURES:
        raise EnvelopeError(f"at most {MAX_SIGNATURES} signatures")
    parsed: list[Signature] = []
    for s in sigs:
        if not isinstance(s, Mapping) or not isinstance(s.get("sig"), str):
            raise EnvelopeError("each signature needs a base64 'sig'")
        keyid = s.get("keyid", "")
        if not isinstance(keyid, str) or set(s) - {"keyid", "sig"}:
            raise EnvelopeError("a signature has only 'keyid' (string) and 'sig'")
        parsed.append(Signature(keyid, b64decode_any(s["sig"])))
    return Envelope(ptype, b64decode_any(payload), tuple(parsed))


KeyLookup = Callable[[str], Iterable[VerifyingKey]]


def verified_signers(envelope: Envelope, candidates: KeyLookup) -> list[VerifyingKey]:
    """Keys that produced a valid signature over the envelope's PAE.

    ``candidates(keyid)`` yields the keys worth trying for one signature (the
    keyid hint may be empty or wrong, so a lookup may return several).
    Each key counts once however many signatures it made.
    """
    message = envelope.pae()
    found: dict[str, VerifyingKey] = {}
    for sig in envelope.signatures:
        for key in candidates(sig.keyid):
            if key.key_id not in found and key.verify(message, sig.sig):
                found[key.key_id] = key
                break
    return list(found.values())


def verify(envelope: Envelope, keys: Iterable[VerifyingKey]) -> list[VerifyingKey]:
    """Verify against a fixed set of trusted keys: every signature must verify under one of
    them (the one its keyid names, else any), each key once; the keys, in signature order.

    An envelope carrying one signature that does not verify is refused, not judged by its
    other signatures: whoever reads the envelope as "signed by these keys" must not be shown
    a key that did not sign. The error names the signature (index and keyid) and why.
    """
    trusted = list(keys)
    by_id = {k.key_id: k for k in trusted}
    message = envelope.pae()
    found: dict[str, VerifyingKey] = {}
    for index, sig in enumerate(envelope.signatures):
        candidates = [by_id[sig.keyid]] if sig.keyid in by_id else trusted
        key = next((k for k in candidates if k.verify(message, sig.sig)), None)
        if key is None:
            raise EnvelopeError(
                f"no valid signature from a trusted key: signature {index}"
                f" (keyid {sig.keyid[:64]!r}) does not verify"
            )
        if key.key_id in found:
            raise EnvelopeError(f"signature {index} (keyid {sig.keyid[:64]!r}) repeats a signer")
        found[key.key_id] = key
    if not found:
        raise EnvelopeError("no valid signature from a trusted key")
    return list(found.values())
