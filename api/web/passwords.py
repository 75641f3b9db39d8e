"""Staff passwords: argon2id hashes (argon2-cffi), verified in the same time whether or not the
login exists, rehashed when the hasher's parameters change, and random ones for new accounts.

Only the hash is stored. ``PasswordHasher()``'s defaults are RFC 9106's second recommended
profile (argon2id, t=3, m=64 MiB, p=4); a hash made under other parameters still verifies and is
replaced by a hash under the current ones at the next successful sign-in."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

HASHER = PasswordHasher()
MIN_LENGTH = 10
MAX_LENGTH = 200
#: No 0/O, 1/l/I: a password read off a screen or a sheet of paper is typed right.
ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
#: Verified against when the login is unknown, so both paths cost one argon2 verification.
_DUMMY = HASHER.hash(secrets.token_urlsafe(16))


class WeakPassword(ValueError):
    """A password too short or too long (the message says which)."""


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password has at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"a password has at most {MAX_LENGTH} characters")


def hash_password(password: str, hasher: PasswordHasher = HASHER) -> str:
    check_strength(password)
    return hasher.hash(password)


def verify_password(
    stored: str | None, password: str, hasher: PasswordHasher = HASHER
) -> tuple[bool, str | None]:
    """(whether ``password`` matches ``stored``, a new hash to store if the parameters changed).

    ``stored`` None (no such login) is verified against a dummy hash and never matches."""
    try:
        hasher.verify(stored or _DUMMY, password[:MAX_LENGTH])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    if stored is None:
        return False, None
    return True, (hasher.hash(password) if hasher.check_needs_rehash(stored) else None)


def new_password(groups: int = 4) -> str:
    """A random password like ``k7Qm-x3Zt-9pLr-Wd4e`` (4 groups: 22 characters, ~92 bits)."""
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(groups))
