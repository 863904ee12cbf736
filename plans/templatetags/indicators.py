"""Template tags for the public KPI sections: {{ indicator|public_chart_svg }}, {{ value|public_quantity:indicator }}.

Everything here is what residents read: small counts about people are masked (reoffense_portal.machinery.disclosure).
"""

from django import template
from django.utils.safestring import mark_safe

from plans.models import ACHIEVEMENT_RULE
from reoffense_portal.machinery import disclosure
from reoffense_portal.machinery.charts import indicator_chart_svg

register = template.Library()


@register.filter
def public_chart_svg(indicator) -> str:
    """The indicator's inline SVG chart, small counts masked (built by matplotlib, labels escaped there);
    '' without values."""
    return mark_safe(indicator_chart_svg(indicator, public=True))


@register.filter
def public_quantity(value, indicator) -> str:
    """1,107人, or 3人未満 for a small count about people; '' for a missing value."""
    return indicator.quantity_label(value, public=True)


@register.simple_tag
def small_number_note() -> str:
    """The note beside masked figures: what 「3人未満」 means."""
    return disclosure.note()


@register.simple_tag
def small_number_rule() -> str:
    """The small-number rule with the threshold in force, for the data policy page."""
    return disclosure.rule_text()


@register.simple_tag
def achievement_rule() -> str:
    """How 達成率 is computed and rounded (小数第2位を四捨五入), stated wherever it is shown."""
    return ACHIEVEMENT_RULE
