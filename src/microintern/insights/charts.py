"""Server-rendered, accessible SVG bar charts (no JavaScript; CSP-safe: no style attributes).

Each chart is ``role="img"`` with a ``<title>`` and a ``<desc>`` that lists every value, and
the page shows the same figures in a data table beside it. Suppressed values draw no bar
and are described as "not shown (small numbers)".
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import mark_safe

WIDTH, LABEL, ROW, TOP, RIGHT = 640, 210, 30, 30, 60
# Text is 13 units in a 640-unit-wide drawing: the page never draws a chart narrower than
# 600 px (site.css), so it reads at 12 px or more; a narrow screen scrolls the figure.


def _describe(value, low, high, kind) -> str:
    if value is None:
        return "not shown (small numbers)"
    if kind == "proportion":
        return f"{100 * value:.1f}% (95% interval {100 * low:.1f}% to {100 * high:.1f}%)"
    return f"{value:.2f} (95% interval {low:.2f} to {high:.2f})"


def _percent(value: float) -> str:
    """A tick's percentage as read: 2.5, not a rounded 2; 5, not 5.0."""
    return f"{100 * value:.1f}".removesuffix(".0")


def bar_chart(chart: dict, chart_id: str) -> str:
    bars = chart["bars"]
    kind = chart["kind"]
    highs = [h for _, v, _, h in bars if v is not None and h is not None]
    scale_max = max([0.05 if kind == "proportion" else 2.0, *highs])
    plot = WIDTH - LABEL - RIGHT
    height = TOP + ROW * len(bars) + 30

    def x(value: float) -> float:
        return LABEL + plot * min(value, scale_max) / scale_max

    title = escape(chart["title"])
    desc = escape(
        "; ".join(f"{label}: {_describe(v, lo, hi, kind)}" for label, v, lo, hi in bars)
        or "No data."
    )
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{title}</title>',
        f'<desc id="{chart_id}-desc">{desc}</desc>',
        f'<text x="{LABEL}" y="18" font-size="13" fill="#1f1f1f">{escape(chart["axis"])}</text>',
    ]
    for i, (label, value, low, high) in enumerate(bars):
        y = TOP + i * ROW
        parts.append(
            f'<text x="{LABEL - 8}" y="{y + 19}" font-size="13" text-anchor="end" '
            f'fill="#1f1f1f">{escape(label[:32])}</text>'
        )
        if value is None:
            parts.append(
                f'<text x="{LABEL + 4}" y="{y + 19}" font-size="13" fill="#505050">..</text>'
            )
            continue
        parts.append(
            f'<rect x="{LABEL}" y="{y + 6}" width="{max(x(value) - LABEL, 1):.0f}" height="18" '
            f'fill="#1d5e8c"/>'
        )
        if low is not None and high is not None:
            parts.append(
                f'<line x1="{x(low):.0f}" x2="{x(high):.0f}" y1="{y + 15}" y2="{y + 15}" '
                f'stroke="#b35900" stroke-width="2"/>'
            )
    bottom = TOP + ROW * len(bars)
    parts.append(f'<line x1="{LABEL}" x2="{LABEL}" y1="{TOP}" y2="{bottom}" stroke="#1f1f1f"/>')
    ticks = (0, 0.5, 1) if kind == "ratio" else (0, 0.5, 1.0)
    for fraction in ticks:
        value = scale_max * fraction
        label = f"{_percent(value)}%" if kind == "proportion" else f"{value:.1f}"
        parts.append(
            f'<text x="{x(value):.1f}" y="{bottom + 18}" font-size="13" text-anchor="middle" '
            f'fill="#1f1f1f">{label}</text>'
        )
    if kind == "ratio":
        parts.append(
            f'<line x1="{x(1):.1f}" x2="{x(1):.1f}" y1="{TOP}" y2="{bottom}" '
            f'stroke="#1f1f1f" stroke-dasharray="4 3"/>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
