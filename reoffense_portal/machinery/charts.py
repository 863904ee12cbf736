"""Server-rendered SVG charts of an indicator, the same on pages and in PDFs.

matplotlib draws the chart with its text as SVG <text> in BIZ UD Gothic, the
font it measured: a few kilobytes instead of tens of glyph outlines, text a
reader can select and find on the page, and fast for WeasyPrint, which embeds
that font. The font is named once on the root, with sans-serif after it; the
site's stylesheet lets inline charts take the page's Japanese font stack.
Screen readers get the `aria-label` here and the data table the page puts
beside it. matplotlib's CSS (a <style> element and style="…" attributes)
becomes SVG presentation attributes, which draw the same and are no inline CSS
for the site's Content-Security-Policy to refuse; what draws nothing
(metadata, unreferenced ids, bare groups, coordinates finer than 1/100 of a
unit, indentation) is left out, so a plan page with ten charts stays small.
The SVG is cached under a hash of the data it shows, so a change to the data
is a new key and nothing needs invalidating.
"""

import hashlib
import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from django.core.cache import cache
from django.utils.html import escape

from reoffense_portal.machinery import disclosure

FONT_PATHS = [
    Path("/usr/share/fonts/truetype/bizud-gothic/BIZUDGothic-Regular.ttf"),
    Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"),
]
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
XLINK_NAMESPACE = "http://www.w3.org/1999/xlink"
SVG = "{" + SVG_NAMESPACE + "}"
# matplotlib's whole stylesheet: `*{stroke-linejoin: round; stroke-linecap: butt}`.
ROOT_STYLESHEET = re.compile(r"\*\{([^}]*)\}")
REFERENCE = re.compile(r"#([^\s\"')]+)")  # an id in `url(#p1)` or `#m2` (colours match too, harmlessly)
GEOMETRY = ("d", "x", "y", "width", "height")
DECIMAL = re.compile(r"-?\d+\.\d+")
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
    a small count about people (reoffense_portal.machinery.disclosure) is not drawn; its year says 「3人未満」 instead.
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


def indicator_chart_svg(indicator, *, public: bool = False) -> str:
    """An inline <svg> of the indicator's baseline, yearly values and target; '' without values."""
    data = chart_data(indicator, public=public)
    if not data["points"]:
        return ""
    # v4: text as <text>, compacted; a shared cache may still hold the earlier SVGs.
    key = "chart:v4:" + hashlib.sha256(repr(sorted(data.items())).encode()).hexdigest()
    svg = cache.get(key)
    if svg is None:
        svg = _render(data)
        cache.set(key, svg, timeout=None)
    return svg


def _tick_label(label: str) -> str:
    """平成29年～令和元年平均 on two lines, so multi-year averages fit under their points."""
    return label.replace("～", "～\n")


def _render(data: dict) -> str:
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

    return _inline(svg_of(figure), data)


def svg_of(figure) -> str:
    """matplotlib's SVG of the figure, its text as <text> elements and the same bytes for the same drawing."""
    import matplotlib

    buffer = io.StringIO()
    svg_settings = {
        "svg.fonttype": "none",
        "svg.hashsalt": "reoffense-portal",  # stable ids, so the same data gives the same bytes
    }
    with matplotlib.rc_context(svg_settings):  # for this drawing only, whatever other threads draw
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()


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
    """Matplotlib's SVG ready to inline under the Content-Security-Policy and small: CSS turned into
    presentation attributes (the stylesheet's onto the root, whose children inherit them), the font named
    once on the root, what draws nothing left out, and the root labelled for assistive technology."""
    root = ET.fromstring(svg)
    for element in list(root.iter()):
        for child in list(element):
            stylesheet = ROOT_STYLESHEET.fullmatch(child.text or "") if child.tag == SVG + "style" else None
            if stylesheet:
                root.attrib.update(_declarations(stylesheet.group(1)))
            if stylesheet or child.tag == SVG + "metadata":
                element.remove(child)
        element.attrib.update(_declarations(element.attrib.pop("style", "")))
    referenced = {ref for element in root.iter() for value in element.attrib.values()
                  for ref in REFERENCE.findall(value)}
    fonts = []
    for element in root.iter():
        if element.get("id") not in referenced:
            element.attrib.pop("id", None)
        if element.tag == SVG + "text":
            fonts.append(element.attrib.pop("font-family", None))
            if re.fullmatch(r"rotate\(-?0 [^)]*\)", element.get("transform", "")):  # no rotation
                del element.attrib["transform"]
        else:
            element.text = None  # indentation
        element.tail = None
        for name in GEOMETRY:
            if name in element.attrib:
                element.set(name, _compact_numbers(element.get(name)))
    _unwrap_bare_groups(root)
    for name in ("width", "height"):  # sized by the page's stylesheet; the viewBox keeps the proportions
        root.attrib.pop(name, None)
    if fonts and fonts[0]:
        root.set("font-family", f"{fonts[0]}, sans-serif")
    svg = ET.tostring(_without_namespaces(root), encoding="unicode").replace(" />", "/>")
    return re.sub(r"<svg\b", f'<svg role="img" aria-label="{escape(label)}" focusable="false"', svg, count=1)


def _declarations(css: str) -> dict:
    """`fill: #1d5fa6; stroke-width: 2` as {"fill": "#1d5fa6", "stroke-width": "2"} (every property
    matplotlib writes is also an SVG presentation attribute)."""
    pairs = (declaration.split(":", 1) for declaration in css.split(";") if declaration.strip())
    return {name.strip(): value.strip() for name, value in pairs}


def _compact_numbers(value: str) -> str:
    """`M 49.96 13.194804 \nL 449.695385 13.194804` as `M49.96 13.19L449.7 13.19`: a hundredth of a unit
    is a fiftieth of a pixel or less at the sizes the charts are shown."""
    value = DECIMAL.sub(lambda number: f"{float(number.group()):.2f}".rstrip("0").rstrip("."), value)
    value = re.sub(r"\s+", " ", value).strip()
    return re.sub(r" ?([A-Za-z]) ?", r"\1", value)


def _without_namespaces(root):
    """The tree with its namespaces written out as the plain names an HTML parser reads (`<svg xmlns=…>`,
    `xlink:href`), so the output never depends on the prefixes other libraries register with ElementTree."""
    for element in root.iter():
        element.tag = element.tag.removeprefix(SVG)
        element.attrib = {
            name.replace("{" + XLINK_NAMESPACE + "}", "xlink:"): value for name, value in element.attrib.items()
        }
    root.attrib = {"xmlns": SVG_NAMESPACE, "xmlns:xlink": XLINK_NAMESPACE, **root.attrib}
    return root


def _unwrap_bare_groups(element) -> None:
    """A <g> with no attribute left draws nothing of its own: its children take its place (an empty
    <defs> goes too)."""
    children = []
    for child in element:
        _unwrap_bare_groups(child)
        if child.tag == SVG + "g" and not child.attrib:
            children.extend(child)
        elif child.tag != SVG + "defs" or len(child):
            children.append(child)
    element[:] = children
