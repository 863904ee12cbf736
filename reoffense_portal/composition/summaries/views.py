"""Staff download the printable summaries of their plans' working rows from the admin, drafts marked 「案」.

The job worker typesets them (summaries/jobs.py); the request only starts the job.

Residents get the 概要版 of the published version (reoffense_portal.composition.public).
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_safe

from councils.models import Meeting
from plans.models import Plan
from reoffense_portal.machinery.jobs.queue import start_job

from . import jobs


def _staff_object(queryset, request, pk: int, permission: str):
    """The object if the user may read it (404 otherwise: a prefecture's staff read its municipalities')."""
    obj = get_object_or_404(queryset.readable_by(request.user), pk=pk)
    if not request.user.has_perm(permission):
        raise PermissionDenied
    return obj


def _start(request, kind: str, pk: int, title: str):
    """Queue the typesetting and lead the user to the job's page, where the PDF appears when it is ready."""
    job = start_job(jobs.typeset_staff_pdf, kind, pk, request.user.pk, kind="pdf", title=title, owner=request.user)
    return redirect("admin:jobs_job_progress", job.pk)


@require_safe
def staff_plan_summary(request, pk: int):
    """Staff: the 概要版 of any plan of their municipalities; 「案」 on every page unless it is what residents read."""
    plan = _staff_object(Plan.objects.all(), request, pk, "plans.view_plan")
    return _start(request, "plan_summary", plan.pk, f"{plan.title} 概要版PDFの作成")


@require_safe
def staff_meeting_report(request, pk: int):
    """Staff: the progress report a council meeting reviews."""
    meeting = _staff_object(Meeting.objects.all(), request, pk, "councils.view_meeting")
    return _start(request, "meeting_report", meeting.pk, f"{meeting} 進捗状況報告PDFの作成")
