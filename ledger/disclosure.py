"""Selective disclosure of JSON fields: salted digests in what is signed, values beside it.

A field that must not be published is signed as ``{"concealed": <digest>}``. Its value travels
next to the signed document as a *disclosure*, encoded exactly as RFC 9901 (SD-JWT) §4.2.1
encodes one: the base64url (no padding) of the UTF-8 JSON array ``[salt, name, value]``; the
digest is the base64url SHA-256 of that ASCII string (RFC 9901 §4.2.3, ``sha-256``). Unlike
SD-JWT the field keeps its place and name, so a schema still says what is there and the
document can be checked for shape without the values; the name inside the disclosure must be
the field's, so a disclosure cannot be moved to another field.

A log can then publish every signed document whole — signatures verify over the digests —
while the values (names, certificate numbers, phone numbers) go only to whoever may see them,
and each value still proves what its signer committed to. With 128-bit random salts, a digest
says nothing of a value, even one from a small set.

Paths are dotted field names; ``*`` walks every element of a list (``technicians.*.name``).
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import re
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from ledger.canonical import canonical_json

#: The one key of a concealed field's object.
CONCEALED = "concealed"
SALT_BYTES = 16  # RFC 9901 §9.3 recommends at least 128 bits
MAX_DISCLOSURE_CHARS = 4096
_B64URL = re.compile(r"[A-Za-z0-9_-]+")
MUST_CONCEAL = 'must be concealed: sign {"concealed": <digest>} and send the value as a disclosure'
_DIGEST = re.compile(r"[A-Za-z0-9_-]{43}")  # 32 bytes, base64url without padding


class DisclosureError(ValueError):
    """A disclosure that is malformed or does not match the document (``loc`` says where)."""

    def __init__(self, loc: str, message: str) -> None:
        super().__init__(f"{loc}: {message}")
        self.loc, self.message = loc, message


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def digest_of(encoded: str) -> str:
    """The digest a document carries for the disclosure ``encoded`` (RFC 9901 §4.2.3)."""
    return _b64url(hashlib.sha256(encoded.encode("ascii")).digest())


@dataclass(frozen=True)
class Disclosure:
    encoded: str  # the digest is over this exact string, never a re-encoding
    salt: str
    name: str
    value: Any

    @property
    def digest(self) -> str:
        return digest_of(self.encoded)

    @classmethod
    def make(cls, name: str, value: Any, salt: str | None = None) -> Disclosure:
        salt = salt if salt is not None else _b64url(secrets.token_bytes(SALT_BYTES))
        encoded = _b64url(canonical_json([salt, name, value]))
        return cls(encoded, salt, name, value)

    @classmethod
    def parse(cls, encoded: Any, loc: str = "disclosure") -> Disclosure:
        """A disclosure as received: base64url of ``[salt, name, value]``, salt >= 128 bits."""
        if not isinstance(encoded, str) or not _B64URL.fullmatch(encoded):
            raise DisclosureError(loc, "a disclosure is a base64url string without padding")
        if len(encoded) > MAX_DISCLOSURE_CHARS:
            raise DisclosureError(loc, f"a disclosure is at most {MAX_DISCLOSURE_CHARS} chars")
        try:
            raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            triple = orjson.loads(raw)
        except (binascii.Error, ValueError):
            raise DisclosureError(loc, "a disclosure must decode to JSON") from None
        if not (
            isinstance(triple, list)
            and len(triple) == 3
            and isinstance(triple[0], str)
            and isinstance(triple[1], str)
        ):
            raise DisclosureError(loc, "a disclosure must be the JSON array [salt, name, value]")
        salt, name, value = triple
        if len(salt) < 22:  # 16 bytes in base64url
            raise DisclosureError(loc, "the salt must carry at least 128 random bits")
        return cls(encoded, salt, name, value)


def concealed_digest(value: Any) -> str | None:
    """The digest if ``value`` is a concealed field's object, else None."""
    if isinstance(value, dict) and len(value) == 1 and CONCEALED in value:
        digest = value[CONCEALED]
        if isinstance(digest, str) and _DIGEST.fullmatch(digest):
            return digest
    return None


def fields_at(doc: Any, paths: Iterable[str]) -> Iterator[tuple[str, str, Any, Any]]:
    """(location, field name, parent object, value) of every present field on ``paths``."""
    for path in paths:
        yield from _walk(doc, path.split("."), "")


def _walk(node: Any, parts: Sequence[str], loc: str) -> Iterator[tuple[str, str, Any, Any]]:
    head, rest = parts[0], parts[1:]
    if head == "*":
        if isinstance(node, list):
            for i, item in enumerate(node):
                yield from _walk(item, rest, f"{loc}[{i}]")
        return
    if not isinstance(node, dict) or node.get(head) is None:
        return  # absent or null: nothing to conceal
    here = f"{loc}.{head}" if loc else head
    if rest:
        yield from _walk(node[head], rest, here)
    else:
        yield here, head, node, node[head]


def conceal(doc: Any, paths: Iterable[str]) -> tuple[Any, list[Disclosure]]:
    """A copy of ``doc`` with each field on ``paths`` concealed, and their disclosures."""
    out = copy.deepcopy(doc)
    disclosures = []
    for _loc, name, parent, value in list(fields_at(out, paths)):
        if concealed_digest(value) is not None:
            continue  # already concealed by the caller
        disclosure = Disclosure.make(name, value)
        parent[name] = {CONCEALED: disclosure.digest}
        disclosures.append(disclosure)
    return out, disclosures


def check_concealed(doc: Any, paths: Iterable[str], prefix: str = "") -> list[str]:
    """The digests of the fields on ``paths``; a plain value there is an error."""
    digests = []
    for loc, _name, _parent, value in fields_at(doc, paths):
        digest = concealed_digest(value)
        if digest is None:
            raise DisclosureError(prefix + loc, MUST_CONCEAL)
        digests.append(digest)
    return digests


def reveal(
    doc: Any, paths: Iterable[str], disclosures: Sequence[Disclosure], prefix: str = ""
) -> Any:
    """A copy of ``doc`` with every concealed field on ``paths`` replaced by its value.

    Every concealed field needs exactly one disclosure with its own name, and every
    disclosure must belong to a field.
    """
    by_digest: dict[str, Disclosure] = {}
    for i, d in enumerate(disclosures):
        if d.digest in by_digest:
            raise DisclosureError(f"disclosures[{i}]", "the same disclosure is given twice")
        by_digest[d.digest] = d
    out = copy.deepcopy(doc)
    used: set[str] = set()
    for loc, name, parent, value in list(fields_at(out, paths)):
        digest = concealed_digest(value)
        if digest is None:
            raise DisclosureError(prefix + loc, MUST_CONCEAL)
        disclosure = by_digest.get(digest)
        if disclosure is None or digest in used:
            raise DisclosureError(prefix + loc, "no disclosure has this field's digest")
        if disclosure.name != name:
            raise DisclosureError(
                prefix + loc, f"the disclosure names {disclosure.name!r}, not {name!r}"
            )
        used.add(digest)
        parent[name] = disclosure.value
    for i, d in enumerate(disclosures):
        if d.digest not in used:
            raise DisclosureError(f"disclosures[{i}]", "matches no concealed field")
    return out
