"""A large batch is verified on all cores first; a signature still counts only for the exact
envelope it was checked against."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from domain.errors import BadSignature, Rejected
from domain.roles import Role
from tests.support.city import NOW, City, statement

CODES = [f"3110230102015{i:05d}" for i in range(40)]


def test_a_signature_moved_to_another_payload_is_refused_inside_a_big_batch(
    tmp_path: Path, sqlite_url: str
) -> None:
    city = City.open(tmp_path, sqlite_url)
    maker = city.org(Role.MANUFACTURER)
    when = NOW - timedelta(days=5)
    envelopes = [
        city.envelope(
            [maker],
            statement(
                "elevator.manufactured", code, maker, when, manufactured_on=when.date().isoformat()
            ),
        )
        for code in CODES
    ]
    forged = dict(envelopes[-1])
    forged["signatures"] = envelopes[0]["signatures"]  # a valid signature, for another payload
    assert city.node.app.verifier is not None
    results = city.node.service.submit_batch([*envelopes[:-1], forged])
    assert all(not isinstance(r, Rejected) for r in results[:-1])
    assert isinstance(results[-1], BadSignature)
    assert city.node.app.elevator(CODES[-1]) is None
    city.node.close()
