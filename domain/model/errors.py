"""Why a submission was refused. Each class is one failure class with its own problem type.

Every rejection stores nothing; the HTTP layer maps ``slug`` and ``status`` to
an RFC 9457 problem document, the CLI to a one-line message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Attribution:
    """Who stands behind a refused statement: the organizations whose registered, unrevoked
    keys made signatures over it that verified, and what the statement said it was (as far
    as its payload could be read). Only a refusal reached after every signature verified
    carries one, so that nobody can have a refusal filed under another organization (the
    enterprise desk's log of rejected submissions, api/rejection_log.py)."""

    signers: tuple[tuple[str, str], ...]  # (owner USCC, key id), each key once
    type: str | None
    subject: str | None  # "elevator:<code>" or "organization:<USCC>"
    nonce: str | None

    @property
    def owners(self) -> tuple[str, ...]:
        """Each signing organization once, in signature order."""
        return tuple(dict.fromkeys(owner for owner, _ in self.signers))


class Rejected(Exception):
    slug = "rejected"
    status = 400
    title = "Rejected"
    #: Set by the write path on a refusal reached after the signatures verified (None: the
    #: refusal is nobody's, e.g. a malformed envelope or a signature that does not verify).
    attribution: Attribution | None = None

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class MalformedEnvelope(Rejected):
    slug, status, title = "malformed-envelope", 400, "Malformed envelope"


class NonCanonicalPayload(Rejected):
    slug, status, title = "non-canonical-payload", 400, "Payload is not canonical JSON"


class InvalidStatement(Rejected):
    slug, status, title = "invalid-statement", 422, "Invalid statement"


class BadSignature(Rejected):
    slug, status, title = "bad-signature", 401, "A signature does not verify under a registered key"


class NotAuthorized(Rejected):
    """The signer may not say this: wrong key, role, licence, relationship or terminal."""

    slug, status, title = "not-authorized", 403, "Signer not authorized"

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(detail, rule=rule)
        self.rule = rule


class RuleBroken(Rejected):
    """The statement does not fit the subject's history (lifecycle or relationship rule)."""

    slug, status, title = "rule-violation", 422, "Statement breaks a ledger rule"

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(detail, rule=rule)
        self.rule = rule


class StaleChainHead(Rejected):
    slug, status, title = "stale-prev", 409, "prev is not the chain head"

    def __init__(self, detail: str, head: str | None, version: int) -> None:
        super().__init__(detail, head=head, version=version)
        self.head, self.version = head, version


class Conflict(Rejected):
    """Concurrent writers kept colliding on the same subject; safe to retry."""

    slug, status, title = "write-conflict", 503, "Concurrent write conflict"


class WritesStopped(Rejected):
    """Writes are stopped until an operator has repaired the store and restarted the server;
    reads, and the last good checkpoint, are still served. Each kind says what was found."""

    slug, status, title = "writes-stopped", 503, "Writes stopped"


class LogWritesStopped(WritesStopped):
    """The log holds what this server did not write (``ledger.log.LogTampered``): it signs
    nothing more and accepts no writes until an operator has restored the log and restarted
    it."""

    slug, status, title = (
        "log-tampered",
        503,
        "Writes stopped: the log was changed outside the ledger",
    )


class StoreDisagrees(WritesStopped):
    """The event store (which the write path judges against) and the log disagree: writes are
    refused until an operator has looked (``elevator-ledger check``); reads, all from the log,
    go on."""

    slug, status, title = (
        "event-store-disagrees",
        503,
        "Writes refused: the event store disagrees with the log",
    )
