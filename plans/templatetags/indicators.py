"""Template filters for KPI sections: {{ indicator|chart_svg }}, {{ value|quantity:indicator.unit }}."""

from django import template
from django.utils.safestring import mark_safe

from plans.charts import indicator_chart_svg
from plans.models import format_quantity

register = template.Library()


@register.filter
def chart_svg(indicator) -> str:
    """The indicator's inline SVG chart (built by matplotlib, labels escaped there); '' without values."""
    return mark_safe(indicator_chart_svg(indicator))


@register.filter
def quantity(value, unit: str = "") -> str:
    """1107 → 1,107人; '' for a missing value."""
    return "" if value is None else format_quantity(value, unit)


@register.filter
def period_label(indicator, year) -> str:
    """{{ indicator|period_label:indicator.target_year }} → 令和7年度."""
    return indicator.period_label(int(year)) if year not in (None, "") else ""
