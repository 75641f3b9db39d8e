"""A work list as a file (pure): no cell a spreadsheet runs as a formula, CSV that Excel reads as
UTF-8 and that encodes lazily, a filename in ASCII and in UTF-8, and one column layout for the
page and both exports."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from itertools import islice
from typing import Any

import openpyxl

from api.console import worklist_exports as exports
from api.console.worklist_views import COLUMNS, LISTS_ZH, entry_links, export_cells, export_header
from projections.worklists import NAMES, SORT_KEYS


def test_a_cell_that_would_be_a_formula_gets_an_apostrophe() -> None:
    for hostile in ('=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert exports.csv_safe(hostile) == "'" + hostile
    assert exports.csv_safe("益阳市=物业") == "益阳市=物业"  # only the first character counts
    assert exports.csv_safe("2026-01-02") == "2026-01-02"
    assert exports.csv_safe(None) == ""
    assert exports.csv_safe(-3) == -3  # a number is no formula


def test_csv_starts_with_a_bom_and_reads_back_row_for_row() -> None:
    rows: list[list[Any]] = [["A", "=1+1", None, 3], ["B", '逗号,与"引号"', "换\n行", 0]]
    data = b"".join(exports.csv_chunks(["代码", "名称", "空", "数"], rows))
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table == [
        ["代码", "名称", "空", "数"],
        ["A", "'=1+1", "", "3"],
        ["B", '逗号,与"引号"', "换\n行", "0"],
    ]


def test_csv_is_encoded_a_chunk_at_a_time() -> None:
    produced = 0

    def rows() -> Iterator[list[str]]:
        nonlocal produced
        for i in range(10 * exports.CSV_CHUNK):
            produced += 1
            yield [str(i)]

    first = next(iter(exports.csv_chunks(["n"], rows())))
    assert produced == exports.CSV_CHUNK  # not the whole list
    assert first.decode("utf-8-sig").splitlines()[1:3] == ["0", "1"]
    assert len(list(islice(exports.csv_chunks(["n"], rows()), 100))) == 11  # 10 full, 1 rest


def test_excel_cells_are_text_never_formulas() -> None:
    about = exports.About(
        "维保逾期", "maintenance-overdue", "2026-01-02", "430900", "张三", 7, 7, "", 1
    )
    file = exports.xlsx_file(["名称", "数"], [["=1+1", 2]], about)
    book = openpyxl.load_workbook(io.BytesIO(b"".join(exports.file_chunks(file))))
    sheet = book["清单"]
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [["名称", "数"], ["=1+1", 2]]
    assert sheet["A2"].data_type == "s"
    notes = {str(k): str(v) for k, v in book["说明"].iter_rows(values_only=True)}
    assert notes["导出人"] == "张三" and "签名检查点 7" in notes["数据来源"]
    assert file.closed


def test_the_filename_has_an_ascii_fallback_and_a_utf8_name() -> None:
    header = exports.disposition('a"b\\c-维保.csv', "维保逾期-2026.csv")
    assert header.startswith('attachment; filename="a_b_c-__.csv"; ')
    assert header.endswith("filename*=UTF-8''%E7%BB%B4%E4%BF%9D%E9%80%BE%E6%9C%9F-2026.csv")
    assert header.isascii()


def test_every_list_has_a_title_columns_and_an_export_layout() -> None:
    for name in NAMES:
        assert name in LISTS_ZH and COLUMNS[name][0].key == "equipment_code"
        assert all(c.sort is None or c.sort in SORT_KEYS for c in COLUMNS[name])
        header = export_header(name)
        assert len(header) == len(set(header)) == len(export_cells(name, {}))
        assert header[0] == "设备代码"


def test_names_and_codes_are_two_columns_and_reasons_name_their_entries() -> None:
    row = {
        "equipment_code": "311",
        "district": "430902",
        "use_unit": "U",
        "use_unit_name": "物业",
        "maintenance_unit": None,
        "reasons": [
            {"reason": "r", "text_zh": "改造后未办理变更登记", "entries": [{"log_index": 5}]}
        ],
    }
    cells = dict(zip(export_header("illegal-use"), export_cells("illegal-use", row), strict=True))
    assert cells["使用单位名称"] == "物业" and cells["使用单位代码"] == "U"
    assert cells["维保单位名称"] is None and cells["维保单位代码"] is None
    assert cells["原因及证明记录"] == "改造后未办理变更登记（记录 #5）"
    assert entry_links(row) == [5]
    assert entry_links({"log_index": 9, "reasons": ["visit of 3 min"]}) == [9]
