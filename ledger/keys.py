"""Signing keys behind an algorithm interface.

Callers hold a :class:`SigningKey` or :class:`VerifyingKey` and never name the
algorithm; Ed25519 is the only one registered today, SM2/SM3 can be added by
registering another :class:`Algorithm` without touching callers.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)


class KeyFormatError(ValueError):
    """A key could not be loaded or is malformed."""


class Algorithm(Protocol):
    """What the ledger needs from a signature algorithm."""

    name: str
    note_type: int  # C2SP signed-note signature type byte

    def generate(self) -> bytes: ...
    def public_from_private(self, private: bytes) -> bytes: ...
    def sign(self, private: bytes, message: bytes) -> bytes: ...
    def verify(self, public: bytes, message: bytes, signature: bytes) -> bool: ...


class Ed25519:
    name: str = "ed25519"
    note_type: int = 0x01

    def generate(self) -> bytes:
        return os.urandom(32)

    def public_from_private(self, private: bytes) -> bytes:
        return (
            _private_key(private)
            .public_key()
            .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )

    def sign(self, private: bytes, message: bytes) -> bytes:
        return _private_key(private).sign(message)

    def verify(self, public: bytes, message: bytes, signature: bytes) -> bool:
        if len(public) != 32 or len(signature) != 64:
            return False
        try:
            _public_key(public).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


@functools.lru_cache(maxsize=64)
def _private_key(private: bytes) -> Ed25519PrivateKey:
    """Loading a key costs as much as a signature; signers sign many times."""
    return Ed25519PrivateKey.from_private_bytes(private)


@functools.lru_cache(maxsize=4096)
def _public_key(public: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(public)


ALGORITHMS: dict[str, Algorithm] = {"ed25519": Ed25519()}


def algorithm(name: str) -> Algorithm:
    try:
        return ALGORITHMS[name]
    except KeyError:
        raise KeyFormatError(f"unknown signature algorithm {name!r}") from None


def key_id(algorithm_name: str, public: bytes) -> str:
    """Stable key id: hex SHA-256 over algorithm name, a NUL and the raw public key."""
    return hashlib.sha256(algorithm_name.encode() + b"\x00" + public).hexdigest()


@dataclass(frozen=True)
class VerifyingKey:
    algorithm: str
    public: bytes

    @functools.cached_property
    def key_id(self) -> str:
        return key_id(self.algorithm, self.public)

    def verify(self, message: bytes, signature: bytes) -> bool:
        return algorithm(self.algorithm).verify(self.public, message, signature)

    def public_b64(self) -> str:
        return base64.b64encode(self.public).decode()

    @classmethod
    def from_b64(cls, text: str, algorithm_name: str = "ed25519") -> VerifyingKey:
        try:
            raw = base64.b64decode(text, validate=True)
        except ValueError as exc:
            raise KeyFormatError("public key is not valid base64") from exc
        if algorithm_name == "ed25519" and len(raw) != 32:
            raise KeyFormatError("an Ed25519 public key is 32 bytes")
        algorithm(algorithm_name)
        return cls(algorithm_name, raw)

    def to_pem(self) -> bytes:
        return Ed25519PublicKey.from_public_bytes(self.public).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @classmethod
    def from_pem(cls, pem: bytes) -> VerifyingKey:
        try:
            key = serialization.load_pem_public_key(pem)
        except ValueError as exc:
            raise KeyFormatError(f"not a PEM public key: {exc}") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise KeyFormatError("only Ed25519 public keys are supported")
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return cls("ed25519", raw)


@dataclass(frozen=True, repr=False)
class SigningKey:
    algorithm: str
    private: bytes

    def __repr__(self) -> str:  # never print private material
        return f"SigningKey({self.algorithm}, key_id={self.key_id[:16]}…)"

    @classmethod
    def generate(cls, algorithm_name: str = "ed25519") -> SigningKey:
        return cls(algorithm_name, algorithm(algorithm_name).generate())

    @functools.cached_property
    def verifying_key(self) -> VerifyingKey:
        """Derived once per key object (it costs about as much as a signature)."""
        return VerifyingKey(
            self.algorithm, algorithm(self.algorithm).public_from_private(self.private)
        )

    @property
    def key_id(self) -> str:
        return self.verifying_key.key_id

    def sign(self, message: bytes) -> bytes:
        return algorithm(self.algorithm).sign(self.private, message)

    def to_pem(self) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.private).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @classmethod
    def from_pem(cls, pem: bytes) -> SigningKey:
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as exc:
            raise KeyFormatError(f"not an unencrypted PEM private key: {exc}") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyFormatError("only Ed25519 private keys are supported")
        raw = key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return cls("ed25519", raw)

    @classmethod
    def from_raw(cls, raw: bytes, algorithm_name: str = "ed25519") -> SigningKey:
        if algorithm_name == "ed25519" and len(raw) != 32:
            raise KeyFormatError("an Ed25519 private key is 32 bytes")
        return cls(algorithm_name, raw)


def save_signing_key(key: SigningKey, path: Path) -> None:
    """Write a PEM private key readable by its owner only (0600), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key.to_pem())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def load_signing_key(path: Path) -> SigningKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFormatError(f"cannot read key file {path}: {exc.strerror}") from exc
    return SigningKey.from_pem(data)
