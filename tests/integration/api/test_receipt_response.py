"""POST /v1/statements writes its receipt with orjson, straight from the Receipt: the bytes are
exactly those of the documented ReceiptModel rendered as FastAPI's JSONResponse would."""

from __future__ import annotations

import orjson
import pytest
from fastapi.responses import JSONResponse

from api.statement_routes import _receipt
from domain.application.service import Receipt

NOTE = "elevator-ledger/receipt/v1\nledger.example/elevators\n\n— ledger.example/elevators AbC+/=\n"


@pytest.mark.parametrize("duplicate", [False, True])
@pytest.mark.parametrize("text", ["plain", '电梯 \u2014 \u0001 " \\ \U0001f600 \u2028'])
def test_the_receipt_bytes_are_the_receipt_models(duplicate: bool, text: str) -> None:
    receipt = Receipt(
        entry_hash="ab" * 32,
        subject="elevator:311023010201500098",
        version=3,
        log_index=2**40,
        recorded_at="2025-01-01T00:00:00.000000Z",
        type="fault.reported",
        late=not duplicate,
        duplicate=duplicate,
        promise=NOTE + text,
        inclusion_proof=f"c2sp.org/tlog-proof@v1\nindex 17\nAAA=\n\n{NOTE}{text}",
    )
    assert orjson.dumps(receipt.to_json()) == JSONResponse(_receipt(receipt).model_dump()).body
