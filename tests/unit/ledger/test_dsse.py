"""DSSE envelopes: PAE, co-signing, tolerant base64, strict structure, no forgery."""

from __future__ import annotations

import base64
import binascii
import re

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.dsse import (
    MAX_ENVELOPE_BYTES,
    Envelope,
    EnvelopeError,
    Signature,
    b64decode_any,
    json_values_bound,
    pae,
    parse_envelope,
    sign,
    verify,
)
from ledger.keys import SigningKey

TYPE = "application/vnd.elevator-ledger.statement+json"
ALICE = SigningKey.from_raw(bytes(range(32)))
BOB = SigningKey.from_raw(bytes(range(1, 33)))


def test_pae_matches_the_dsse_specification_example() -> None:
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_a_signed_envelope_round_trips_through_json() -> None:
    env = sign(TYPE, b'{"a":1}', [ALICE])
    parsed = parse_envelope(env.to_bytes(), accepted_types=[TYPE])
    assert parsed == env
    assert verify(parsed, [ALICE.verifying_key]) == [ALICE.verifying_key]


def test_co_signatures_are_all_reported() -> None:
    env = sign(TYPE, b"{}", [ALICE, BOB])
    signers = verify(env, [BOB.verifying_key, ALICE.verifying_key])
    assert {k.key_id for k in signers} == {ALICE.key_id, BOB.key_id}


def test_url_safe_and_unpadded_base64_are_accepted() -> None:
    env = sign(TYPE, b"\xfb\xff payload?", [ALICE])
    doc = env.to_json()
    doc["payload"] = base64.urlsafe_b64encode(env.payload).decode().rstrip("=")
    doc["signatures"][0]["sig"] = base64.urlsafe_b64encode(env.signatures[0].sig).decode()
    assert parse_envelope(doc) == env


_B64_ANY = re.compile(rb"^[A-Za-z0-9+/\-_]*={0,2}$")


def _b64decode_reference(text: str) -> bytes | None:
    """The tolerant decoding spelled out: standard or URL-safe alphabet, padding optional."""
    raw = text.encode("ascii", "strict") if text.isascii() else b"\xff"
    if not _B64_ANY.match(raw):
        return None
    raw = raw.replace(b"-", b"+").replace(b"_", b"/").rstrip(b"=")
    raw += b"=" * (-len(raw) % 4)
    try:
        return base64.b64decode(raw, validate=True)
    except binascii.Error:
        return None


def _b64decode_or_none(text: str) -> bytes | None:
    try:
        return b64decode_any(text)
    except EnvelopeError:
        return None


base64_like = st.text(alphabet="AQZaz09+/-_=\n é\x00", max_size=12) | st.binary(max_size=40).map(
    lambda b: base64.b64encode(b).decode()
)


@settings(max_examples=1000)
@given(base64_like)
def test_base64_decoding_agrees_with_the_tolerant_reference(text: str) -> None:
    assert _b64decode_or_none(text) == _b64decode_reference(text)


@pytest.mark.parametrize(
    "text", ["", "QQ==", "QQ", "QR==", "QQ==\n", "Q===", "=QQ=", "Q", "QQ=="[:3]]
)
def test_base64_edge_cases_agree_with_the_tolerant_reference(text: str) -> None:
    assert _b64decode_or_none(text) == _b64decode_reference(text)


def test_a_wrong_keyid_hint_does_not_stop_verification() -> None:
    env = sign(TYPE, b"{}", [ALICE])
    hinted = Envelope(
        env.payload_type, env.payload, (Signature("nonsense", env.signatures[0].sig),)
    )
    assert verify(hinted, [ALICE.verifying_key]) == [ALICE.verifying_key]


@pytest.mark.parametrize(
    "doc, message",
    [
        (b"[1]", "JSON object"),
        (b"{", "not valid JSON"),
        (b'{"payloadType":"x","payload":"e30=","signatures":[]}', "non-empty list"),
        (b'{"payloadType":"x","payload":"***","signatures":[{"sig":"AA=="}]}', "base64"),
        (b'{"payloadType":"x","payload":"e30=","signatures":[{"sig":"AA=="}],"x":1}', "unknown"),
        (b'{"payloadType":"x","payload":1,"signatures":[{"sig":"AA=="}]}', "payload"),
        (b'{"payloadType":"x","payload":"e30=","signatures":[{"keyid":1,"sig":"AA=="}]}', "keyid"),
        (b"{" + b" " * MAX_ENVELOPE_BYTES + b"}", "exceeds"),
    ],
)
def test_malformed_envelopes_are_rejected_with_a_reason(doc: bytes, message: str) -> None:
    with pytest.raises(EnvelopeError, match=message):
        parse_envelope(doc)


def test_unknown_payload_types_are_rejected_before_verification() -> None:
    env = sign("application/other", b"{}", [ALICE])
    with pytest.raises(EnvelopeError, match="unsupported payloadType"):
        parse_envelope(env.to_bytes(), accepted_types=[TYPE])


def test_an_untrusted_signer_is_rejected() -> None:
    with pytest.raises(EnvelopeError, match="no valid signature"):
        verify(sign(TYPE, b"{}", [BOB]), [ALICE.verifying_key])


def _flip(data: bytes, index: int, bit: int) -> bytes:
    b = bytearray(data)
    b[index % len(b)] ^= 1 << bit
    return bytes(b)


@settings(max_examples=100)
@given(
    st.binary(min_size=1, max_size=200),
    st.integers(0, 10_000),
    st.integers(0, 7),
    st.sampled_from(["payload", "type", "signature"]),
)
def test_any_changed_byte_is_rejected(payload: bytes, index: int, bit: int, part: str) -> None:
    env = sign(TYPE, payload, [ALICE])
    sig = env.signatures[0]
    if part == "payload":
        env = Envelope(env.payload_type, _flip(env.payload, index, bit), env.signatures)
    elif part == "type":
        ptype = _flip(env.payload_type.encode(), index, bit).decode("latin-1")
        env = Envelope(ptype, env.payload, env.signatures)
    else:
        env = Envelope(
            env.payload_type, env.payload, (Signature(sig.keyid, _flip(sig.sig, index, bit)),)
        )
    with pytest.raises(EnvelopeError):
        verify(env, [ALICE.verifying_key])


def _values(doc: object) -> int:
    if isinstance(doc, list):
        return 1 + sum(_values(v) for v in doc)
    if isinstance(doc, dict):
        return 1 + sum(_values(v) for v in doc.values())
    return 1


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=40,
)


@given(_JSON)
def test_the_value_bound_is_never_below_the_values_a_document_holds(doc: object) -> None:
    """A batch is refused on this bound before it is parsed, so it must never undercount."""
    assert json_values_bound(orjson.dumps(doc)) >= _values(doc)


def test_the_value_bound_of_tiny_values_counts_each() -> None:
    assert json_values_bound(b"[" + b"{}," * 999 + b"{}]") == 1 + 999 + 1 + 1000
