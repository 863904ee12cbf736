"""{% staffed_prefectures as prefectures %}: the prefectures whose staff the user is, for the admin index."""

from django import template

from reoffense_portal.composition.prefecture_staff.views import staffed_prefectures as prefectures_of

register = template.Library()


@register.simple_tag(takes_context=True)
def staffed_prefectures(context):
    user = context["request"].user
    return [] if user.is_superuser else list(prefectures_of(user))
