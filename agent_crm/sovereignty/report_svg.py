"""Small inline SVG charts for the self-contained HTML reports (no script, no external resource)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = ("#2f6db5", "#3b9a6b", "#d08a2e", "#b5453b", "#7a5bb5", "#2e9fb0", "#8c8c8c")
POSITIVE, NEGATIVE = "#3b9a6b", "#b5453b"


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 or float(v).is_integer() else f"{v:,.2f}"


def bar_chart(title: str, items: Sequence[tuple[str, float]], *, unit: str = "", width: int = 640) -> str:
    """Return a horizontal bar chart (one bar per label) as an ``<svg>`` element."""
    if not items:
        return ""
    label_w, row_h, top = 190, 24, 28
    plot_w = width - label_w - 70
    peak = max((v for _, v in items), default=0) or 1
    height = top + row_h * len(items) + 8
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(title)}" class="chart">',
             f'<text x="0" y="16" class="chart-title">{escape(title)}</text>']
    for i, (label, value) in enumerate(items):
        y = top + i * row_h
        w = max(1.0, plot_w * value / peak) if value > 0 else 0
        color = PALETTE[i % len(PALETTE)]
        short = label if len(label) <= 28 else label[:27] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{escape(short)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" fill="{color}">'
                     f'<title>{escape(label)}: {_num(value)}{escape(unit)}</title></rect>')
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 15}">{_num(value)}{escape(unit)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def diverging_bars(title: str, items: Sequence[tuple[str, float]], *, unit: str = "%", width: int = 640) -> str:
    """Return a diverging bar chart (negative values left, positive right of a centre line) as ``<svg>``."""
    if not items:
        return ""
    label_w, row_h, top = 190, 22, 28
    half = (width - label_w - 20) / 2
    centre = label_w + half
    peak = max((abs(v) for _, v in items), default=0) or 1
    height = top + row_h * len(items) + 8
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(title)}" class="chart">',
             f'<text x="0" y="16" class="chart-title">{escape(title)}</text>',
             f'<line x1="{centre}" y1="{top - 4}" x2="{centre}" y2="{height - 4}" stroke="#999"/>']
    for i, (label, value) in enumerate(items):
        y = top + i * row_h
        w = (half - 40) * abs(value) / peak
        x = centre if value >= 0 else centre - w
        color = POSITIVE if value >= 0 else NEGATIVE
        short = label if len(label) <= 28 else label[:27] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{y + 14}" text-anchor="end">{escape(short)}</text>')
        parts.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row_h - 8}" fill="{color}">'
                     f'<title>{escape(label)}: {value:+.1f}{escape(unit)}</title></rect>')
        tx = centre + w + 4 if value >= 0 else centre - w - 4
        anchor = "start" if value >= 0 else "end"
        parts.append(f'<text x="{tx:.1f}" y="{y + 14}" text-anchor="{anchor}">{value:+.1f}{escape(unit)}</text>')
    parts.append("</svg>")
    return "".join(parts)
