"""A revocation counts by log order: once the ledger holds a key's revocation, no later entry
may carry that key's signature, whatever ``recorded_at`` it claims — so neither an import nor a
server dating an entry back can slip a stolen key's statement in before the revocation."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from api.replay_routes import replay_elevator
from domain.audit import verify_log
from domain.errors import NotAuthorized
from domain.onboarding import key_registration
from domain.replay import Axis
from domain.roles import Role
from domain.service import Receipt
from ledger.entry import Entry, entry_hash
from ledger.keys import SigningKey
from ledger.note import open_checkpoint
from tests.support.city import NOW, City, Org, statement

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


def _import_is_refused(city: City, envelope: dict[str, Any], recorded_at: datetime) -> None:
    """An import of the envelope dated ``recorded_at`` is refused: the log holds the
    revocation."""
    [result] = city.node.service.submit_batch([envelope], recorded_at=[recorded_at])
    assert isinstance(result, NotAuthorized) and result.extra["rule"] == "key-revoked"


def _verify_refuses(city: City, index: int) -> None:
    """A full ``verify`` of the log names the entry at ``index``, for the revoked key."""
    log = city.node.log
    checkpoint = open_checkpoint(log.latest_checkpoint().note, log.signer.verifier)
    report = verify_log(enumerate(log.entries(0, checkpoint.size)), checkpoint, city.node.anchor)
    assert report.problem is not None and report.problem.index == index
    assert "key-revoked" in report.problem.reason


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
        before = replay_elevator(app, CODE, NOW + timedelta(days=1), Axis.RECORDED)
        assert before is not None
        assert before.verified and before.entries_checked == 1, before.problem

        thief = statement("elevator.sold", CODE, maker, NOW - timedelta(days=30))
        envelope = city.envelope([maker], thief)
        back_dated = revoked_at - timedelta(days=1)
        _import_is_refused(city, envelope, back_dated)

        # a compromised server appends it to the elevator's chain anyway, dated a day before
        # the revocation, and its sequencer logs it after the revocation
        chain = app.elevator(CODE)
        assert chain is not None
        data = Entry(envelope, f"elevator:{CODE}", 2, chain.head, back_dated).to_bytes()
        payload = base64.b64decode(envelope["payload"])
        chain.append(
            entry=data.decode(),
            entry_hash=entry_hash(data),
            payload=hashlib.sha256(payload).hexdigest(),
        )
        app.save(chain)
        [index] = city.node.service.sequencer.integrate().positions.values()
        assert index > revocation.log_index
        _verify_refuses(city, index)

        # the regulator's replay of the elevator refuses it just as verify does, on both axes
        for axis in Axis:
            result = replay_elevator(app, CODE, NOW + timedelta(days=1), axis)
            assert result is not None and not result.verified, axis
            assert result.failed_version == 2 and result.entries_checked == 1
            assert result.problem is not None
            assert result.problem.startswith(
                f"version 2: the issuer's key {maker.key.key_id[:16]}… was revoked earlier in"
                " the log"
            ), result.problem
    finally:
        city.node.close()
