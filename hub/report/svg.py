"""Small inline SVG bar charts for the HTML report: no scripts, no fonts, no external assets.

Output is a pure function of the input (fixed sizes, integer coordinates), so the same figures
always give the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

LABEL_W, BAR_W, VALUE_W = 190, 360, 130
ROW_H, BAR_H, TOP = 22, 14, 28
COLORS = ("#1f5f8b", "#e08a1e", "#3a8c4a", "#b03a2e", "#6c4f9c")
NEGATIVE = "#b03a2e"


def bars(title: str, items: Sequence[tuple[str, int]], fmt: Callable[[int], str],
         color: str = COLORS[0]) -> str:
    """A horizontal bar chart, one bar per (label, value)."""
    return grouped(title, [label for label, _ in items],
                   [("", color, [value for _, value in items])], fmt)


def grouped(title: str, categories: Sequence[str],
            series: Sequence[tuple[str, str, Sequence[int]]], fmt: Callable[[int], str]) -> str:
    """Horizontal bars per category, one per series (name, colour, values), with a legend."""
    named = [s for s in series if s[0]]
    top = TOP + (18 if named else 0)
    group_h = ROW_H * len(series) + (8 if len(series) > 1 else 0)
    width = LABEL_W + BAR_W + VALUE_W
    height = top + group_h * max(len(categories), 1) + 8
    scale = max((abs(v) for _, _, values in series for v in values), default=0) or 1
    parts = [f'<svg role="img" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" '
             f'font-size="12">', f"<title>{escape(title)}</title>",
             f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>']
    parts += _legend(named)
    if not categories:
        parts.append(f'<text x="0" y="{top + 14}" fill="#555">geen gegevens</text>')
    for i, category in enumerate(categories):
        y0 = top + i * group_h
        parts.append(f'<text x="{LABEL_W - 8}" y="{y0 + BAR_H}" text-anchor="end">'
                     f"{escape(category)}</text>")
        for j, (_, color, values) in enumerate(series):
            parts.append(_bar(y0 + j * ROW_H, values[i], scale, color, fmt))
    parts.append("</svg>")
    return "".join(parts)


def _bar(y: int, value: int, scale: int, color: str, fmt: Callable[[int], str]) -> str:
    length = round(BAR_W * abs(value) / scale)
    fill = NEGATIVE if value < 0 else color
    return (f'<rect x="{LABEL_W}" y="{y + 2}" width="{length}" height="{BAR_H}" '
            f'fill="{fill}"/><text x="{LABEL_W + length + 6}" y="{y + BAR_H}">'
            f"{escape(fmt(value))}</text>")


def _legend(series: Sequence[tuple[str, str, Sequence[int]]]) -> list[str]:
    parts, x = [], LABEL_W
    for name, color, _ in series:
        parts.append(f'<rect x="{x}" y="{TOP - 4}" width="12" height="12" fill="{color}"/>'
                     f'<text x="{x + 16}" y="{TOP + 6}">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    return parts
