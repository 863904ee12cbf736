"""{% plan_dashboards as boards %}: the 今年度の未入力・予定 module of the admin index."""

from django import template

from reoffense_portal.composition.dashboard import plan_dashboards as dashboards_of

register = template.Library()


@register.simple_tag(takes_context=True)
def plan_dashboards(context):
    return dashboards_of(context["request"].user)
