"""Renders docs/integration.md from the catalogue, so the document cannot drift from the code.

    python -m api.integration_doc > docs/integration.md

A test renders it again and compares; another runs the signing script below for real.
"""

from __future__ import annotations

import json

from api.openapi import describe
from domain.model.catalogue import CATALOGUE, example_statement

_SIGN_SCRIPT = '''\
"""sign.py STATEMENT.json KEY.pem [COSIGNER_KEY.pem] > submission.json — needs only `cryptography`."""
import base64, hashlib, json, secrets, sys
from cryptography.hazmat.primitives import serialization

PAYLOAD_TYPE = "application/vnd.elevator-ledger.statement+json"
PERSONAL = {personal}  # type -> personal fields ("*": each list element)


def canonical(doc):  # RFC 8785 for statements: no floats; sort keys, no spaces, UTF-8
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def conceal(node, path, disclosures):  # the value becomes {"concealed": digest}, see section 3
    head, rest = path[0], path[1:]
    if head == "*":
        for item in node if isinstance(node, list) else []:
            conceal(item, rest, disclosures)
    elif isinstance(node, dict) and node.get(head) is not None:
        if rest:
            conceal(node[head], rest, disclosures)
        else:  # RFC 9901 disclosure: base64url of [salt, name, value]; digest: SHA-256 of that
            disclosure = b64url(canonical([b64url(secrets.token_bytes(16)), head, node[head]]))
            node[head] = {"concealed": b64url(hashlib.sha256(disclosure.encode()).digest())}
            disclosures.append(disclosure)


def key_id(public_raw):  # hex SHA-256 over the algorithm name, a NUL, the raw public key
    return hashlib.sha256(b"ed25519\\x00" + public_raw).hexdigest()


statement = json.load(open(sys.argv[1], encoding="utf-8"))
statement.setdefault("nonce", secrets.token_hex(12))
disclosures = []
for field in PERSONAL.get(statement["type"], []):
    conceal(statement["data"], field.split("."), disclosures)
payload = canonical(statement)
pae = b"DSSEv1 %d %s %d %s" % (len(PAYLOAD_TYPE), PAYLOAD_TYPE.encode(), len(payload), payload)
signatures = []
for path in sys.argv[2:]:
    key = serialization.load_pem_private_key(open(path, "rb").read(), password=None)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    signatures.append({"keyid": key_id(raw), "sig": base64.b64encode(key.sign(pae)).decode()})
envelope = {"payloadType": PAYLOAD_TYPE, "payload": base64.b64encode(payload).decode(),
            "signatures": signatures}
print(json.dumps({"envelope": envelope, "disclosures": disclosures} if disclosures else envelope))
'''

#: The personal fields per type, as the script above needs them (from the catalogue).
PERSONAL_FIELDS = {
    st.name: list(st.personal_fields) for st in CATALOGUE.values() if st.personal_fields
}
_PERSONAL_LINES = "".join(
    f"\n    {json.dumps(k)}: {json.dumps(v)}," for k, v in PERSONAL_FIELDS.items()
)
SIGN_SCRIPT = _SIGN_SCRIPT.replace("{personal}", "{" + _PERSONAL_LINES + "\n}")

CHECK_SCRIPT = '''\
"""check_receipt.py RECEIPT.json ENTRY_FILE LOG_KEY — verify offline with the ledger's library."""
import json, sys
from ledger.entry import entry_hash
from ledger.note import NoteVerifier
from ledger.receipt import Promise, verify_inclusion

receipt = json.load(open(sys.argv[1]))
entry = open(sys.argv[2], "rb").read()              # GET /v1/log/entries/{log_index}
verifier = NoteVerifier.parse(open(sys.argv[3]).read())  # GET /v1/log/key, or trust.json
promise = Promise.open(receipt["promise"], verifier)     # the log's signed promise
assert promise.entry_hash == receipt["entry_hash"] == entry_hash(entry)
proof = verify_inclusion(entry, receipt["inclusion_proof"], verifier)  # Merkle path + checkpoint
print(f"entry {promise.entry_hash[:16]}… is leaf {proof.index} of the signed tree of {proof.checkpoint.size}")
'''

HEAD = """\
# Integrating with elevator-ledger

For enterprises (manufacturers, installers, maintenance companies, inspection institutes, property
companies, insurers, the 96333 platform, IoT terminal vendors) that submit statements to the ledger.
This page is generated from the statement catalogue (`python -m api.integration_doc`); a test fails
when it drifts from the code. The OpenAPI document at `/openapi.json` carries the same schemas
(`AnyStatement`, and one schema per type named after its data model, e.g. `MaintenancePerformed`).

## 1. Get a key and have it registered

```sh
elevator-ledger keygen mycompany.pem     # Ed25519, written with mode 0600
# prints {"key_id": "…", "algorithm": "ed25519", "public_key": "<base64 of the raw 32 bytes>"}
```

Send the printed `public_key` and `key_id` to the regulator. The regulator registers your
organization (unified social credit code, validated with its check character), grants your roles and
licences, and registers this first key — all as signed statements in the ledger, prepared on the
console's 企业入驻 page (or `elevator-ledger onboard prepare`) and signed offline by the authority with
`elevator-ledger sign statements.jsonl -k authority.pem -o signed.jsonl`. Send only the public key
(never the `.pem`: it is your private key; the console refuses one). Later keys you add and
revoke yourself with `key.registered` / `key.revoked` statements about your own organization, signed
by a current key. A key id is the hex SHA-256 of `ed25519 ‖ 0x00 ‖ raw public key`; the `keyid` of a
signature must be that id. A revoked key signs nothing new; what it signed before stays valid.
An IoT terminal gets its own key, registered with `bound_elevator`; it may sign only fault and alarm
types, and only for that elevator.

Where the local tools keep keys (relative to `LEDGER_HOME`, default `var/`):
- `keys/log.note-key` — the log's checkpoint key (C2SP `PRIVATE+KEY+…`); its public half is served at
  `GET /v1/log/key` and written to `trust.json`.
- `keys/authority.pem` — the root authority (regulator) key made by `elevator-ledger init`; its public
  key and organization code are in `trust.json`.
- `keys/demo/<USCC>.pem` and `keys/demo/terminal-<equipment code>.pem` — every demo organization's and
  terminal's key, made by `elevator-ledger demo`; `demo-city.json` lists who is who. Sign as any of
  them to try the API against the demo city.

## 2. Write a statement

A statement is a JSON object: `type` (a catalogue name below), `elevator` (18- or 19-character
equipment code) for statements about an elevator or `organization` (USCC) for statements about an
organization, `issuer` (your USCC), `occurred_at` (RFC 3339 with offset: when it happened),
`nonce` (8–64 printable characters, unique), optional `prev` (the elevator's chain head you saw, hex
entry hash: if it is no longer the head the ledger answers 409 with the current one) and `data`
(validated against the type's schema; unknown fields are refused). Dates are `YYYY-MM-DD` and
instants RFC 3339 with seconds and an offset, between the years 1900 and 2199 (no Unix times); text
holds no control characters other than tab, CR and LF; no JSON object may repeat a key (in the
statement or in the envelope). Statements recorded long after they occurred are accepted but marked
late.

Equipment and registration codes begin with a variety (品种) of the special-equipment catalogue:
3110 曳引驱动乘客电梯, 3120 曳引驱动载货电梯, 3130 强制驱动载货电梯, 3210 液压乘客电梯, 3220 液压载货电梯,
3310 自动扶梯, 3320 自动人行道, 3410 防爆电梯, 3420 消防员电梯, 3430 杂物电梯 (fault codes 61–65 only
for 3310 and 3320). A class (类别: 3100, 3200, 3300, 3400) begins no code; a licence's `scope` may
name one, covering its varieties. An elevator recorded earlier with the class code 3200 keeps its
equipment code and is registered under 3210 or 3220; new statements giving 3200 as a code are
refused (422 `invalid-statement`).

Holding the role a type is "signed by" is not enough: about an elevator, the issuer must also be
one of that elevator's own parties for the type on `occurred_at` — its registered use unit, the
maintenance unit whose contract is in force that day, the 96333 platform, the regulator, or the
party an earlier statement names (a rectification order's `responsible`, a rescue dispatch's
`responder`, the policy's insurer); a terminal key is bound (`bound_elevator`) only by the
elevator's use unit or contracted maintainer. docs/lifecycle.md, "Who may sign what about an
elevator", has the table; a refusal names its `rule`.

## 3. Sign it (DSSE v1, Ed25519) with nothing but `cryptography`

```python
{sign_script}```

Personal fields (the catalogue below names them per type: technicians' names and certificate
numbers, the use unit's safety manager who confirmed a visit, a complainant's contact, a legal
representative) are never signed in the clear, because every entry of the log is public. The script
replaces each with `{"concealed": <digest>}` and prints the submission
`{"envelope": …, "disclosures": [...]}`; a statement without personal fields is sent as the bare
envelope. A disclosure is encoded as RFC 9901 (SD-JWT) §4.2.1 encodes one — base64url without padding
of the JSON array `[salt, field name, value]`, with at least 128 random bits of salt — and the digest
is the base64url SHA-256 of that ASCII string (RFC 9901 §4.2.3). Unlike SD-JWT the field keeps its
place and name. The ledger checks each disclosed value against the schema as strictly as any other
field, refuses a personal field in the clear, a concealed field without its disclosure and a
disclosure that belongs to no field, and keeps the disclosures for regulators
(`GET /v1/regulator/entries/{index}`, with a regulator's token), never in the public log.

Co-signed types (a maintenance contract: the maintenance unit issues, the use unit co-signs) carry
two signatures over the same payload (an envelope carries at most 8). The payload must be canonical JSON (RFC 8785): the script's
`canonical` is exact for statements, which contain no floating-point numbers (decimals such as rated
speed and money are strings). `elevator-ledger sign STATEMENT.json --key K.pem [--key K2.pem]` does the
same.

## 4. Submit it

```sh
curl -sS -X POST http://127.0.0.1:8000/v1/statements -H 'content-type: application/json' \\
     --data-binary @submission.json > receipt.json          # 201 Created (200: a replay)
elevator-ledger submit envelopes.jsonl --url http://127.0.0.1:8000 --receipts receipts.jsonl
```

`POST /v1/statements/batch` takes up to 1,000 envelopes; each is accepted or rejected on its own
and the accepted ones are committed together. `POST /v1/envelopes/verify` checks signatures only.
Refusals are RFC 9457 `application/problem+json` with a `type` per failure class —
`malformed-envelope`, `non-canonical-payload`, `invalid-statement` (422, with `errors`),
`bad-signature` (401), `not-authorized` (403, with the `rule`), `rule-violation` (422, with the `rule`;
see docs/lifecycle.md), `stale-prev` (409, with `head` and `version`) — and nothing is stored.
Sending the exact same envelope again returns the original receipt.

## 5. Keep the receipt and check it offline

A receipt holds the entry hash, the subject, its version in the elevator's hash chain, the log index,
`recorded_at`, a `promise` (a C2SP signed note by the log key over those fields) and an
`inclusion_proof` (`c2sp.org/tlog-proof@v1`: index, Merkle path, signed checkpoint).

```python
{check_script}```

## 6. The statement catalogue

"""


def render() -> str:
    parts = [HEAD.replace("{sign_script}", SIGN_SCRIPT).replace("{check_script}", CHECK_SCRIPT)]
    for st in CATALOGUE.values():
        example = json.dumps(example_statement(st.name), ensure_ascii=False, indent=2)
        parts.append(
            f"### `{st.name}` — {st.summary_zh}\n\n{describe(st)} Late after "
            f"{st.late_after.days} days. Schema: `{st.data_model.__name__}` in `/openapi.json`.\n\n"
            f"```json\n{example}\n```\n\n"
        )
    return "".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
