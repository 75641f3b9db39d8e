"""Micro benchmark: the cost of parsing one statement at intake, for a few typical types.

``python -m bench.statement_parse`` prints the best of 7 runs, in microseconds per statement, of
``Statement.model_validate_json`` (the pydantic parse, every field checked) and of
``parse_statement`` (the write path's parse: canonical-JSON check, dates, the model), with the
payload cache cleared each time so every call parses."""

from __future__ import annotations

import base64
import time
import timeit

from domain.model.catalogue import Statement
from domain.model.catalogue.examples import example_statement
from domain.model.submission import parse_payload, parse_statement
from ledger.canonical import canonical_json

TYPES = ("elevator.sold", "complaint.received", "maintenance.performed")
#: The same complaint with an ideographic space and a line feed in its summary: the text check's
#: slow path, which looks at every string.
SLOW = ("complaint.received", {"summary": "电梯运行时\u3000异响\n已报修"})
NUMBER, REPEAT = 10_000, 7  # CPU time (process_time): the machine is shared


def best_us(fn: object) -> float:
    assert callable(fn)
    runs = timeit.repeat(fn, number=NUMBER, repeat=REPEAT, timer=time.process_time)
    return min(runs) / NUMBER * 1e6


def main() -> None:
    cases = [(name, example_statement(name)) for name in TYPES]
    slow = example_statement(SLOW[0])
    slow["data"] |= SLOW[1]
    cases.append((SLOW[0] + "+U+3000", slow))
    for name, doc in cases:
        payload = canonical_json(doc)
        b64 = base64.b64encode(payload).decode()

        def write_path(payload: bytes = payload, b64: str = b64) -> None:
            parse_payload.cache_clear()
            parse_statement(payload, b64)

        model = best_us(lambda payload=payload: Statement.model_validate_json(payload))
        write = best_us(write_path)
        print(f"{name:24s} model_validate_json {model:7.2f} us  parse_statement {write:7.2f} us")


if __name__ == "__main__":
    main()
