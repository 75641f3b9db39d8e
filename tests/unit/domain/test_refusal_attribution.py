"""Who a refusal is filed under (``domain/application/statement_judge.py`` ``attribution``):
the owners of the keys whose signatures verified and were not revoked by then, with what the
payload says it is, as far as it reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

from domain.application.statement_judge import ATTRIBUTED_TEXT, attribution
from domain.model.trust import KeyInfo
from ledger.keys import SigningKey

AT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
A, B = "91430900000000001A", "91430900000000002B"


def key(owner: str, revoked_at: datetime | None = None) -> KeyInfo:
    public = SigningKey.generate().verifying_key
    return KeyInfo(public.key_id, owner, public, None, None, revoked_at)


def test_the_signers_and_what_the_statement_says() -> None:
    a, b = key(A), key(B)
    payload = orjson.dumps(
        {"type": "fault.cleared", "elevator": "311023010201500098", "nonce": "n-1", "issuer": A}
    )
    who = attribution([a, b], payload, AT)
    assert who is not None
    assert who.signers == ((A, a.key_id), (B, b.key_id)) and who.owners == (A, B)
    assert (who.type, who.subject, who.nonce) == (
        "fault.cleared",
        "elevator:311023010201500098",
        "n-1",
    )


def test_a_key_revoked_by_then_files_nothing() -> None:
    revoked, later = key(A, AT - timedelta(seconds=1)), key(B, AT + timedelta(days=1))
    assert attribution([revoked], b"{}", AT) is None
    who = attribution([revoked, later], b"{}", AT)
    assert who is not None and who.owners == (B,), "revoked after the refusal: still the owner's"


def test_a_payload_that_does_not_read_still_names_its_signer() -> None:
    for payload in (b"not json", b"[1, 2]", orjson.dumps({"type": 7, "organization": A})):
        who = attribution([key(A)], payload, AT)
        assert who is not None and who.type is None
    who = attribution([key(A)], orjson.dumps({"organization": A, "type": "x" * 500}), AT)
    assert who is not None and who.subject == f"organization:{A}"
    assert who.type is not None and len(who.type) == ATTRIBUTED_TEXT
