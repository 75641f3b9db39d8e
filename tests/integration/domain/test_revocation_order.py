"""A revocation counts by log order: once the ledger holds a key's revocation, no later entry
may carry that key's signature, whatever ``recorded_at`` it claims — so neither an import nor a
server dating an entry back can slip a stolen key's statement in before the revocation. So does a
registration: a key signs nothing the log holds before its ``key.registered`` entry. Both hold
for the issuer's key and for a co-signer's, in ``verify`` and in the replay of one elevator."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from api.elevator_replay import chain_entries, replay_elevator
from domain.application.aggregates import KeyRecord
from domain.application.audit import verify_log
from domain.application.log_chains import LogChains
from domain.application.log_order import LedgerOrder
from domain.application.service import Receipt
from domain.model.errors import BadSignature, NotAuthorized
from domain.model.onboarding import key_registration
from domain.model.roles import Role
from domain.model.trust import KeyInfo
from domain.replay import BEFORE_THE_LOG, Axis, replay
from ledger.entry import Entry
from ledger.keys import SigningKey
from ledger.note import open_checkpoint
from tests.support.city import NOW, City, Org, append_forged, statement

CODE = "311023010201500098"


def _revoke_first_key(city: City, maker: Org) -> tuple[Receipt, datetime]:
    """The maker registers a fresh key and with it revokes its first one, ``maker.key``
    (stolen): the revocation's receipt and the time the ledger recorded it."""
    fresh = Org(maker.uscc, SigningKey.generate(), maker.roles)
    city.say(maker, key_registration(maker.uscc, maker.uscc, fresh.key.verifying_key, NOW))
    revocation = city.say(
        fresh,
        {
            "type": "key.revoked",
            "organization": maker.uscc,
            "issuer": maker.uscc,
            "occurred_at": NOW.isoformat(),
            "data": {"key_id": maker.key.key_id, "reason": "stolen"},
        },
    )
    return revocation, Entry.from_bytes(city.node.log.entry(revocation.log_index)).recorded_at


def _import_is_refused(
    city: City, envelope: dict[str, Any], recorded_at: datetime, rule: str = "key-revoked"
) -> None:
    """An import of the envelope dated ``recorded_at`` is refused for ``rule``: the log holds
    the revocation."""
    [result] = city.node.service.submit_batch([envelope], recorded_at=[recorded_at])
    if rule == "bad-signature":  # a signature by a key the log has not registered (yet)
        assert isinstance(result, BadSignature), result
        return
    assert isinstance(result, NotAuthorized) and result.extra["rule"] == rule, result


def _verify_refuses(city: City, index: int, rule: str = "key-revoked") -> None:
    """A full ``verify`` of the log names the entry at ``index``, for ``rule``."""
    log = city.node.log
    checkpoint = open_checkpoint(log.latest_checkpoint().note, log.signer.verifier)
    report = verify_log(enumerate(log.entries(0, checkpoint.size)), checkpoint, city.node.anchor)
    assert report.problem is not None and report.problem.index == index, report.problem
    assert rule in report.problem.reason, report.problem.reason


def _contract(maintainer: Org, owner: Org, number: str, at: datetime) -> dict[str, Any]:
    """A maintenance contract the maintainer signs and the use unit must co-sign."""
    return statement(
        "maintenance_contract.signed",
        CODE,
        maintainer,
        at,
        contract_number=number,
        maintenance_unit=maintainer.uscc,
        use_unit=owner.uscc,
        valid_from=at.date().isoformat(),
        valid_to=(at + timedelta(days=365)).date().isoformat(),
    )


def test_a_revoked_key_cannot_sign_an_entry_dated_before_its_revocation(
    tmp_path: Path, database_url: str
) -> None:
    city = City.open(tmp_path, database_url)
    try:
        maker = city.org(Role.MANUFACTURER)
        _, revoked_at = _revoke_first_key(city, maker)
        thief = statement("elevator.manufactured", CODE, maker, NOW - timedelta(days=30))
        envelope = city.envelope([maker], thief)
        # an import dated a day before the revocation is still refused: the log holds it
        _import_is_refused(city, envelope, revoked_at - timedelta(days=1))

        # a compromised server writes it into the log anyway, dated before the revocation
        forged = Entry(envelope, f"elevator:{CODE}", 1, None, revoked_at - timedelta(days=1))
        _verify_refuses(city, city.node.log.append([forged.to_bytes()]).first_index)
    finally:
        city.node.close()


def test_the_replay_of_one_elevator_judges_keys_by_log_order_too(
    tmp_path: Path, database_url: str
) -> None:
    city = City.open(tmp_path, database_url)
    try:
        app = city.node.app
        maker = city.org(Role.MANUFACTURER)
        # what the key signed before its revocation stays valid, in the replay too
        city.say(maker, statement("elevator.manufactured", CODE, maker, NOW - timedelta(days=40)))
        revocation, revoked_at = _revoke_first_key(city, maker)
        before = replay_elevator(city.node, CODE, NOW + timedelta(days=1), Axis.RECORDED)
        assert before is not None
        assert before.verified and before.entries_checked == 1, before.problem

        thief = statement("elevator.sold", CODE, maker, NOW - timedelta(days=30))
        envelope = city.envelope([maker], thief)
        back_dated = revoked_at - timedelta(days=1)
        _import_is_refused(city, envelope, back_dated)

        # a compromised server appends it to the elevator's chain anyway, dated a day before
        # the revocation, and its sequencer logs it after the revocation
        index = append_forged(city, CODE, envelope, back_dated)
        assert index > revocation.log_index
        _verify_refuses(city, index)

        # the regulator's replay of the elevator refuses it just as verify does, on both axes
        for axis in Axis:
            result = replay_elevator(city.node, CODE, NOW + timedelta(days=1), axis)
            assert result is not None and not result.verified, axis
            assert result.failed_version == 2 and result.entries_checked == 1
            assert result.problem is not None
            assert result.problem.startswith(
                f"version 2: the issuer's key {maker.key.key_id[:16]}… was revoked earlier in"
                " the log"
            ), result.problem

        # the log decides, not the key index: a key index that lost the revocation (as a
        # server writing the store could make it) does not hide it from the replay
        def unrevoked(key_id: str) -> KeyInfo | None:
            info = app.key_info(key_id)
            return None if info is None else dataclasses.replace(info, revoked_at=None)

        hidden = replay(
            chain_entries(city.node, CODE),
            NOW,
            Axis.RECORDED,
            unrevoked,
            order=LedgerOrder(app, LogChains(app, city.node.engine)),
        )
        assert not hidden.verified and hidden.failed_version == 2
        assert hidden.problem is not None and hidden.problem.startswith(
            f"version 2: the issuer's key {maker.key.key_id[:16]}… was revoked earlier in the log"
            " (a revocation the ledger's key index does not show)"
        ), hidden.problem
    finally:
        city.node.close()


@pytest.mark.parametrize("registered", ["later in the log", "only in the key index"])
def test_the_replay_of_one_elevator_refuses_a_key_registered_after_the_entry(
    tmp_path: Path, database_url: str, registered: str
) -> None:
    city = City.open(tmp_path, database_url)
    try:
        app = city.node.app
        maker = city.org(Role.MANUFACTURER)
        city.say(maker, statement("elevator.manufactured", CODE, maker, NOW - timedelta(days=40)))
        fresh = SigningKey.generate()  # the maker's, not registered yet
        sold = statement("elevator.sold", CODE, maker, NOW - timedelta(days=30))
        envelope = city.envelope([fresh], sold)
        [refused] = city.node.service.submit_batch([envelope])
        assert isinstance(refused, BadSignature)  # nobody registered the key

        # a compromised server appends it to the elevator's chain anyway, dated an hour ahead:
        # after the key's registration in time, before it in the log
        dated = datetime.now(UTC) + timedelta(hours=1)
        index = append_forged(city, CODE, envelope, dated)
        if registered == "later in the log":
            receipt = city.say(
                maker, key_registration(maker.uscc, maker.uscc, fresh.verifying_key, NOW)
            )
            assert receipt.log_index > index
            info = app.key_info(fresh.key_id)
            assert info is not None and info.registered_at is not None
            assert info.registered_at < dated
        else:  # or it writes the key into the ledger's key index, which no entry registers
            public = fresh.verifying_key.public_b64()
            app.save(KeyRecord(fresh.key_id, maker.uscc, "ed25519", public, None, NOW))
            assert app.key_info(fresh.key_id) is not None
        _verify_refuses(city, index, "bad-signature")

        # the regulator's replay of the elevator refuses it just as verify does, on both axes
        for axis in Axis:
            result = replay_elevator(city.node, CODE, NOW + timedelta(days=1), axis)
            assert result is not None and not result.verified, axis
            assert result.failed_version == 2 and result.entries_checked == 1
            assert result.problem is not None
            if registered == "later in the log":
                assert result.problem.startswith(
                    f"version 2: the issuer's key {fresh.key_id[:16]}… was registered later in"
                    " the log"
                ), result.problem
            else:
                assert result.problem.startswith(
                    f"version 2: the ledger's key index has key {fresh.key_id[:16]}…"
                    f" registered to {maker.uscc}, but no entry of {maker.uscc} registers it"
                ), result.problem
    finally:
        city.node.close()


@pytest.mark.parametrize("cosigner", ["revoked earlier", "registered later", "missing"])
def test_the_replay_of_one_elevator_judges_the_cosigners_key_by_log_order_too(
    tmp_path: Path, database_url: str, cosigner: str
) -> None:
    city = City.open(tmp_path, database_url)
    try:
        maker = city.org(Role.MANUFACTURER)
        owner = city.org(Role.USE_UNIT)
        maintainer = city.org(Role.MAINTENANCE_UNIT)
        city.say(maker, statement("elevator.manufactured", CODE, maker, NOW - timedelta(days=40)))
        # co-signed by the use unit's first key before its revocation: stays valid
        city.say(maintainer, _contract(maintainer, owner, "WB-A", NOW - timedelta(days=35)), owner)
        revocation, revoked_at = _revoke_first_key(city, owner)
        before = replay_elevator(city.node, CODE, NOW + timedelta(days=1), Axis.RECORDED)
        assert before is not None
        assert before.verified and before.entries_checked == 2, before.problem

        late = SigningKey.generate()  # the use unit's, registered after the entry below
        cosigners = {"revoked earlier": [owner.key], "registered later": [late], "missing": []}
        contract = _contract(maintainer, owner, "WB-B", NOW - timedelta(days=30))
        envelope = city.envelope([maintainer, *cosigners[cosigner]], contract)
        back_dated = revoked_at - timedelta(days=1)
        # a key not registered when it signs makes a signature that verifies under no
        # registered key: the envelope is refused for it (it was ignored before issue #10)
        refusal = "bad-signature" if cosigner == "registered later" else "cosignature-required"
        _import_is_refused(city, envelope, back_dated, refusal)

        # a compromised server appends it to the elevator's chain anyway: dated a day before
        # the revocation, or an hour ahead (after the co-signer's key's registration)
        dated = (
            back_dated if cosigner == "revoked earlier" else datetime.now(UTC) + timedelta(hours=1)
        )
        index = append_forged(city, CODE, envelope, dated)
        assert index > revocation.log_index
        if cosigner == "registered later":
            receipt = city.say(
                city.authority,
                key_registration(owner.uscc, city.authority.uscc, late.verifying_key, NOW),
            )
            assert receipt.log_index > index
        _verify_refuses(city, index, refusal)

        expected = {
            "revoked earlier": f"version 3: the co-signer's key {owner.key.key_id[:16]}… was"
            " revoked earlier in the log",
            "registered later": f"version 3: the co-signer's key {late.key_id[:16]}… was"
            " registered later in the log",
            "missing": f"version 3: no signature by a key of the co-signer {owner.uscc}",
        }[cosigner]
        for axis in Axis:
            result = replay_elevator(city.node, CODE, NOW + timedelta(days=1), axis)
            assert result is not None and not result.verified, axis
            assert result.failed_version == 3 and result.entries_checked == 2
            assert result.problem is not None and result.problem.startswith(expected), (
                result.problem
            )
    finally:
        city.node.close()


def test_the_root_authority_key_counts_as_registered_from_the_start(
    tmp_path: Path, database_url: str
) -> None:
    """The trust anchor vouches for the authority's key before any entry registers it (as on
    the write path and in ``verify``); another key under its id does not pass for it."""
    city = City.open(tmp_path, database_url)
    try:
        app, anchor = city.node.app, city.node.anchor
        order = LedgerOrder(app, LogChains(app, city.node.engine))
        indexed = app.key_info(anchor.key.key_id)  # from the genesis key.registered
        assert indexed is not None and indexed.registered_at is not None
        assert order.of_registration(indexed) == BEFORE_THE_LOG
        assert order.of_registration(anchor.key_info) == BEFORE_THE_LOG
        impostor = SigningKey.generate().verifying_key
        other = dataclasses.replace(anchor.key_info, key=impostor)
        assert order.of_registration(other) is None
    finally:
        city.node.close()
