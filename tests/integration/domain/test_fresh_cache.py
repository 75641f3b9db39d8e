"""Two servers on one database: what one of them writes, the other's next unit of work sees,
although neither asks the store about each cached aggregate any more
(domain.application.fresh_cache)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from api.bootstrap import open_node
from domain.model.errors import NotAuthorized
from domain.model.onboarding import key_registration
from domain.model.roles import Role
from ledger.keys import SigningKey
from tests.support.city import NOW, City, Org, statement

CODE = "311023010201500098"
T0 = NOW - timedelta(days=400)


def test_a_key_revoked_through_another_server_signs_nothing_here(
    tmp_path: Path, database_url: str
) -> None:
    city = City.open(tmp_path, database_url)
    other = open_node(city.node.settings)  # a second server: its own application and cache
    try:
        maker = city.org(Role.MANUFACTURER)
        made = statement(
            "elevator.manufactured", CODE, maker, T0, manufactured_on=T0.date().isoformat()
        )
        city.say(maker, made)  # this server now has the maker's key, org and chain cached
        new = SigningKey.generate()
        other.service.submit(
            city.envelope([maker], key_registration(maker.uscc, maker.uscc, new.verifying_key, T0))
        )
        revoked = {
            "type": "key.revoked",
            "organization": maker.uscc,
            "issuer": maker.uscc,
            "occurred_at": (T0 + timedelta(days=1)).isoformat(),
            "data": {"key_id": maker.key.key_id, "reason": "leaked"},
        }
        other.service.submit(city.envelope([maker], revoked))
        sold = statement("elevator.sold", CODE, maker, T0 + timedelta(days=2))
        [result] = city.node.service.submit_batch([city.envelope([maker], sold)])
        assert isinstance(result, NotAuthorized) and result.extra["rule"] == "key-revoked"
        # the new key, registered through the other server, signs here; the chain goes on
        # from the other server's head
        other.service.submit(city.envelope([Org(maker.uscc, new, maker.roles)], sold))
        again = statement("elevator.sold", CODE, maker, T0 + timedelta(days=3))
        receipt = city.node.service.submit(
            city.envelope([Org(maker.uscc, new, maker.roles)], again)
        )
        assert receipt.version == 3
    finally:
        other.close()
        city.node.close()
