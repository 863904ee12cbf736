"""What residents reach of a パブリックコメント: the frozen 案 with its form, the thanks page, the result and its PDF.

The 案 is shown at the plan's own public URL (public.views hands an unmatched
path to `proposal_page`) from the period's first day until its result is
published; comments are accepted from the first to the last day. Everything
shown is frozen (ProposalPage, the result's HTML), never the rows staff edit.
"""

import logging

from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST, require_safe

from reoffense_portal.composition.publishing.models import PlanVersion
from reoffense_portal.machinery.limits.origins import same_site_post
from reoffense_portal.machinery.uploads import upload_response

from . import services
from .forms import COMMENTS, POSTS, CommentForm
from .models import CommentPeriod, ProposalPage

logger = logging.getLogger(__name__)


def _showing(plan_pk) -> CommentPeriod:
    period = (
        CommentPeriod.objects.showing_proposal().filter(plan_id=plan_pk)
        .select_related("plan__municipality").order_by("-starts_on").first()
    )
    if period is None:
        raise Http404("意見募集中の案ではありません。")
    return period


def _proposal_response(request, page: ProposalPage, period: CommentPeriod, *, form=None, status=200):
    plan_page = page.path == reverse("public:plan", args=[period.plan_id])
    if plan_page and form is None and period.accepts_comments():
        form = CommentForm(period=period)
    response = TemplateResponse(request, "consultation/proposal_page.html", {
        "page": page, "period": period, "municipality": period.plan.municipality, "plan_page": plan_page,
        "form": form, "accepting": period.accepts_comments(),
    }, status=status)
    # The 案 changes state at midnight (open, closed) and disappears with the result: never cached.
    patch_cache_control(response, no_cache=True, max_age=0)
    return response


def proposal_page(request) -> TemplateResponse | None:
    """The 案's page at this URL while its period shows it, or None."""
    page = (
        ProposalPage.objects.filter(path=request.path, period__in=CommentPeriod.objects.showing_proposal())
        .select_related("period__plan__municipality").order_by("-period__starts_on").first()
    )
    if page is None:
        return None
    return _proposal_response(request, page, page.period)


@same_site_post
@require_POST
def submit(request, pk):
    period = _showing(pk)
    page = get_object_or_404(period.pages, path=reverse("public:plan", args=[pk]))
    if not period.accepts_comments():
        return _proposal_response(request, page, period, status=403)
    if not POSTS.admit(request, period.pk):
        return TemplateResponse(request, "consultation/limited.html", {"period": period}, status=429)
    form = CommentForm(request.POST, period=period)
    if form.is_robot:
        # Answer a robot as if it had succeeded, and store nothing.
        return HttpResponseRedirect(reverse("consultation:thanks", args=[pk]))
    if not form.is_valid():
        return _proposal_response(request, page, period, form=form, status=400)
    if not COMMENTS.admit(request, period.pk):  # only comments received count (.forms)
        return TemplateResponse(request, "consultation/limited.html", {"period": period}, status=429)
    data = form.cleaned_data
    services.receive(period, section=data["section"], opinion=data["opinion"], name=data.get("name", ""),
                     address=data.get("address", ""))
    return HttpResponseRedirect(reverse("consultation:thanks", args=[pk]))


@require_safe
def thanks(request, pk):
    period = _showing(pk)
    return TemplateResponse(request, "consultation/thanks.html", {"period": period})


@require_safe
def proposal_document(request, pk, period_pk):
    """The 案's own document (本文), while the 案 is shown."""
    period = _showing(pk)
    if period.pk != period_pk or not period.document:
        raise Http404("ファイルが見つかりません。")
    return upload_response(period.document, period.proposal_title)


def _published(pk, period_pk) -> CommentPeriod:
    return get_object_or_404(
        CommentPeriod.objects.with_result().select_related("plan__municipality"), pk=period_pk, plan_id=pk
    )


@require_safe
def result(request, pk, period_pk):
    """「意見の概要と市の考え方」 as published."""
    period = _published(pk, period_pk)
    return TemplateResponse(request, "consultation/result_page.html", {
        "period": period, "plan_is_live": PlanVersion.objects.live().filter(plan_id=pk).exists(),
    })


@require_safe
def result_pdf(request, pk, period_pk):
    """The result in the city's usual table format, as the job worker typeset it when it was published."""
    period = _published(pk, period_pk)
    if period.result_pdf is None:
        services.requeue_result_pdf(period)
        response = TemplateResponse(request, "pdf/pending.html", {
            "retry": 10, "plan": {"title": period.proposal_title, "get_absolute_url": period.result_url()},
            "document_label": "意見の概要と考え方のPDF",
        }, status=503)
        response["Retry-After"] = "10"
        patch_cache_control(response, no_store=True)
        return response
    response = HttpResponse(bytes(period.result_pdf), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, f"{period.proposal_title}_意見の概要と{period.view_heading}.pdf")
    return response

