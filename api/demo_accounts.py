"""The demo city's staff accounts: a city bureau, a county bureau (赫山区 only), and desk admins
of a maintenance unit and a use unit — made once, with random passwords kept in
``<home>/demo-accounts.txt`` (mode 0600) and printed by every ``elevator-ledger demo``.

Deterministic passwords would be guessable by anyone who reads this file; random ones are kept
on the host that runs the demo, like its keys."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import orjson

from api.node import LedgerNode
from api.settings import Settings
from api.web import passwords
from api.web.accounts import AccountStore
from api.web.identity import Desk


@dataclass(frozen=True)
class DemoAccount:
    login: str
    name: str
    role: str  # what the person is, in the printed list
    desk: Desk
    organization_name: str
    districts: tuple[str, ...] = ()


def accounts_path(settings: Settings) -> Path:
    return settings.home / "demo-accounts.txt"


def planned(regulator_name: str) -> tuple[DemoAccount, ...]:
    return (
        DemoAccount(
            "city-bureau",
            "周敏",
            "市局监管员（益阳市全市）",
            "console",
            regulator_name,
            ("430900",),
        ),
        DemoAccount(
            "heshan-bureau",
            "陈静",
            "区局监管员（仅赫山区）",
            "console",
            regulator_name,
            ("430903",),
        ),
        DemoAccount("anda-admin", "刘洋", "维保单位管理员", "desk", "益阳市安达电梯维保有限公司"),
        DemoAccount(
            "bishuiwan-admin",
            "王芳",
            "使用单位管理员",
            "desk",
            "益阳市赫山区碧水湾物业服务有限公司",
        ),
    )


def _usccs_by_name(settings: Settings) -> dict[str, str]:
    doc = orjson.loads(settings.demo_marker_path.read_bytes())
    orgs = [doc["regulator"], *doc["organizations"]]
    return {o["name"]: o["uscc"] for o in orgs}


def ensure_demo_accounts(node: LedgerNode, settings: Settings) -> list[str]:
    """Make the demo accounts that do not exist yet; the lines of the accounts file."""
    store = AccountStore.open(node.engine)
    path = accounts_path(settings)
    usccs = _usccs_by_name(settings)
    regulator_name = orjson.loads(settings.demo_marker_path.read_bytes())["regulator"]["name"]
    kept = _read(path)
    lines = [
        "# 演示城市的登录账号（elevator-ledger demo 生成一次；密码随机，只保存在本文件中）",
        f"# 监管工作台 http://{settings.host}:{settings.port}/console/sign-in",
        f"# 企业工作台 http://{settings.host}:{settings.port}/desk/sign-in",
    ]
    for demo in planned(regulator_name):
        password = kept.get(demo.login)
        if store.by_login(demo.login) is None:
            password = passwords.new_password()
            store.add(
                organization=usccs[demo.organization_name],
                name=demo.name,
                login=demo.login,
                desk=demo.desk,
                password=password,
                created_by="demo",
                districts=demo.districts,
                admin=True,
            )
        where = f"，辖区 {'、'.join(demo.districts)}" if demo.districts else ""
        lines.append(
            f"{demo.desk}\t{demo.login}\t{password or '(见 staff reset-password)'}\t"
            f"{demo.role}：{demo.name}，{demo.organization_name}{where}"
        )
    _write_private(path, "\n".join(lines) + "\n")
    return lines


def _read(path: Path) -> dict[str, str]:
    """login -> password, from an accounts file written before."""
    if not path.exists():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and not line.startswith("#"):
            out[parts[1]] = parts[2]
    return out


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(path, 0o600)
