"""Bar charts drawn as inline SVG on the server (pure: no I/O, no JavaScript needed).

A chart is a title, axis labels and bars; a bar may be stacked from segments, and a bar or a
segment may link to the list or the elevators behind its number. The SVG carries its own
``<title>`` and ``<desc>`` (``role="img"`` names it for a screen reader); the page puts the same
numbers in a table beside it (api/templates/console/dashboard.html). The viewBox is narrow
(360 units) so that the labels stay legible when the chart shrinks to a phone's width; on a
wide screen the stylesheet caps its height.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 360, 210
LEFT, RIGHT, TOP, BOTTOM = 34, 8, 22, 46
#: segment fills by kind (the stylesheet may restyle them through the same class names)
FILLS = {
    "bar": "#3b82f6",
    "ok": "#16a34a",
    "late": "#f59e0b",
    "missed": "#dc2626",
    "open": "#cbd5e1",
    "over": "#dc2626",
}


@dataclass(frozen=True)
class Segment:
    value: int
    kind: str = "bar"  # a key of FILLS
    title: str = ""  # what a pointer's tooltip says (the number and what it counts)
    href: str | None = None


@dataclass(frozen=True)
class Bar:
    label: str  # under the bar
    segments: tuple[Segment, ...]
    sublabel: str = ""  # a second line under the label (the year under January)
    href: str | None = None  # where the bar's total links

    @property
    def total(self) -> int:
        return sum(s.value for s in self.segments)


@dataclass(frozen=True)
class Marker:
    """A vertical line at ``at`` bars from the left edge (``2.0``: between the second and the
    third bar), labelled."""

    at: float
    label: str


@dataclass(frozen=True)
class Chart:
    id: str  # unique on the page: the SVG's title and desc are named by it
    title: str
    x_label: str
    y_label: str
    bars: tuple[Bar, ...]
    description: str = ""
    markers: tuple[Marker, ...] = field(default=())
    show_totals: bool = True
    #: a histogram's labels name the bins' lower edges, so they stand under the left edge of
    #: each bar, not under its middle
    edge_labels: bool = False


def nice_ceiling(top: int) -> tuple[int, int]:
    """The axis's top and step: the smallest 1, 2 or 5 × 10ⁿ step with at most 5 steps to
    reach ``top`` (at least 1)."""
    top = max(top, 1)
    magnitude = 1
    while True:
        for step in (magnitude, 2 * magnitude, 5 * magnitude):
            if top <= 5 * step:
                return -(-top // step) * step, step
        magnitude *= 10


def render(chart: Chart) -> Markup:
    """The chart as one ``<svg>`` element."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top, step = nice_ceiling(max((b.total for b in chart.bars), default=0))
    slot = plot_w / max(len(chart.bars), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{_a(chart.id)}" class="chart"'
        f' viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        f' aria-labelledby="{_a(chart.id)}-t {_a(chart.id)}-d">',
        f'<title id="{_a(chart.id)}-t">{_t(chart.title)}</title>',
        f'<desc id="{_a(chart.id)}-d">{_t(chart.description or chart.title)}</desc>',
    ]
    parts += _axes(chart, top, step, plot_w, plot_h)
    for i, bar in enumerate(chart.bars):
        parts += _bar(chart, bar, LEFT + i * slot, slot, top, plot_h)
    for marker in chart.markers:
        x = LEFT + marker.at * slot
        right = x > LEFT + plot_w * 0.75  # near the right edge the label goes to its left
        parts.append(
            f'<line class="marker" x1="{x:.1f}" y1="{TOP - 4}" x2="{x:.1f}" y2="{TOP + plot_h}"'
            ' stroke="#7c3aed" stroke-width="1.5" stroke-dasharray="4 3"/>'
            f'<text class="marker-label" x="{x - 3 if right else x + 3:.1f}" y="{TOP + 6}"'
            f' text-anchor="{"end" if right else "start"}" fill="#6d28d9">'
            f"{_t(marker.label)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _axes(chart: Chart, top: int, step: int, plot_w: float, plot_h: float) -> list[str]:
    base = TOP + plot_h
    out = [
        f'<line x1="{LEFT}" y1="{base}" x2="{LEFT + plot_w}" y2="{base}" stroke="#9ca3af"/>',
        f'<text class="axis-label" x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 4}"'
        f' text-anchor="middle">{_t(chart.x_label)}</text>',
        f'<text class="axis-label" x="10" y="{TOP + plot_h / 2:.1f}" text-anchor="middle"'
        f' transform="rotate(-90 10 {TOP + plot_h / 2:.1f})">{_t(chart.y_label)}</text>',
    ]
    for value in range(0, top + 1, step):
        y = base - plot_h * value / top
        out.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" stroke="#eef0f3"/>'
            if value
            else ""
        )
        out.append(
            f'<text class="tick" x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{value}</text>'
        )
    return out


def _bar(chart: Chart, bar: Bar, x: float, slot: float, top: int, plot_h: float) -> list[str]:
    base = TOP + plot_h
    width = max(slot * 0.7, 1)
    left = x + (slot - width) / 2
    out: list[str] = []
    y = base
    for seg in bar.segments:
        if seg.value <= 0:
            continue
        h = plot_h * seg.value / top
        y -= h
        rect = (
            f'<rect class="seg {_a(seg.kind)}" x="{left:.1f}" y="{y:.1f}" width="{width:.1f}"'
            f' height="{h:.1f}" fill="{FILLS.get(seg.kind, FILLS["bar"])}">'
            f"<title>{_t(seg.title or str(seg.value))}</title></rect>"
        )
        out.append(_link(seg.href, rect))
    centre = x + slot / 2
    if chart.show_totals:
        total = f'<text class="total" x="{centre:.1f}" y="{y - 3:.1f}" text-anchor="middle">'
        out.append(_link(bar.href, f"{total}{bar.total}</text>"))
    at = x if chart.edge_labels else centre
    for line, text in ((13, bar.label), (25, bar.sublabel)):
        if text:
            out.append(
                f'<text class="x-tick" x="{at:.1f}" y="{base + line}" text-anchor="middle">'
                f"{_t(text)}</text>"
            )
    return out


def _link(href: str | None, inner: str) -> str:
    return f'<a href="{_a(href)}">{inner}</a>' if href else inner


def _t(text: str) -> str:
    return escape(text, quote=False)


def _a(text: str) -> str:
    return escape(text, quote=True)


def month_bars(
    labels: Sequence[tuple[int, int]], segments: Sequence[tuple[Segment, ...]]
) -> tuple[Bar, ...]:
    """Bars for (year, month) labels: the month's number under each, the year under the first
    and under each January."""
    return tuple(
        Bar(
            f"{month:02d}",
            segs,
            sublabel=str(year) if i == 0 or month == 1 else "",
        )
        for i, ((year, month), segs) in enumerate(zip(labels, segments, strict=True))
    )
