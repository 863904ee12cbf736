"""{% feedback_form municipality plan_id page_title %}: the page survey at the foot of a page."""

from functools import lru_cache

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from plans.feedback import FeedbackForm

register = template.Library()


@lru_cache(maxsize=4096)
def blank_fields(municipality_code: str, plan_id, page_path: str, page_title: str) -> str:
    """The survey's fields as a page first shows them, rendered once per page and process.

    They depend on these four values alone, and rendering a form's radio buttons costs more than the rest
    of a page served from its version.
    """
    form = FeedbackForm(
        initial={"municipality": municipality_code, "plan": plan_id, "page_path": page_path, "page_title": page_title}
    )
    return render_to_string("plans/_feedback_fields.html", {"form": form})


@register.inclusion_tag("plans/_feedback_form.html", takes_context=True)
def feedback_form(context, municipality, plan_id=None, page_title="", page_path=None):
    """No token of the visitor's: the form is the same for everyone, so a page can be stored and cached whole.
    Cross-site posts are refused by their Origin instead (reoffense_portal.machinery.limits.origins)."""
    fields = blank_fields(municipality.code, plan_id, page_path or context["request"].path, page_title)
    return {"fields": mark_safe(fields)}
