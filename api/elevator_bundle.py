"""An elevator's file as a bundle (``ledger/bundle.py``): what goes in it, read from the log.

The elevator's whole chain, and the whole chain of every organization whose key signed an
entry of it — and, again, of every organization whose key signed an entry of those (the
regulator that registered a maintainer's key, ...), down to the root authority's own chain
with its genesis. Whole chains, not only their key statements: the chains' links then show
that no revocation of a key was left out between two entries kept, and the log key's
signature on the manifest vouches for each chain's head. What the console downloads and
``elevator-ledger bundle`` writes; ``elevator-ledger verify FILE`` checks it offline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson

from api.local_time import local_time
from domain.model.subjects import SubjectRef
from domain.model.submission import statement_of
from ledger.bundle import build_bundle
from ledger.dsse import parse_envelope
from projections.read import organization_names

if TYPE_CHECKING:
    from api.node import LedgerNode

#: Bounds the organizations followed (a city has far fewer signers behind one lift).
MAX_CHAINS = 500


class BundleTooLarge(ValueError):
    """More organization chains than :data:`MAX_CHAINS` would be needed."""


@dataclass(frozen=True)
class ElevatorBundle:
    equipment_code: str
    data: bytes  # the ZIP
    size: int  # the checkpoint's tree size
    entries: int

    @property
    def filename(self) -> str:
        return f"elevator-{self.equipment_code}-log{self.size}.zip"


def elevator_bundle(node: LedgerNode, equipment_code: str) -> ElevatorBundle | None:
    """The elevator's bundle, proved to the log's latest checkpoint; None if it has no chain.
    Raises ``ChainFault`` where the log and the event store disagree."""
    chains = node.chains()
    elevator = str(SubjectRef.elevator(equipment_code))
    selected = {elevator: [(e.index, e.data) for e in chains.entries(elevator)]}
    if not selected[elevator]:
        return None
    pending = [node.anchor.uscc, *_signers(node, selected[elevator])]
    while pending:
        uscc = pending.pop()
        subject = str(SubjectRef.organization(uscc))
        if subject in selected:
            continue
        if len(selected) > MAX_CHAINS:
            raise BundleTooLarge(f"more than {MAX_CHAINS} organization chains")
        selected[subject] = [(e.index, e.data) for e in chains.entries(subject)]
        pending.extend(_signers(node, selected[subject]))
    extra = {
        "equipment_code": equipment_code,
        "authority": {"uscc": node.anchor.uscc, "public_key": node.anchor.key.public_b64()},
    }
    created = node.now()
    data = build_bundle(
        node.log,
        node.log.signer,
        elevator,
        selected,
        created,
        extra,
        _readme(node, equipment_code, selected),
    )
    size = node.log.latest_checkpoint().size
    entries = sum(1 for chain in selected.values() for index, _ in chain if index < size)
    return ElevatorBundle(equipment_code, data, size, entries)


def _signers(node: LedgerNode, chain: list[tuple[int, bytes]]) -> set[str]:
    """The organizations whose keys signed the chain's entries (by the key index, asked once
    per key id: a chain is signed by few keys)."""
    key_ids = {
        sig.keyid
        for _, data in chain
        for sig in parse_envelope(orjson.loads(data)["envelope"]).signatures
    }
    infos = (node.app.key_info(key_id) for key_id in key_ids)
    return {info.owner for info in infos if info is not None}


def _readme(node: LedgerNode, code: str, chains: dict[str, list[tuple[int, bytes]]]) -> str:
    """A summary in Chinese for whoever opens the ZIP; the verification does not read it."""
    checkpoint = node.log.latest_checkpoint()
    zone = node.settings.zone
    elevator = chains[str(SubjectRef.elevator(code))]
    statements = [(index, statement_of(data.decode())) for index, data in elevator]
    names = organization_names(node.engine, {s.issuer for _, s in statements})
    lines = [
        f"电梯 {code} 的电子档案（一机一档）",
        "",
        f"生成时间：{local_time(node.now(), zone)}",
        f"账本：{node.log.origin}，"
        f"签名检查点：日志前 {checkpoint.size} 条记录（树大小 {checkpoint.size}）",
        f"账本验证公钥：{node.log.signer.verifier.text()}",
        f"本档案含 {len(chains)} 条哈希链（本电梯及为其签名的单位），"
        f"共 {sum(len(c) for c in chains.values())} 条记录，每条附包含证明。",
        "",
        "离线核验（无需联网、无需数据库）：",
        f"  elevator-ledger verify {'elevator-' + code}-log{checkpoint.size}.zip"
        " --log-key <向账本运营方核实的验证公钥>",
        "本说明文件不在签名范围内，仅供阅读；以 manifest.json 及其签名 manifest.sig、"
        "entries.jsonl 为准。",
        "",
        "本电梯记录（版本 / 日志序号 / 类型 / 签署单位 / 发生时间）：",
    ]
    for version, (index, stmt) in enumerate(statements, 1):
        who = names.get(stmt.issuer, stmt.issuer)
        lines.append(
            f"  v{version}  #{index}  {stmt.type}  {who}  {local_time(stmt.occurred_at, zone)}"
        )
    return "\n".join(lines) + "\n"
