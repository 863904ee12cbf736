"""Residents' pages of councils and their meetings; a draft plan's councils stay hidden."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from plans.views import public_page, serve_upload, visible_plans

from .models import Council, CouncilMember, Meeting, MeetingDocument


@require_safe
def council_detail(request, pk):
    council = get_object_or_404(
        Council.objects.filter(plan__in=visible_plans(request))
        .select_related("plan__municipality", "plan__department")
        .prefetch_related(
            Prefetch("members", queryset=CouncilMember.objects.select_related("organization")),
            Prefetch("meetings", to_attr="meeting_list"),  # as the plan page has them (councils/_meetings.html)
        ),
        pk=pk,
    )
    plan = council.plan
    return public_page(
        request, "councils/council_detail.html",
        {"council": council, "plan": plan, "municipality": plan.municipality}, plan,
    )


@require_safe
def meeting_detail(request, pk):
    meeting = get_object_or_404(
        Meeting.objects.filter(council__plan__in=visible_plans(request))
        .select_related("council__plan__municipality", "council__plan__department")
        .prefetch_related("agenda_items__areas", "documents"),
        pk=pk,
    )
    plan = meeting.council.plan
    return public_page(
        request, "councils/meeting_detail.html",
        {"meeting": meeting, "council": meeting.council, "plan": plan, "municipality": plan.municipality}, plan,
    )


@require_safe
def meeting_document(request, pk):
    document = get_object_or_404(
        MeetingDocument.objects.filter(meeting__council__plan__in=visible_plans(request)).select_related("meeting"),
        pk=pk,
    )
    return serve_upload(request, document.file, f"{document.meeting.label}_{document.title}")
