"""The weekly trend as an SVG drawn on the server: no chart library, no script, nothing fetched.

The drawing uses presentation attributes only (no style attributes), so the page's Content
Security Policy needs no exception; the same numbers are given as a table beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from lms.reports.figures import Week

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 10, 12, 44


@dataclass(frozen=True)
class Series:
    name: str  # the Week attribute
    label: str
    colour: str
    dash: str = ""


_TOPS = sorted({4, 8} | {m * 10**k for m in (2, 4, 6, 8, 10) for k in range(1, 10)})


def _nice_top(value: int) -> int:
    """A round number at or above the largest value whose quarters are whole numbers."""
    return next(top for top in _TOPS if top >= value)


def trend_svg(weeks: list[Week], series: list[Series], title: str) -> Markup:
    """A line per series over the weeks, with a labelled vertical axis and month ticks."""
    top = _nice_top(max([getattr(week, s.name) for week in weeks for s in series] or [0]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(1, len(weeks) - 1)

    def x(index: int) -> float:
        return LEFT + index * step

    def y(value: int) -> float:
        return TOP + plot_h - plot_h * value / top

    parts = [
        f'<svg class="trend" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="trend-title" '
        'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">',
        f'<title id="trend-title">{escape(title)}</title>',
    ]
    for tick in range(5):
        value = top * tick // 4
        parts.append(
            f'<line x1="{LEFT}" y1="{y(value):.1f}" x2="{WIDTH - RIGHT}" y2="{y(value):.1f}" stroke="#d5d9de" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="15" fill="#555d66">{value}</text>'
        )
    for index, week in enumerate(weeks):
        if week.start.day <= 7:  # the first week of a month
            parts.append(
                f'<text x="{x(index):.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle" font-size="15" '
                f'fill="#555d66">{week.start.month:02d}/{week.start.year % 100:02d}</text>'
            )
    for s in series:
        points = " ".join(f"{x(i):.1f},{y(getattr(week, s.name)):.1f}" for i, week in enumerate(weeks))
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        parts.append(f'<polyline fill="none" stroke="{s.colour}" stroke-width="2.5"{dash} points="{points}"/>')
    legend_x = LEFT
    for s in series:
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        parts.append(
            f'<line x1="{legend_x}" y1="{HEIGHT - 6}" x2="{legend_x + 22}" y2="{HEIGHT - 6}" stroke="{s.colour}" '
            f'stroke-width="2.5"{dash}/><text x="{legend_x + 27}" y="{HEIGHT - 2}" font-size="15" fill="#1b1f24">'
            f"{escape(s.label)}</text>"
        )
        legend_x += 40 + 8 * len(s.label)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every text in it is escaped above)
