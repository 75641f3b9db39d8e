"""The dashboard's charts as SVG (api/console/charts.py): well-formed XML, named for a screen
reader, labelled axes, bars as tall as their numbers, links where a number has something behind
it, and text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from api.console.charts import (
    HEIGHT,
    Bar,
    Chart,
    Marker,
    Segment,
    month_bars,
    nice_ceiling,
    render,
)

NS = {"svg": "http://www.w3.org/2000/svg"}


def parsed(chart: Chart) -> ET.Element:
    return ET.fromstring(str(render(chart)))


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]


def stacked() -> Chart:
    bars = (
        Bar("01", (Segment(3, "ok", "按期 3"), Segment(1, "missed", "漏保 1", "#m-01"))),
        Bar("02", (Segment(0, "ok"), Segment(2, "late", "逾期 2", "#m-02")), href="#m-02"),
    )
    return Chart("c1", "维保 <及时> & 漏保", "月份", "次数", bars, "说明")


def test_the_svg_is_well_formed_and_named_by_its_title_and_description() -> None:
    root = parsed(stacked())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img" and root.get("aria-labelledby") == "c1-t c1-d"
    title = root.find("svg:title", NS)
    assert title is not None and title.text == "维保 <及时> & 漏保" and title.get("id") == "c1-t"
    assert "&lt;及时&gt; &amp;" in str(render(stacked()))  # escaped in the markup


def test_both_axes_are_labelled_and_the_ticks_reach_the_tallest_bar() -> None:
    words = texts(parsed(stacked()))
    assert "月份" in words and "次数" in words
    assert {"0", "1", "2", "3", "4"} <= set(words)  # ticks of 1 up to the tallest bar, 4
    assert "01" in words and "02" in words


def test_segments_are_stacked_with_heights_in_proportion_and_empty_ones_left_out() -> None:
    rects = parsed(stacked()).findall(".//svg:rect", NS)
    heights = [float(r.get("height", 0)) for r in rects]
    assert len(rects) == 3  # the zero segment draws nothing
    assert heights[0] == pytest.approx(3 * heights[1])  # 3 on time over 1 missed
    assert heights[2] == pytest.approx(2 * heights[1])
    assert [r.findtext("svg:title", namespaces=NS) for r in rects] == ["按期 3", "漏保 1", "逾期 2"]


def test_a_segment_or_total_with_something_behind_it_is_a_link() -> None:
    links = [a.get("href") for a in parsed(stacked()).iter("{http://www.w3.org/2000/svg}a")]
    assert links == ["#m-01", "#m-02", "#m-02"]  # two segments, and the second bar's total


def test_a_marker_line_is_drawn_where_it_says_with_its_label() -> None:
    chart = Chart(
        "c2",
        "到达",
        "分钟",
        "起",
        (Bar("0", (Segment(1),)), Bar("5", ())),
        markers=(Marker(1, "时限30分"),),
    )
    root = parsed(chart)
    line = root.find(".//svg:line[@class='marker']", NS)
    rects = root.findall(".//svg:rect", NS)
    assert line is not None and "时限30分" in texts(root)
    right_of_first = float(rects[0].get("x", 0)) + float(rects[0].get("width", 0))
    assert float(line.get("x1", 0)) > right_of_first


def test_an_empty_chart_still_draws_its_axes() -> None:
    root = parsed(Chart("c3", "无数据", "月份", "次数", ()))
    assert root.findall(".//svg:rect", NS) == [] and "0" in texts(root)
    assert float(root.get("viewBox", "").split()[3]) == HEIGHT


@pytest.mark.parametrize(
    ("top", "expected"),
    [(0, (1, 1)), (1, (1, 1)), (4, (4, 1)), (7, (8, 2)), (42, (50, 10)), (99, (100, 20))],
)
def test_the_axis_ends_on_a_round_number_in_at_most_five_steps(
    top: int, expected: tuple[int, int]
) -> None:
    assert nice_ceiling(top) == expected


def test_month_bars_name_the_year_under_the_first_month_and_each_january() -> None:
    bars = month_bars([(2025, 11), (2025, 12), (2026, 1)], [(), (), ()])
    assert [(b.label, b.sublabel) for b in bars] == [("11", "2025"), ("12", ""), ("01", "2026")]
