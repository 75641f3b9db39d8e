"""What a bundle's entries say (domain/replay/bundle.py), on chains built here: keys come from the
bundle's key statements and count by the bundle's log indices — a key revoked before an entry,
registered after it, or registered nowhere in the bundle signs nothing, and each is named."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.model.catalogue.examples import example_statement
from domain.model.identifiers import make_uscc
from domain.model.onboarding import key_registration
from domain.model.signing import sign_statement
from domain.model.trust import TrustAnchor
from domain.replay.bundle import BundleOrder, BundleRejected, check_bundle
from ledger.entry import Entry, entry_hash
from ledger.keys import SigningKey

AUTHORITY = make_uscc("11430900000000001")
MAKER = make_uscc("91430900700000002")
CODE = "311023010201500098"
T0 = datetime(2024, 1, 1, tzinfo=UTC)
ROOT, MAKER_KEY = SigningKey.generate(), SigningKey.generate()
ANCHOR = TrustAnchor(AUTHORITY, ROOT.verifying_key)


def chain(subject: str, *items: tuple[int, dict[str, Any], SigningKey]) -> list[tuple[int, bytes]]:
    """``(log index, statement, signing key)`` as the chain's entries, linked."""
    out: list[tuple[int, bytes]] = []
    prev = None
    for version, (index, stmt, key) in enumerate(items, 1):
        envelope = sign_statement(stmt, [key]).envelope.to_json()
        data = Entry(envelope, subject, version, prev, T0 + timedelta(minutes=index)).to_bytes()
        prev = entry_hash(data)
        out.append((index, data))
    return out


def registration(org: str, key: SigningKey, at: int = 0) -> dict[str, Any]:
    return key_registration(org, AUTHORITY, key.verifying_key, T0 + timedelta(minutes=at))


def manufactured() -> dict[str, Any]:
    stmt = example_statement("elevator.manufactured")
    stmt.update(elevator=CODE, issuer=MAKER, occurred_at=T0.isoformat())
    stmt.pop("nonce")
    return stmt


def revoked() -> dict[str, Any]:
    stmt = example_statement("key.revoked")
    stmt.update(organization=MAKER, issuer=MAKER, occurred_at=T0.isoformat())
    stmt["data"]["key_id"] = MAKER_KEY.verifying_key.key_id
    stmt.pop("nonce")
    return stmt


def town(
    maker: Sequence[tuple[int, dict[str, Any], SigningKey]], elevator_at: int
) -> dict[str, list[tuple[int, bytes]]]:
    return {
        f"organization:{AUTHORITY}": chain(
            f"organization:{AUTHORITY}", (0, registration(AUTHORITY, ROOT), ROOT)
        ),
        f"organization:{MAKER}": chain(f"organization:{MAKER}", *maker),
        f"elevator:{CODE}": chain(f"elevator:{CODE}", (elevator_at, manufactured(), MAKER_KEY)),
    }


def rejected(chains: dict[str, list[tuple[int, bytes]]]) -> str:
    with pytest.raises(BundleRejected) as caught:
        check_bundle(chains, CODE, ANCHOR, T0 + timedelta(days=1))
    return str(caught.value)


def test_keys_registered_before_the_entries_they_sign_verify() -> None:
    chains = town([(1, registration(MAKER, MAKER_KEY), ROOT)], elevator_at=2)
    verdict = check_bundle(chains, CODE, ANCHOR, T0 + timedelta(days=1))
    assert verdict.replay.verified and verdict.replay.entries_checked == 1
    assert verdict.organization_entries == 2


def test_the_order_places_entries_and_keys_by_the_bundles_log_indices() -> None:
    chains = town([(1, registration(MAKER, MAKER_KEY), ROOT), (3, revoked(), MAKER_KEY)], 2)
    order = BundleOrder(chains, ANCHOR)
    maker_key = order.key(MAKER_KEY.verifying_key.key_id)
    assert maker_key is not None and maker_key.owner == MAKER
    assert order.of_registration(maker_key) == 1 and order.of_revocation(maker_key) == 3
    assert order.of_registration(ANCHOR.key_info) == -1
    assert (
        order.of_entry(f"elevator:{CODE}", 1) == 2 and order.of_entry(f"elevator:{CODE}", 2) is None
    )


def test_an_entry_signed_after_its_key_was_revoked_is_named() -> None:
    chains = town([(1, registration(MAKER, MAKER_KEY), ROOT), (2, revoked(), MAKER_KEY)], 3)
    message = rejected(chains)
    assert message.startswith(f"entry 3 (elevator:{CODE} version 1: ")
    assert "revoked earlier in the log" in message


def test_an_entry_signed_before_its_key_was_registered_is_named() -> None:
    chains = town([(5, registration(MAKER, MAKER_KEY, at=5), ROOT)], elevator_at=2)
    message = rejected(chains)
    assert message.startswith(f"entry 2 (elevator:{CODE} version 1: ")
    assert "registered later in the log" in message


def test_a_key_registration_signed_by_a_key_the_bundle_does_not_register_is_named() -> None:
    stranger = SigningKey.generate()
    chains = town([(1, registration(MAKER, MAKER_KEY), stranger)], elevator_at=2)
    message = rejected(chains)
    assert message.startswith(f"entry 1 (organization:{MAKER} version 1): signature 1 names key")
    assert "which no entry of the bundle registers" in message


def test_a_bundle_without_the_root_authoritys_chain_is_refused() -> None:
    chains = town([(1, registration(MAKER, MAKER_KEY), ROOT)], elevator_at=2)
    del chains[f"organization:{AUTHORITY}"]
    assert "no chain of the root authority" in rejected(chains)


def test_under_another_root_authority_key_nothing_verifies() -> None:
    chains = town([(1, registration(MAKER, MAKER_KEY), ROOT)], elevator_at=2)
    other = TrustAnchor(AUTHORITY, SigningKey.generate().verifying_key)
    with pytest.raises(
        BundleRejected, match=r"entry 0 \(organization:.* is registered later in the log"
    ):
        check_bundle(chains, CODE, other, T0 + timedelta(days=1))
