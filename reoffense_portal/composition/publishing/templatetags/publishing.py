"""{% awaiting_approval as requests %}: the 承認待ち list of the admin index, for the user's municipalities."""

from django import template

from ..models import ApprovalRequest

register = template.Library()


@register.simple_tag(takes_context=True)
def awaiting_approval(context):
    user = context["request"].user
    return list(ApprovalRequest.objects.pending().for_user(user).select_related("plan", "submitted_by")[:50])
