"""A revocation counts by log order: once the ledger holds a key's revocation, no later entry
may carry that key's signature, whatever ``recorded_at`` it claims — so neither an import nor a
server dating an entry back can slip a stolen key's statement in before the revocation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from domain.audit import verify_log
from domain.errors import NotAuthorized
from domain.onboarding import key_registration
from domain.roles import Role
from ledger.entry import Entry
from ledger.keys import SigningKey
from ledger.note import open_checkpoint
from tests.support.city import NOW, City, Org, statement

CODE = "311023010201500098"


def test_a_revoked_key_cannot_sign_an_entry_dated_before_its_revocation(
    tmp_path: Path, database_url: str
) -> None:
    city = City.open(tmp_path, database_url)
    try:
        maker = city.org(Role.MANUFACTURER)
        stolen, fresh = maker.key, Org(maker.uscc, SigningKey.generate(), maker.roles)
        city.say(maker, key_registration(maker.uscc, maker.uscc, fresh.key.verifying_key, NOW))
        revocation = city.say(
            fresh,
            {
                "type": "key.revoked",
                "organization": maker.uscc,
                "issuer": maker.uscc,
                "occurred_at": NOW.isoformat(),
                "data": {"key_id": stolen.key_id, "reason": "stolen"},
            },
        )
        revoked_at = Entry.from_bytes(city.node.log.entry(revocation.log_index)).recorded_at
        thief = statement("elevator.manufactured", CODE, maker, NOW - timedelta(days=30))
        envelope = city.envelope([stolen], thief)
        # an import dated a day before the revocation is still refused: the log holds it
        [result] = city.node.service.submit_batch(
            [envelope], recorded_at=[revoked_at - timedelta(days=1)]
        )
        assert isinstance(result, NotAuthorized) and result.extra["rule"] == "key-revoked"

        # a compromised server writes it into the log anyway, dated before the revocation
        log = city.node.log
        forged = Entry(envelope, f"elevator:{CODE}", 1, None, revoked_at - timedelta(days=1))
        index = log.append([forged.to_bytes()]).first_index
        checkpoint = open_checkpoint(log.latest_checkpoint().note, log.signer.verifier)
        report = verify_log(
            enumerate(log.entries(0, checkpoint.size)), checkpoint, city.node.anchor
        )
        assert report.problem is not None and report.problem.index == index
        assert "key-revoked" in report.problem.reason or "revoked" in report.problem.reason
    finally:
        city.node.close()
