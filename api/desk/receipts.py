"""Receipts of statements already in the log, for the enterprise desk: the same JSON the write
path answered with (``POST /v1/statements``: domain/application/service.py ``Receipt``), made
again from the stored entry.

The promise is the log key's signed note over the entry's hash, index, subject, version and
recorded time, all read from the stored bytes (Ed25519 is deterministic: the note is the one the
write path signed). The inclusion proof leads to the latest signed checkpoint, which the proof
carries, so the receipt verifies offline with nothing but the log's verifier key
(``ledger.receipt.verify_inclusion``, ``Promise.open``). An entry whose stored bytes no longer
hash to its leaf gets no receipt: the log key signs nothing about damaged data."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import orjson

from api.node import LedgerNode
from ledger.log import SignedCheckpoint
from ledger.receipt import Promise, format_tlog_proof
from ledger.stored_entries import stored_at


class NoReceipt(Exception):
    """The entry is not under the latest checkpoint yet, or its stored bytes are damaged."""


@dataclass(frozen=True)
class Proofs:
    """Inclusion proofs of some entries to one checkpoint, for a page: base64 hashes per log
    index (entries not under the checkpoint yet have none)."""

    checkpoint: SignedCheckpoint
    paths: dict[int, list[str]]


def proofs(node: LedgerNode, indices: list[int]) -> Proofs:
    """The inclusion proofs of ``indices`` to the latest checkpoint (one batch)."""
    checkpoint = node.log.latest_checkpoint()
    under = [i for i in indices if i < checkpoint.size]
    paths = node.log.inclusion_proofs(under, checkpoint.size) if under else []
    return Proofs(
        checkpoint,
        {
            i: [base64.b64encode(h).decode() for h in path]
            for i, path in zip(under, paths, strict=True)
        },
    )


def receipt(node: LedgerNode, entry: dict[str, Any]) -> dict[str, Any]:
    """The receipt of the read-model ``entry`` (projections.desk.statement), as the write path
    returns it; :class:`NoReceipt` if there can be none now."""
    index = int(entry["log_index"])
    checkpoint = node.log.latest_checkpoint()
    if index >= checkpoint.size:
        raise NoReceipt("该记录尚未纳入最新的签名检查点，请稍后再下载回执")
    stored = stored_at(node.engine, index)
    if stored is None or not stored.intact:
        raise NoReceipt(f"日志第 {index} 条的存储内容与其叶哈希不符，不能出具回执")
    doc = orjson.loads(stored.data)
    promise = Promise(
        node.log.origin,
        stored.leaf_hash.hex(),
        index,
        str(doc["subject"]),
        int(doc["version"]),
        str(doc["recorded_at"]),
    )
    path = node.log.inclusion_proof(index, checkpoint.size)
    return {  # the ReceiptModel's fields, in its order (api/statement_routes.py)
        "entry_hash": promise.entry_hash,
        "subject": promise.subject,
        "version": promise.version,
        "log_index": index,
        "recorded_at": promise.recorded_at,
        "type": entry["type"],
        "late": bool(entry["late"]),
        "duplicate": False,
        "promise": promise.sign(node.log.signer),
        "inclusion_proof": format_tlog_proof(index, path, checkpoint.note),
    }
