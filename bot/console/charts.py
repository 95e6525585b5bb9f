"""Charts drawn on the server as inline SVG (no JavaScript, no Node.js, readable on a phone)."""

from __future__ import annotations

from html import escape
from typing import Any

CATEGORIES = ("hazard", "security", "dispute", "service")


def stacked_bars(
    days: list[dict[str, Any]], colours: dict[str, str], names: dict[str, str], *, height: int = 180
) -> str:
    """Tickets per day, stacked by category, as an SVG with a legend and a y axis."""
    width, left, bottom, top = 640, 28, 22, 8
    plot_h = height - bottom - top
    peak = max([sum(d.get(c, 0) for c in CATEGORIES) for d in days] + [1])
    step = max(1, -(-peak // 4))
    peak = step * 4
    n = max(len(days), 1)
    slot = (width - left) / n
    bar = max(2.0, slot * 0.7)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="每日工单（按类别）" '
        f'preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg">'
    ]
    for k in range(5):
        y = top + plot_h - plot_h * k / 4
        parts.append(f'<line x1="{left}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        parts.append(
            f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end" fill="#6b7280">{step * k}</text>'
        )
    for i, day in enumerate(days):
        x = left + i * slot + (slot - bar) / 2
        y = top + plot_h
        tip = [day["date"]]
        for cat in CATEGORIES:
            value = int(day.get(cat, 0))
            if not value:
                continue
            h = plot_h * value / peak
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colours[cat]}" '
                f'data-category="{cat}" data-count="{value}"/>'
            )
            tip.append(f"{names[cat]} {value}")
        parts.append(
            f'<rect x="{left + i * slot:.1f}" y="{top}" width="{slot:.1f}" height="{plot_h}" fill="transparent">'
            f"<title>{escape(' · '.join(tip))}</title></rect>"
        )
        if n <= 31 and (i % max(1, n // 8) == 0 or i == n - 1):
            parts.append(
                f'<text x="{left + i * slot + slot / 2:.1f}" y="{height - 6}" font-size="10" '
                f'text-anchor="middle" fill="#6b7280">{escape(day["date"][5:])}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def share_bar(parts: list[tuple[str, int, str]]) -> str:
    """One horizontal bar split into labelled shares: [(label, count, colour), ...]."""
    total = sum(n for _, n, _ in parts) or 1
    segments = "".join(
        f'<span style="width:{n * 100 / total:.2f}%;background:{colour}" title="{escape(label)} {n}"></span>'
        for label, n, colour in parts
        if n
    )
    return f'<div class="sharebar">{segments}</div>'
