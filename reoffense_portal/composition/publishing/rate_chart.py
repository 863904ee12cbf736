"""The small bar chart of a priority area's 実施率 by fiscal year, drawn like the KPI charts (reoffense_portal.machinery.charts).

The same machinery: matplotlib, text as <text> in BIZ UD Gothic, CSS turned
into presentation attributes for the Content-Security-Policy, an `aria-label`
that reads the figures, and a table beside it on the page. Cached under a hash
of the data.
"""

import hashlib

from django.core.cache import cache

from reoffense_portal.machinery.charts import LINE_COLOUR, font_properties, inline_svg, svg_of


def rate_chart_svg(title: str, bars: list[tuple[str, float | None, str]]) -> str:
    """An inline <svg> of (year label, rate in percent or None, its label) bars on a 0–100 % scale."""
    data = (title, tuple(bars))
    key = "rate-chart:v3:" + hashlib.sha256(repr(data).encode()).hexdigest()
    svg = cache.get(key)
    if svg is None:
        svg = _render(title, bars)
        cache.set(key, svg, timeout=None)
    return svg


def _render(title: str, bars: list[tuple[str, float | None, str]]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    font = font_properties()
    figure = Figure(figsize=(3.6, 2.2), dpi=100)
    axes = figure.add_subplot()
    positions = range(len(bars))
    heights = [rate or 0 for _, rate, _ in bars]
    axes.bar(positions, heights, width=0.6, color=LINE_COLOUR)
    for position, (_, rate, text) in zip(positions, bars, strict=True):
        axes.annotate(text, (position, rate or 0), textcoords="offset points", xytext=(0, 3), ha="center",
                      fontproperties=font, fontsize=8, color="#222222")
    axes.set_xticks(list(positions), [label for label, _, _ in bars], fontproperties=font, fontsize=8)
    margin = max(0, 5 - len(bars)) / 2  # room for five years, so one year's bar is not half the chart wide
    axes.set_xlim(-0.6 - margin, len(bars) - 0.4 + margin)
    axes.set_ylim(0, 118)
    axes.set_yticks([0, 50, 100], ["0%", "50%", "100%"], fontproperties=font, fontsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", color="#dddddd", linewidth=0.8)
    axes.set_axisbelow(True)
    figure.tight_layout()

    label = f"{title}の実施率の推移：" + "、".join(f"{year} {text}" for year, _, text in bars)
    return inline_svg(svg_of(figure), label)
