"""A signer is a key whose signature verified: an envelope carrying any signature that does not
verify under the registered key its keyid names (junk bytes, an unknown key, a signature over
other bytes, a key named twice) is refused — the problem names the signature by index and keyid
and says why — and nothing is stored. Whatever the write path accepts, ``verify`` and the
regulator's replay accept too, and the public entries list exactly the keys that verified."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from api.elevator_replay import replay_elevator
from domain.application.audit import verify_log
from domain.application.service import Receipt
from domain.model.errors import BadSignature, Rejected
from domain.model.roles import Role
from ledger.dsse import pae
from ledger.keys import SigningKey
from ledger.note import open_checkpoint
from projections.schema import entries as entries_model
from tests.support.city import NOW, City, Org, append_forged, statement

_codes = itertools.count(1)


def new_code() -> str:
    return f"3110230102015{next(_codes):05d}"


@dataclass
class Signers:
    city: City
    maker: Org
    owner: Org  # a registered key of another organization: a valid, unneeded co-signature

    def signed(self, code: str) -> dict[str, Any]:
        stmt = statement(
            "elevator.manufactured", code, self.maker, NOW, manufactured_on="2020-01-01"
        )
        return self.city.envelope([self.maker], stmt)

    def stored(self) -> tuple[int, int]:
        """The log's size and the number of events in the event store."""
        node = self.city.node
        return node.log.size(), node.app.recorder.max_notification_id() or 0


@pytest.fixture
def signers(tmp_path: Path, database_url: str) -> Iterator[Signers]:
    city = City.open(tmp_path, database_url)
    yield Signers(city, city.org(Role.MANUFACTURER), city.org(Role.USE_UNIT))
    city.node.close()


def _with(envelope: dict[str, Any], *signatures: dict[str, str]) -> dict[str, Any]:
    return {**envelope, "signatures": [*envelope["signatures"], *signatures]}


def _signature(key: SigningKey, message: bytes, keyid: str | None = None) -> dict[str, str]:
    return {"keyid": keyid or key.key_id, "sig": base64.b64encode(key.sign(message)).decode()}


def _message(envelope: dict[str, Any]) -> bytes:
    return pae(envelope["payloadType"], base64.b64decode(envelope["payload"]))


def _refused(signers: Signers, envelope: dict[str, Any], index: int, reason: str) -> None:
    before = signers.stored()
    with pytest.raises(BadSignature) as info:
        signers.city.node.service.submit(envelope)
    assert signers.stored() == before  # no event, no entry, no checkpoint
    problem = info.value
    assert problem.extra["signature"] == index
    assert problem.extra["keyid"] == envelope["signatures"][index]["keyid"]
    assert reason in problem.extra["reason"] and reason in problem.detail


def test_junk_beside_a_valid_signature_is_refused(signers: Signers) -> None:
    envelope = signers.signed(new_code())
    junk = {"keyid": signers.owner.key.key_id, "sig": base64.b64encode(bytes(64)).decode()}
    _refused(signers, _with(envelope, junk), 1, "does not verify")


def test_a_signature_by_an_unknown_key_beside_a_valid_one_is_refused(signers: Signers) -> None:
    envelope = signers.signed(new_code())
    stranger = _signature(SigningKey.generate(), _message(envelope))
    _refused(signers, _with(envelope, stranger), 1, "no registered key")


def test_a_valid_signature_over_other_bytes_is_refused(signers: Signers) -> None:
    envelope = signers.signed(new_code())
    other = _message(signers.signed(new_code()))
    _refused(signers, _with(envelope, _signature(signers.owner.key, other)), 1, "does not verify")


def test_a_key_named_twice_is_refused(signers: Signers) -> None:
    envelope = signers.signed(new_code())
    _refused(signers, _with(envelope, envelope["signatures"][0]), 1, "already signed")


def test_a_junk_signature_first_is_named_first(signers: Signers) -> None:
    envelope = signers.signed(new_code())
    junk = {"keyid": "00" * 32, "sig": base64.b64encode(bytes(64)).decode()}
    swapped = {**envelope, "signatures": [junk, *envelope["signatures"]]}
    _refused(signers, swapped, 0, "no registered key")


# --- the property: the write path, verify, the replay and the public entries agree ----------

#: What may be added to an envelope its issuer signed: (kind, whether every signature verifies)
ADDITIONS = st.sampled_from(["cosigned", "junk", "unknown-key", "other-bytes", "duplicate"])
Plan = tuple[list[str], bool]  # additions, then whether to reverse the signatures' order
PLANS = st.tuples(st.lists(ADDITIONS, max_size=3), st.booleans())


def _build(signers: Signers, plan: Plan) -> tuple[dict[str, Any], bool]:
    """An envelope for a new elevator per the plan, and whether every signature verifies
    under a registered key named once."""
    additions, reverse = plan
    envelope = signers.signed(new_code())
    message = _message(envelope)
    sigs = list(envelope["signatures"])
    valid = True
    for kind in additions:
        if kind == "cosigned":
            if any(s["keyid"] == signers.owner.key.key_id for s in sigs):
                valid = False  # a second signature naming the same key
            sigs.append(_signature(signers.owner.key, message))
        elif kind == "junk":
            sigs.append({"keyid": signers.owner.key.key_id, "sig": "AAAA"})
            valid = False
        elif kind == "unknown-key":
            sigs.append(_signature(SigningKey.generate(), message))
            valid = False
        elif kind == "other-bytes":
            sigs.append(_signature(signers.owner.key, b"other bytes"))
            valid = False
        else:
            sigs.append(sigs[0])
            valid = False
    if reverse:
        sigs.reverse()
    return {**envelope, "signatures": sigs}, valid


def _check_agreement(signers: Signers, accepted: list[tuple[dict[str, Any], Receipt]]) -> None:
    """``verify`` passes over the whole log; each accepted elevator replays verified; the
    public entries list as signers exactly the keys whose signatures verified."""
    node = signers.city.node
    checkpoint = open_checkpoint(node.log.latest_checkpoint().note, node.log.signer.verifier)
    report = verify_log(
        enumerate(node.log.entries(0, checkpoint.size)), checkpoint, node.anchor, workers=1
    )
    assert report.problem is None, report.problem
    node.projections.catch_up()
    for envelope, receipt in accepted:
        code = receipt.subject.removeprefix("elevator:")
        replayed = replay_elevator(node, code, datetime.now(UTC) + timedelta(minutes=1), "recorded")
        assert replayed is not None and replayed.verified, replayed and replayed.problem
        keyids = list(dict.fromkeys(s["keyid"] for s in envelope["signatures"]))
        assert list(replayed.steps[0].signer_key_ids) == keyids
        with node.engine.connect() as conn:
            shown = conn.execute(
                select(entries_model.c.signers).where(
                    entries_model.c.log_index == receipt.log_index
                )
            ).scalar_one()
        assert shown == keyids


PROPERTY = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@PROPERTY
@given(plan=PLANS)
def test_what_a_single_post_accepts_verify_and_the_replay_accept(
    signers: Signers, plan: Plan
) -> None:
    envelope, valid = _build(signers, plan)
    before = signers.stored()
    try:
        receipt = signers.city.node.service.submit(envelope)
    except Rejected as exc:
        assert not valid, exc
        assert isinstance(exc, BadSignature)
        assert signers.stored() == before
        return
    assert valid
    _check_agreement(signers, [(envelope, receipt)])


@PROPERTY
@given(plans=st.lists(PLANS, min_size=1, max_size=40))
def test_what_a_batch_accepts_verify_and_the_replay_accept(
    signers: Signers, plans: list[Plan]
) -> None:
    """Batches of 32 and more have their signatures checked ahead on the verify pool."""
    built = [_build(signers, plan) for plan in plans]
    before = signers.stored()
    results = signers.city.node.service.submit_batch([envelope for envelope, _ in built])
    accepted = []
    for (envelope, valid), result in zip(built, results, strict=True):
        assert isinstance(result, BadSignature) != valid, result
        if not isinstance(result, Rejected):
            accepted.append((envelope, result))
    log_size, events = signers.stored()
    assert (log_size - before[0], events - before[1]) == (len(accepted), len(accepted))
    if accepted:
        _check_agreement(signers, accepted)


# --- a stored entry carrying a signature that does not verify (a compromised server) --------


@pytest.mark.parametrize("forgery", ["junk", "duplicate"])
def test_verify_and_the_replay_name_a_stored_entry_with_a_signature_that_does_not_verify(
    signers: Signers, forgery: str
) -> None:
    code = new_code()
    signers.city.submit(signers.signed(code))
    sold = signers.city.envelope(
        [signers.maker], statement("elevator.sold", code, signers.maker, NOW)
    )
    extra = (
        {"keyid": signers.owner.key.key_id, "sig": base64.b64encode(bytes(64)).decode()}
        if forgery == "junk"
        else sold["signatures"][0]
    )
    index = append_forged(signers.city, code, _with(sold, extra), datetime.now(UTC))
    node = signers.city.node
    checkpoint = open_checkpoint(node.log.latest_checkpoint().note, node.log.signer.verifier)
    report = verify_log(
        enumerate(node.log.entries(0, checkpoint.size)), checkpoint, node.anchor, workers=1
    )
    assert report.problem is not None and report.problem.index == index
    assert "bad-signature" in report.problem.reason and "signatures[1]" in report.problem.reason
    replayed = replay_elevator(node, code, datetime.now(UTC), "recorded")
    assert replayed is not None and not replayed.verified and replayed.failed_version == 2
    assert replayed.problem is not None and "signature 2" in replayed.problem  # 1-based there
