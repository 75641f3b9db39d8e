"""Keys load and save in PEM and raw form, with stable ids and owner-only files."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ledger.keys import (
    KeyFormatError,
    SigningKey,
    VerifyingKey,
    algorithm,
    key_id,
    load_signing_key,
    save_signing_key,
)


def test_pem_round_trip_keeps_the_key_and_its_id(tmp_path: Path) -> None:
    key = SigningKey.generate()
    path = tmp_path / "keys" / "org.pem"
    save_signing_key(key, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = load_signing_key(path)
    assert loaded.private == key.private and loaded.key_id == key.key_id
    public = VerifyingKey.from_pem(key.verifying_key.to_pem())
    assert public == key.verifying_key


def test_key_ids_are_stable_and_depend_on_the_public_key_only() -> None:
    key = SigningKey.from_raw(bytes(32))
    assert key.key_id == key_id("ed25519", key.verifying_key.public)
    assert key.key_id == SigningKey.from_raw(bytes(32)).key_id
    assert key.key_id != SigningKey.from_raw(bytes([1] * 32)).key_id
    assert len(key.key_id) == 64


def test_raw_base64_public_keys_are_validated() -> None:
    key = SigningKey.generate().verifying_key
    assert VerifyingKey.from_b64(key.public_b64()) == key
    with pytest.raises(KeyFormatError):
        VerifyingKey.from_b64("AAAA")
    with pytest.raises(KeyFormatError):
        VerifyingKey.from_b64("not base64!")


def test_garbage_key_files_give_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.pem"
    path.write_text("hello")
    with pytest.raises(KeyFormatError, match="PEM"):
        load_signing_key(path)
    with pytest.raises(KeyFormatError, match="cannot read"):
        load_signing_key(tmp_path / "missing.pem")


def test_unknown_algorithms_are_refused() -> None:
    with pytest.raises(KeyFormatError, match="unknown signature algorithm"):
        algorithm("sm2")


def test_signing_keys_never_print_their_private_part() -> None:
    key = SigningKey.from_raw(bytes(range(32)))
    assert bytes(range(32)).hex() not in repr(key)
