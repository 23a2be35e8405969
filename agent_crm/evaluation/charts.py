"""Inline SVG bar charts for the HTML report (no scripts, no fonts, no external resources)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

PALETTE = ("#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#0ea5e9", "#84cc16", "#ec4899")
"""Series colours, in order."""

WIDTH = 640
BAR_AREA_H = 200
TOP = 34
LEFT = 48
BOTTOM = 52


def _fmt(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value * 100:.0f}%"
    if value >= 100:
        return f"{value:,.0f}{unit}"
    return f"{value:.2g}{unit}" if value < 1 else f"{value:.1f}{unit}"


def _label_lines(text: str, width: int) -> list[str]:
    """Split an axis label at ``_`` or spaces into at most two lines of about ``width`` characters."""
    words = text.replace("_", " ").split()
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > 2:
        lines = [lines[0], " ".join(lines[1:])]
    return [ln if len(ln) <= width + 2 else ln[: width + 1] + "…" for ln in lines]


def bar_chart(
    title: str,
    groups: Sequence[str],
    series: Sequence[str],
    values: Mapping[tuple[str, str], float | None],
    *,
    unit: str = "",
    max_value: float | None = None,
) -> str:
    """Return a grouped vertical bar chart as an ``<svg>`` element.

    Args:
        title: chart title.
        groups: x-axis groups (e.g. decision types); one bar per series in each group.
        series: the bars of a group (e.g. model aliases), coloured from ``PALETTE``, with a legend.
        values: (group, series) -> value; None or missing draws no bar and writes ``n/a``.
        unit: ``%`` for shares in [0, 1] (shown as percentages), else a suffix such as `` ms``.
        max_value: top of the y axis (default: the largest value, or 1 for shares).
    """
    present = [v for v in values.values() if v is not None]
    top = max_value if max_value is not None else (1.0 if unit == "%" else max(present, default=1.0) or 1.0)
    height = TOP + BAR_AREA_H + BOTTOM + 28
    plot_w = WIDTH - LEFT - 12
    group_w = plot_w / max(len(groups), 1)
    bar_w = max(min((group_w - 12) / max(len(series), 1), 46.0), 4.0)
    base_y = TOP + BAR_AREA_H
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" role="img" aria-label="{escape(title)}">',
        f'<text x="{LEFT}" y="18" class="ct">{escape(title)}</text>',
    ]
    for i in range(5):
        y = base_y - BAR_AREA_H * i / 4
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - 12}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" class="ax" text-anchor="end">'
                     f"{escape(_fmt(top * i / 4, unit))}</text>")
    for gi, group in enumerate(groups):
        gx = LEFT + gi * group_w + (group_w - bar_w * len(series)) / 2
        for si, name in enumerate(series):
            x = gx + si * bar_w
            value = values.get((group, name))
            if value is None:
                parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{base_y - 4}" class="na" '
                             f'text-anchor="middle">n/a</text>')
                continue
            h = BAR_AREA_H * min(max(value / top, 0.0), 1.0) if top else 0.0
            colour = PALETTE[si % len(PALETTE)]
            parts.append(f'<rect x="{x + 1:.1f}" y="{base_y - h:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" '
                         f'fill="{colour}"><title>{escape(f"{group} · {name}: {_fmt(value, unit)}")}</title></rect>')
            if bar_w >= 22:
                parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{base_y - h - 3:.1f}" class="val" '
                             f'text-anchor="middle">{escape(_fmt(value, unit))}</text>')
        cx = LEFT + gi * group_w + group_w / 2
        for li, line in enumerate(_label_lines(group, max(int(group_w / 6), 6))):
            parts.append(f'<text x="{cx:.1f}" y="{base_y + 16 + 12 * li}" class="ax" '
                         f'text-anchor="middle">{escape(line)}</text>')
    lx = LEFT
    for si, name in enumerate(series):
        parts.append(f'<rect x="{lx}" y="{height - 14}" width="10" height="10" '
                     f'fill="{PALETTE[si % len(PALETTE)]}"/>')
        parts.append(f'<text x="{lx + 14}" y="{height - 5}" class="ax">{escape(name)}</text>')
        lx += 24 + 7 * len(name)
    parts.append("</svg>")
    return "".join(parts)
