"""Verification spread over processes gives the same verdicts as verifying inline."""

from __future__ import annotations

import os

from ledger.keys import SigningKey
from ledger.parallel import ParallelVerifier, verify_chunk


def _checks(n: int) -> list[tuple[str, bytes, bytes, bytes]]:
    key = SigningKey.generate()
    out = []
    for i in range(n):
        message = os.urandom(64)
        sig = key.sign(message)
        if i % 7 == 3:  # some forged
            sig = bytes([sig[0] ^ 1]) + sig[1:]
        out.append(("ed25519", key.verifying_key.public, message, sig))
    return out


def test_pooled_and_inline_verdicts_agree() -> None:
    checks = _checks(200)
    verifier = ParallelVerifier(workers=2)
    try:
        assert verifier.verify(checks) == verify_chunk(checks)
        assert verifier.verify(checks[:5]) == verify_chunk(checks[:5])  # small: inline
    finally:
        verifier.close()
    assert verify_chunk(checks).count(False) == len([i for i in range(200) if i % 7 == 3])


def test_warming_up_starts_every_worker_before_the_first_batch() -> None:
    verifier = ParallelVerifier(workers=2)
    try:
        verifier.warm_up()
        assert verifier._pool is not None and len(verifier._pool._processes) == 2
        checks = _checks(100)
        assert verifier.verify(checks) == verify_chunk(checks)
    finally:
        verifier.close()
