"""Server-rendered SVG charts of an indicator, the same on pages and in PDFs.

matplotlib draws the chart. For pages, text is turned into paths so the SVG
looks the same in every browser whatever fonts the reader has; PDFs ask for
text set in BIZ UD Gothic instead, which WeasyPrint has and lays out far
faster than thousands of glyph paths. Screen readers get the `aria-label`
here and the data table the page puts beside it. matplotlib's CSS (a
<style> element and style="…" attributes) becomes SVG presentation
attributes, which draw the same and are no inline CSS for the site's
Content-Security-Policy to refuse.
The SVG is cached under a hash of the data it shows, so a change to the data
is a new key and nothing needs invalidating.
"""

import hashlib
import io
import re
from pathlib import Path

from django.core.cache import cache
from django.utils.html import escape

from plans import disclosure

FONT_PATHS = [
    Path("/usr/share/fonts/truetype/bizud-gothic/BIZUDGothic-Regular.ttf"),
    Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"),
]
# matplotlib's whole stylesheet (`*{stroke-linejoin: round; stroke-linecap: butt}`) and its style attributes.
STYLE_ELEMENT = re.compile(r"\s*<style[^>]*>\*\{([^}]*)\}</style>")
STYLE_ATTRIBUTE = re.compile(r'\sstyle="([^"]*)"')
LINE_COLOUR = "#1d5fa6"
TARGET_COLOUR = "#b3261e"
BASELINE_COLOUR = "#5f6b7a"


def font_properties():
    from matplotlib import font_manager

    for path in FONT_PATHS:
        if path.exists():
            font_manager.fontManager.addfont(str(path))
            # By family name, so an SVG that keeps its text names the font (BIZ UDGothic) too.
            return font_manager.FontProperties(family=font_manager.FontProperties(fname=str(path)).get_name())
    return font_manager.FontProperties()


def chart_data(indicator, *, public: bool = False) -> dict:
    """What the chart shows, from prefetched values (no query when prefetched).

    Points sit at their years, so gaps between years show as gaps. The baseline is drawn even when it
    is not also a yearly value, and the target at its year, labelled in its own period kind. In public,
    a small count about people (plans.disclosure) is not drawn; its year says 「3人未満」 instead.
    """
    values = sorted(indicator.values.all(), key=lambda v: v.year)
    points = []
    for v in values:
        masked = public and disclosure.is_small_count(v.value, indicator.unit)
        points.append((v.year, indicator.period_label(v.year), None if masked else float(v.value),
                       indicator.quantity_label(v.value, public=public)))
    baseline = None
    if indicator.baseline_value is not None and indicator.baseline_year is not None:
        masked = public and disclosure.is_small_count(indicator.baseline_value, indicator.unit)
        baseline = (indicator.baseline_year, indicator.period_label(indicator.baseline_year),
                    None if masked else float(indicator.baseline_value),
                    indicator.quantity_label(indicator.baseline_value, public=public))
    return {
        "name": indicator.name,
        "unit": indicator.unit,
        "points": points,
        "baseline": baseline,
        "target": None if indicator.target_value is None else float(indicator.target_value),
        "target_label": indicator.target_label,
        "target_year": indicator.target_year,
        "target_period": indicator.target_period_label(),
    }


def indicator_chart_svg(indicator, *, text_as_paths: bool = True, public: bool = False) -> str:
    """An inline <svg> of the indicator's baseline, yearly values and target; '' without values."""
    data = chart_data(indicator, public=public)
    if not data["points"]:
        return ""
    # v3: baseline and target drawn at their years; a shared cache may still hold the earlier SVGs.
    key = f"chart:v3:{'paths' if text_as_paths else 'text'}:" + hashlib.sha256(
        repr(sorted(data.items())).encode()
    ).hexdigest()
    svg = cache.get(key)
    if svg is None:
        svg = _render(data, text_as_paths)
        cache.set(key, svg, timeout=None)
    return svg


def _tick_label(label: str) -> str:
    """平成29年～令和元年平均 on two lines, so multi-year averages fit under their points."""
    return label.replace("～", "～\n")


def _render(data: dict, text_as_paths: bool = True) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    font = font_properties()
    ticks = {year: label for year, label, _, _ in data["points"]}
    drawn = [(year, value) for year, _, value, _ in data["points"] if value is not None]
    plotted = [value for _, value in drawn]

    figure = Figure(figsize=(6.4, 3.2), dpi=100)
    axes = figure.add_subplot()
    axes.plot([year for year, _ in drawn], plotted, marker="o", color=LINE_COLOUR, linewidth=2, label="実績")
    for year, _, value, text in data["points"]:
        if value is None:  # a masked small count: its label instead of its point
            axes.annotate(text, (year, 0), textcoords="offset points", xytext=(0, 4), ha="center",
                          fontproperties=font, fontsize=8, color="#222222")
        else:
            axes.annotate(f"{value:,.10g}", (year, value), textcoords="offset points", xytext=(0, 7),
                          ha="center", fontproperties=font, fontsize=9, color="#222222")
    if data["baseline"] is not None:
        year, label, value, text = data["baseline"]
        if value is None and year not in ticks:  # a masked small count: its label instead of its point
            axes.annotate(text, (year, 0), textcoords="offset points", xytext=(0, 4), ha="center",
                          fontproperties=font, fontsize=8, color="#222222")
        if value is not None:
            plotted.append(value)
            axes.plot([year], [value], marker="s", markersize=8, linestyle="none", color=BASELINE_COLOUR,
                      label=f"基準値（{label}）")
            if year not in ticks:  # a value of that year is labelled already
                axes.annotate(f"{value:,.10g}", (year, value), textcoords="offset points", xytext=(0, 8),
                              ha="center", fontproperties=font, fontsize=9, color="#222222")
        ticks.setdefault(year, label)
    if data["target"] is not None:
        plotted.append(data["target"])
        axes.axhline(data["target"], color=TARGET_COLOUR, linestyle="--", linewidth=1.5,
                     label=f"目標 {data['target_period']} {data['target_label']}".replace("  ", " "))
        if data["target_year"] is not None:
            ticks.setdefault(data["target_year"], data["target_period"])
            axes.plot([data["target_year"]], [data["target"]], marker="*", markersize=12, linestyle="none",
                      color=TARGET_COLOUR)
    years = sorted(ticks)
    axes.set_xticks(years, [_tick_label(ticks[year]) for year in years], fontproperties=font, fontsize=8)
    axes.set_xlim(years[0] - 0.5, years[-1] + 0.5)
    axes.set_ylabel(data["unit"], fontproperties=font, rotation=0, labelpad=12)
    for tick in axes.get_yticklabels():
        tick.set_fontproperties(font)
    low, high = min(plotted, default=0), max(plotted, default=1)
    axes.set_ylim(0 if low >= 0 else low * 1.15, high * 1.18 if high > 0 else 1)
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", color="#dddddd", linewidth=0.8)
    axes.legend(prop=font, frameon=False, loc="best", fontsize=9)
    figure.tight_layout()

    buffer = io.StringIO()
    svg_settings = {
        "svg.fonttype": "path" if text_as_paths else "none",
        "svg.hashsalt": "reoffense-portal",  # stable ids, so the same data gives the same bytes
    }
    with matplotlib.rc_context(svg_settings):  # for this drawing only, whatever other threads draw
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return _inline(buffer.getvalue(), data)


def _presentation_attributes(declarations: str) -> str:
    """`fill: #1d5fa6; stroke-width: 2` as ` fill="#1d5fa6" stroke-width="2"` (every property matplotlib
    writes is also an SVG presentation attribute; the values are XML-escaped already)."""
    pairs = (declaration.split(":", 1) for declaration in declarations.split(";") if declaration.strip())
    return "".join(f' {name.strip()}="{value.strip()}"' for name, value in pairs)


def _inline(svg: str, data: dict) -> str:
    baseline_year = data["baseline"][0] if data["baseline"] is not None else None
    points = "、".join(
        f"{label}{'（基準値）' if year == baseline_year else ''} {text}" for year, label, _, text in data["points"]
    )
    label = f"{data['name']}の推移："
    if baseline_year is not None and all(year != baseline_year for year, *_ in data["points"]):
        label += f"基準値 {data['baseline'][1]} {data['baseline'][3]}。"
    label += points
    if data["target"] is not None:
        label += f"。目標 {data['target_period']} {data['target_label']}".replace("  ", " ")
    return inline_svg(svg, label)


def inline_svg(svg: str, label: str) -> str:
    """Matplotlib's SVG ready to inline under the Content-Security-Policy: drop the XML prologue, turn
    CSS into presentation attributes (the stylesheet's onto the root, whose children inherit them) and
    label the root element for assistive technology."""
    svg = svg[svg.index("<svg"):]
    root_style = STYLE_ELEMENT.search(svg)
    if root_style:
        svg = STYLE_ELEMENT.sub("", svg, count=1)
        svg = re.sub(r"<svg\b", "<svg" + _presentation_attributes(root_style.group(1)), svg, count=1)
    svg = STYLE_ATTRIBUTE.sub(lambda style: _presentation_attributes(style.group(1)), svg)
    svg = re.sub(r"<svg\b", f'<svg role="img" aria-label="{escape(label)}" focusable="false"', svg, count=1)
    return re.sub(r'\s(width|height)="[^"]*pt"', "", svg, count=2)
