"""The onboarding page's forms and uploads (no routes): the posted form as
:class:`~domain.model.onboarding_request.OnboardingFields`, the Chinese labels, who may sign,
the read-only checks against the ledger, and the signed envelopes read back from an upload.

Nothing here writes: preparing reads whether the organization or the key is known already;
submitting is the route's, through the ledger's write path."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson

from api.node import LedgerNode
from api.web.identity import StaffUser
from domain.model.errors import Rejected
from domain.model.onboarding_request import ONBOARDING_TYPES, OnboardingFields, OnboardingRequest
from domain.model.roles import LicenceKind, Role
from domain.model.submission import parse_submission

ROLE_LABELS = {
    Role.USE_UNIT: "使用单位",
    Role.MAINTENANCE_UNIT: "维保单位",
    Role.MANUFACTURER: "制造单位",
    Role.CONSTRUCTION_UNIT: "安装/改造/修理单位",
    Role.INSPECTION_INSTITUTE: "检验机构",
    Role.TESTING_BODY: "检测机构",
    Role.INSURER: "保险公司",
    Role.RESCUE_PLATFORM: "96333 应急处置平台",
    Role.REGULATOR: "市场监管部门",
}
LICENCE_LABELS = {
    LicenceKind.INSTALLATION_REPAIR: "安装改造修理许可（含维保）",
    LicenceKind.MANUFACTURE: "制造许可",
    LicenceKind.INSPECTION: "检验机构核准",
    LicenceKind.TESTING: "检测机构核准",
}
TYPE_LABELS = {
    "org.registered": "机构登记",
    "org.role_granted": "角色授予",
    "org.licence_granted": "许可核准",
    "key.registered": "密钥登记",
}
FIELD_LABELS = {
    "issuer": "签发机关",
    "uscc": "统一社会信用代码",
    "name": "单位名称",
    "district": "所在区划",
    "address": "地址",
    "legal_representative": "法定代表人",
    "roles": "角色",
    "licences": "许可",
    "public_key": "企业公钥",
    "valid_from": "角色生效日期",
}
#: Licence rows the form offers (blank ones are ignored).
LICENCE_ROWS = 3
#: Envelopes one upload may hold: an onboarding is 3 + roles + licences statements.
MAX_UPLOAD = 50


@dataclass(frozen=True)
class Issuer:
    uscc: str
    name: str


def issuers(node: LedgerNode, user: StaffUser, today: date) -> list[Issuer]:
    """Who may sign the statements (domain.model.authorization): the root authority, and the
    user's own bureau when it holds the regulator role today."""
    anchor = node.anchor.uscc
    out = [Issuer(anchor, f"{node.settings.authority_name}（根机关）")]
    if user.organization != anchor:
        found = node.app.organization(user.organization)
        if found is not None and found.state.has_role(Role.REGULATOR, today):
            out.append(Issuer(user.organization, user.organization_name or found.state.name))
    return out


def scope_problems(node: LedgerNode, user: StaffUser, fields: OnboardingFields) -> dict[str, str]:
    """What this user may not prepare, whatever else is wrong: a district outside theirs, an
    issuer that is neither the root authority nor their own regulating bureau."""
    problems: dict[str, str] = {}
    district = fields.district.strip()
    if district.isdigit() and len(district) == 6 and not user.sees(district):
        problems["district"] = f"{district} 不在您的辖区（{'、'.join(user.districts)}）内"
    allowed = {i.uscc for i in issuers(node, user, datetime.now(node.settings.zone).date())}
    if fields.issuer.strip() not in allowed:
        problems["issuer"] = "只能由根机关或持有监管角色的本局签发"
    return problems


def ledger_problems(
    node: LedgerNode, user: StaffUser, request: OnboardingRequest
) -> dict[str, str]:
    """What the ledger would refuse, found before anything is signed: an organization already
    registered, a key already registered."""
    problems: dict[str, str] = {}
    found = node.app.organization(request.uscc)
    if found is not None and found.state.registered:
        problems["uscc"] = f"{request.uscc} 已登记为“{found.state.name}”，无需再次入驻"
    if node.app.key_info(request.key.key_id) is not None:
        problems["public_key"] = "此公钥已登记过（每把密钥只能登记一次），请企业生成新的密钥"
    return problems


class UploadUnreadable(ValueError):
    """The upload is not signed envelopes: nothing is submitted."""


def read_upload(data: bytes) -> list[dict[str, Any]]:
    """The submissions in an upload: a JSON array, one JSON object, or JSON Lines of them."""
    text = data.strip()
    if not text:
        raise UploadUnreadable("没有收到任何内容：请选择签名后的文件，或粘贴其内容")
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError:
        doc = [_line(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    items = doc if isinstance(doc, list) else [doc]
    if not all(isinstance(i, dict) for i in items):
        raise UploadUnreadable("每一项都应是一个签名信封（JSON 对象）")
    if len(items) > MAX_UPLOAD:
        raise UploadUnreadable(f"一次最多 {MAX_UPLOAD} 个信封，收到 {len(items)} 个")
    return items


def _line(number: int, line: bytes) -> Any:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        raise UploadUnreadable(
            f"第 {number} 行不是 JSON：签名工具每行输出一个信封，请上传其输出原样"
        ) from None


@dataclass
class Outcome:
    """One uploaded envelope: what it says (when readable) and the ledger's answer."""

    number: int
    type: str | None = None
    organization: str | None = None
    receipt: dict[str, Any] | None = None
    rule: str | None = None
    message: str | None = None

    @property
    def label(self) -> str:
        return TYPE_LABELS.get(self.type or "", self.type or "（无法读取）")


def peek(item: dict[str, Any]) -> dict[str, Any] | None:
    """The statement an envelope carries, read without judging it (None: unreadable, the
    ledger will say why)."""
    try:
        envelope, _, _ = parse_submission(item)
        doc = orjson.loads(envelope.payload)
    except (Rejected, orjson.JSONDecodeError, binascii.Error, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def refusal_here(
    node: LedgerNode, user: StaffUser, stmt: dict[str, Any] | None, districts: dict[str, str]
) -> str | None:
    """Why this page does not submit the statement (another page's, or another district's), or
    None. ``districts``: the districts registered by this upload's ``org.registered``."""
    if stmt is None:
        return None
    if stmt.get("type") not in ONBOARDING_TYPES:
        return f"{stmt.get('type')} 不是入驻声明：本页只提交机构登记、角色、许可和首个密钥"
    org = str(stmt.get("organization"))
    district = districts.get(org)
    if district is None:
        found = node.app.organization(org)
        district = found.state.district if found is not None else None
    if district is None:
        return f"{org} 尚未登记：请同时上传其机构登记声明"
    if not user.sees(district):
        return f"{org} 所在区划 {district} 不在您的辖区内"
    return None


def registered_districts(statements: list[dict[str, Any] | None]) -> dict[str, str]:
    """Organization → district, from the ``org.registered`` statements of an upload."""
    out: dict[str, str] = {}
    for stmt in statements:
        if stmt and stmt.get("type") == "org.registered" and isinstance(stmt.get("data"), dict):
            out[str(stmt.get("organization"))] = str(stmt["data"].get("district"))
    return out


def data_url(content: bytes, media_type: str = "application/x-ndjson") -> str:
    """``content`` as a ``data:`` URL, for a download link that needs nothing kept on the
    server."""
    return f"data:{media_type};base64,{base64.b64encode(content).decode()}"
