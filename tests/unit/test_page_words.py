"""The QR page's words: 检验 is an inspection by an institute (监督检验, 定期检验, 复检), 检测 the
self-test (自行检测, TSG T7008); each catalogue code is named in Chinese; complaints go to
12315 / 12345, and 96333 is the emergency rescue line only."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.pages import inspection_words, summary_zh
from domain.model.identifiers import CATEGORY_NAMES_ZH, Category

TEMPLATES = Path(__file__).parents[2] / "api" / "templates"


@pytest.mark.parametrize(
    ("last", "next_", "words"),
    [
        ("periodic", "self_test", ("最近检验", "定期检验", "下次自行检测", "")),
        ("self_test", "periodic", ("最近自行检测", "", "下次检验", "定期检验")),
        ("supervisory", "periodic", ("最近检验", "监督检验", "下次检验", "定期检验")),
        ("periodic", "re_inspection", ("最近检验", "定期检验", "下次检验", "复检")),
        (None, None, ("最近检验", "", "下次检验", "")),
    ],
)
def test_the_inspection_lines_say_检验_for_an_institute_and_检测_for_a_self_test(
    last: str | None, next_: str | None, words: tuple[str, str, str, str]
) -> None:
    got = inspection_words(last, next_)
    assert (got["last_label"], got["last_kind"], got["next_label"], got["inspection_kind"]) == words


@pytest.mark.parametrize(
    ("kind", "summary"),
    [
        ("supervisory", "监督检验结论"),
        ("periodic", "定期检验结论"),
        ("re_inspection", "复检结论"),
        ("self_test", "自行检测结论"),
    ],
)
def test_the_history_names_an_inspection_by_its_kind(kind: str, summary: str) -> None:
    entry = {"type": "inspection.concluded", "statement": {"data": {"kind": kind}}}
    assert summary_zh(entry) == summary
    assert summary_zh({"type": "maintenance.performed", "statement": {}}) == "维保记录"


@pytest.mark.parametrize("code", [c.value for c in Category])
def test_every_variety_has_its_catalogue_name(code: str) -> None:
    assert CATEGORY_NAMES_ZH[code].endswith(("电梯", "扶梯", "人行道"))


def test_complaints_go_to_12315_and_12345_and_96333_is_for_rescue_only() -> None:
    page = (TEMPLATES / "elevator.html").read_text()
    complaints = page[page.index('<section id="complaints">') :]
    complaints = complaints[: complaints.index("</section>")]
    assert "12315" in complaints and "12345" in complaints
    assert "96333 是电梯应急救援电话，仅在有人被困" in complaints
    assert "使用登记证编号" in page
    for name in ("elevator.html", "not_found.html"):
        text = (TEMPLATES / name).read_text()
        for line in text.splitlines():
            if ("投诉" in line or "举报" in line) and "<h2>" not in line:
                assert "12315" in line and "12345" in line, (name, line)
