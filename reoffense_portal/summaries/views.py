"""Staff download the printable summaries of their plans' working rows from the admin, drafts marked 「案」.

Residents get the 概要版 of the published version (reoffense_portal.public).
"""

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from councils.models import Meeting
from plans.models import Plan
from reoffense_portal.publishing.rows import is_published_as_is

from .documents import Document, MeetingReport, PlanSummary
from .typesetting import PdfRenderError

logger = logging.getLogger(__name__)

PLAN_RELATIONS = ("municipality__prefecture", "department")
MEETING_RELATIONS = ("council__plan__municipality__prefecture", "council__plan__department")


def _pdf_response(request, document: Document) -> HttpResponse:
    """The PDF, or 304 when the reader's copy is current (the ETag is the hash of the printed content)."""
    etag = f'"{document.cache_key.rsplit(":", 1)[-1][:32]}"'
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = HttpResponse(document.pdf(), content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=False, filename=document.filename
        )
    response["ETag"] = etag
    patch_cache_control(response, private=True, no_cache=True)
    return response


def _staff_object(queryset, request, pk: int, permission: str):
    """The object if the user may read it (404 otherwise: a prefecture's staff read its municipalities')."""
    obj = get_object_or_404(queryset.readable_by(request.user), pk=pk)
    if not request.user.has_perm(permission):
        raise PermissionDenied
    return obj


def _staff_pdf(request, document: Document, change_url: str):
    try:
        return _pdf_response(request, document)
    except PdfRenderError as error:
        logger.error("Staff PDF %r failed: %s", document.filename, error)
        messages.error(request, error.message)
        return redirect(change_url)


@require_safe
def staff_plan_summary(request, pk: int):
    """Staff: the 概要版 of any plan of their municipalities; 「案」 on every page unless it is what residents read."""
    plan = _staff_object(
        Plan.objects.select_related(*PLAN_RELATIONS), request, pk, "plans.view_plan"
    )
    return _staff_pdf(
        request, PlanSummary(plan, draft=not is_published_as_is(plan)),
        reverse("admin:plans_plan_change", args=[plan.pk]),
    )


@require_safe
def staff_meeting_report(request, pk: int):
    """Staff: the progress report a council meeting reviews."""
    meeting = _staff_object(
        Meeting.objects.select_related(*MEETING_RELATIONS), request, pk, "councils.view_meeting"
    )
    return _staff_pdf(
        request, MeetingReport(meeting, draft=not is_published_as_is(meeting.council.plan)),
        reverse("admin:councils_meeting_change", args=[meeting.pk]),
    )
