"""Staff's PDFs typeset by the job worker: the request that asks for one starts the job and leads to its page.

The PDF is written through the storage API (`jobs/<job>/<file name>`), so any app server can hand
it to its owner from the job's page, and is removed with the job after JOBS_KEEP_DAYS.
"""

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from councils.models import Meeting
from plans.models import Plan
from reoffense_portal.composition.publishing.rows import is_published_as_is
from reoffense_portal.machinery.jobs.queue import JobError, job_task

from .documents import MeetingReport, PlanSummary
from .typesetting import PdfRenderError

PLAN_RELATIONS = ("municipality__prefecture", "department")
MEETING_RELATIONS = ("council__plan__municipality__prefecture", "council__plan__department")
NOT_FOUND = "この資料は見つかりません。削除されたか、閲覧できる範囲の外にあります。"


def document_for(kind: str, pk: int, user):
    """The document the user asked for, as they may read it now (the job runs a little later)."""
    if kind == "plan_summary":
        plan = Plan.objects.select_related(*PLAN_RELATIONS).readable_by(user).filter(pk=pk).first()
        if plan is None:
            raise JobError(NOT_FOUND)
        document = PlanSummary(plan, draft=not is_published_as_is(plan))
        return document, reverse("admin:plans_plan_change", args=[pk])
    meeting = Meeting.objects.select_related(*MEETING_RELATIONS).readable_by(user).filter(pk=pk).first()
    if meeting is None:
        raise JobError(NOT_FOUND)
    document = MeetingReport(meeting, draft=not is_published_as_is(meeting.council.plan))
    return document, reverse("admin:councils_meeting_change", args=[pk])


@job_task
def typeset_staff_pdf(job, kind: str, pk: int, user_id: int):
    user = get_user_model().objects.get(pk=user_id)
    job.report(0, 2, "内容をまとめています")
    document, back = document_for(kind, pk, user)
    document.html  # noqa: B018 (rendered here, so the stage says what takes the time)
    job.report(1, 2, "PDFを組版しています")
    try:
        data = document.pdf()
    except PdfRenderError as error:
        raise JobError(error.message) from None
    name = default_storage.save(f"jobs/{job.pk}/{document.filename}", ContentFile(data))
    job.report(2, 2, "できあがりました")
    return {"file": name, "filename": document.filename, "size": len(data), "back": back,
            "content_type": "application/pdf"}
