"""Typed FastAPI dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.node import LedgerNode
from ledger.log import MerkleLog


def get_node(request: Request) -> LedgerNode:
    node: LedgerNode = request.app.state.node
    return node


def get_log(node: Annotated[LedgerNode, Depends(get_node)]) -> MerkleLog:
    return node.log


NodeDep = Annotated[LedgerNode, Depends(get_node)]
LogDep = Annotated[MerkleLog, Depends(get_log)]
