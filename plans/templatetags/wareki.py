"""Template filters for Japanese eras: {{ 2024|fiscal_year }} → 令和6年度（2024年度）."""

from django import template

from reoffense_portal.machinery import eras

register = template.Library()


@register.filter
def fiscal_year(value: int) -> str:
    """令和6年度（2024年度）."""
    return eras.fiscal_year_full_label(int(value)) if value not in (None, "") else ""


@register.filter
def fiscal_year_short(value: int) -> str:
    """令和6年度."""
    return eras.fiscal_year_label(int(value)) if value not in (None, "") else ""


@register.filter
def wareki(day) -> str:
    """A date in 和暦: 令和6年12月24日."""
    return eras.japanese_date(day) if day else ""
