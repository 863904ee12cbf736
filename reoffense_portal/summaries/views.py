"""Download the printable summaries: staff from the admin (drafts too), residents from a published plan's page."""

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from councils.models import Meeting
from plans.models import Plan

from .documents import Document, MeetingReport, PlanSummary
from .typesetting import PdfRenderError

logger = logging.getLogger(__name__)

PLAN_RELATIONS = ("municipality__prefecture", "department")
MEETING_RELATIONS = ("council__plan__municipality__prefecture", "council__plan__department")


def _pdf_response(request, document: Document, *, private: bool) -> HttpResponse:
    """The PDF, or 304 when the reader's copy is current (the ETag is the hash of the printed content).

    Every reader revalidates (no-cache): a plan taken back to draft must answer 404
    at once, also through shared caches; a revalidation costs an HTML render, not a PDF.
    """
    etag = f'"{document.cache_key.rsplit(":", 1)[-1][:32]}"'
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = HttpResponse(document.pdf(), content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=False, filename=document.filename
        )
    response["ETag"] = etag
    if private:
        patch_cache_control(response, private=True, no_cache=True)
    else:
        patch_cache_control(response, public=True, no_cache=True)
    return response


@require_safe
def plan_summary(request, pk: int):
    """Residents: the 概要版 of a published (or archived) plan. Drafts answer 404, whoever asks."""
    plan = get_object_or_404(Plan.objects.published().select_related(*PLAN_RELATIONS), pk=pk)
    try:
        return _pdf_response(request, PlanSummary(plan), private=False)
    except PdfRenderError as error:
        logger.error("Public plan summary %s failed: %s", pk, error)
        response = TemplateResponse(
            request, "pdf/unavailable.html", {"plan": plan, "message": error.message}, status=503
        )
        response["Retry-After"] = "60"
        return response


def _staff_object(queryset, request, pk: int, permission: str):
    """The object if it is in the user's municipalities (404 otherwise) and the user may view it."""
    obj = get_object_or_404(queryset.for_user(request.user), pk=pk)
    if not request.user.has_perm(permission):
        raise PermissionDenied
    return obj


def _staff_pdf(request, document: Document, change_url: str):
    try:
        return _pdf_response(request, document, private=True)
    except PdfRenderError as error:
        logger.error("Staff PDF %r failed: %s", document.filename, error)
        messages.error(request, error.message)
        return redirect(change_url)


@require_safe
def staff_plan_summary(request, pk: int):
    """Staff: the 概要版 of any plan of their municipalities, drafts marked 「案」 on every page."""
    plan = _staff_object(
        Plan.objects.select_related(*PLAN_RELATIONS), request, pk, "plans.view_plan"
    )
    return _staff_pdf(
        request, PlanSummary(plan), reverse("admin:plans_plan_change", args=[plan.pk])
    )


@require_safe
def staff_meeting_report(request, pk: int):
    """Staff: the progress report a council meeting reviews."""
    meeting = _staff_object(
        Meeting.objects.select_related(*MEETING_RELATIONS), request, pk, "councils.view_meeting"
    )
    return _staff_pdf(
        request, MeetingReport(meeting), reverse("admin:councils_meeting_change", args=[meeting.pk])
    )
