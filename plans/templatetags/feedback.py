"""{% feedback_form municipality plan_id page_title %}: the page survey at the foot of a page."""

from django import template

from plans.feedback import FeedbackForm

register = template.Library()


@register.inclusion_tag("plans/_feedback_form.html", takes_context=True)
def feedback_form(context, municipality, plan_id=None, page_title=""):
    request = context["request"]
    form = FeedbackForm(
        initial={
            "municipality": municipality.code,
            "plan": plan_id,
            "page_path": request.path,
            "page_title": page_title,
        }
    )
    return {"form": form, "csrf_token": context.get("csrf_token")}
