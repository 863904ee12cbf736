"""The public site the browser tests walk: every page type residents reach, on the seeded cities."""

import pytest
from django.core.management import call_command

from councils.models import Meeting
from measures.models import Program, ProgramProgress
from plans.models import Plan
from tests.public_data import attach_plan_document, fill_meeting, municipality, publish

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "mobile": {"width": 375, "height": 740}}

# Every public page type, by the name the accessibility record gives it (reoffense_portal.accessibility).
PAGES = {
    "home": "/",
    "prefectures": "/prefectures/",
    "prefecture": "/prefectures/350001/",
    "plan-status": "/prefectures/status/",
    "comparison": "/prefectures/430005/comparison/",
    "municipality": "/municipalities/352039/",
    "municipality-without-plan": "/municipalities/352012/",
    "plan-yamaguchi": "/plans/1001/",
    "plan-kumamoto": "/plans/2001/",
    "plan-year": "/plans/1001/progress/2025/",
    "council": "/councils/1001/",
    "meeting": "/meetings/1024/",
    "accessibility": "/accessibility/",
    "feedback-thanks": "/feedback/thanks/?page=/plans/1001/",
    "revision-history": "/plans/1001/versions/",
    "search": "/search/?q=就労",
    "earlier-version": "/plans/1001/versions/1/",
    "not-found": "/plans/999999/",
}


@pytest.fixture
def public_site(seeded):
    """The 47 prefectures and the seeded cities, with the attachments, meeting records and a year's progress
    their public documents only mention (test rows, not facts of the sources); 下関市 has no plan."""
    call_command("loaddata", "prefectures", verbosity=0)
    municipality(code="352012", name="下関市")
    plan = Plan.objects.get(pk=1001)
    attach_plan_document(plan, name="dai2ji_keikaku.pdf")
    fill_meeting(Meeting.objects.get(pk=1024))
    statuses = [ProgramProgress.Status.IMPLEMENTED, ProgramProgress.Status.PARTIAL,
                ProgramProgress.Status.NOT_IMPLEMENTED, ProgramProgress.Status.UNDER_REVIEW]
    for program, status in zip(Program.objects.of_plan(plan).order_by("pk")[:8], statuses * 2, strict=True):
        ProgramProgress.objects.create(program=program, fiscal_year=2025, status=status,
                                       results="取組の実績です。", support_count=2 if status == statuses[0] else None,
                                       rating="B" if status == statuses[0] else "",
                                       issues="参加者の定着が課題です。" if status == statuses[0] else "")
    publish(plan, summary="計画本文と会議の記録を掲載しました")
