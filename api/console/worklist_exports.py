"""A work list as a file: CSV (UTF-8 with a byte-order mark, so Excel reads the Chinese) and Excel
(openpyxl's write-only workbook), both produced lazily.

CSV rows are encoded a chunk at a time as the response is sent. An Excel file is a zip whose
directory comes last, so it cannot go out before it is whole: its rows are appended to a
write-only sheet (openpyxl writes them to a temporary file as they come, not to memory), the
workbook is saved into a spooled temporary file, and that file is streamed in 64 KiB chunks. So
a failure while building it answers an error, never half a workbook.

A cell a spreadsheet would take for a formula (``= + - @``, or a tab or carriage return first:
OWASP's CSV injection list) gets a leading apostrophe in the CSV; in Excel every text cell is
written as a string (never a formula), so its value is kept as it is."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

#: the most rows one export writes; a bigger list must be narrowed by the filters first
MAX_EXPORT = 100_000
CSV_CHUNK = 500
FILE_CHUNK = 64 * 1024
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def csv_safe(value: Any) -> Any:
    """``value`` as a CSV cell no spreadsheet runs as a formula: text starting with one of
    :data:`FORMULA_STARTS` gets a leading apostrophe; None is an empty cell; numbers stay."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """The CSV file (BOM, header, rows; CRLF line ends, as RFC 4180 and Excel have it), as
    UTF-8 chunks of :data:`CSV_CHUNK` rows, each encoded only when asked for."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow([csv_safe(h) for h in header])
    for n, row in enumerate(rows, 1):
        writer.writerow([csv_safe(v) for v in row])
        if n % CSV_CHUNK == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


@dataclass(frozen=True)
class About:
    """What an export says of itself (the Excel file's 说明 sheet)."""

    title: str
    name: str
    date: str
    districts: str
    exported_by: str
    checkpoint: int
    folded: int
    filters: str
    rows: int


def _text(sheet: WriteOnlyWorksheet, value: Any, bold: bool = False) -> Any:
    """A cell: text always as text (never a formula), numbers as numbers, None empty."""
    if value is None or isinstance(value, int | float):
        return value
    cell = WriteOnlyCell(sheet, value=str(value))
    cell.data_type = "s"
    if bold:
        cell.font = Font(bold=True)
    return cell


def xlsx_file(
    header: Sequence[str], rows: Iterable[Sequence[Any]], about: About
) -> tempfile.SpooledTemporaryFile[bytes]:
    """The workbook (sheet 清单: the header row and the rows; sheet 说明: what was exported,
    when, for whom, from which checkpoint), saved and rewound."""
    book = Workbook(write_only=True)
    data = book.create_sheet("清单")
    data.freeze_panes = "A2"
    data.append([_text(data, h, bold=True) for h in header])
    for row in rows:
        data.append([_text(data, v) for v in row])
    notes = book.create_sheet("说明")
    for label, value in (
        ("清单", f"{about.title}（{about.name}）"),
        ("日期", about.date),
        ("辖区", about.districts),
        ("筛选", about.filters or "无"),
        ("行数", about.rows),
        ("导出人", about.exported_by),
        (
            "数据来源",
            f"电梯全生命周期账本，截至签名检查点 {about.checkpoint}"
            f"（读模型已折叠前 {about.folded} 条记录）",
        ),
    ):
        notes.append([_text(notes, label, bold=True), _text(notes, value)])
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (streamed, closed after)
    book.save(out)
    out.seek(0)
    return out


def file_chunks(file: tempfile.SpooledTemporaryFile[bytes]) -> Iterator[bytes]:
    """``file`` in :data:`FILE_CHUNK` pieces, closed once read (or abandoned)."""
    try:
        while chunk := file.read(FILE_CHUNK):
            yield chunk
    finally:
        file.close()


def disposition(ascii_name: str, utf8_name: str) -> str:
    """``Content-Disposition: attachment`` with an ASCII ``filename`` for old clients and the
    UTF-8 name as RFC 5987/6266 ``filename*``."""
    fallback = "".join(
        c if c.isascii() and c not in '"\\' and c.isprintable() else "_" for c in ascii_name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(utf8_name, safe='')}"
