"""The staff preview (``?preview=1`` on a public URL): the working rows as approval would publish them.

Only staff who may read the plan get it (its municipality's, and its
prefecture's, who read but never write); everyone else gets the public answer. A preview is marked 【案】, noindex, and never cached.
"""

from types import SimpleNamespace

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers

from councils.models import Council, Meeting, MeetingDocument
from plans.models import Municipality, Plan
from reoffense_portal.machinery.uploads import upload_response

from .snapshot import card, load_plan, preview_page


def is_preview(request) -> bool:
    """A staff member asked to see the page as it will look (drafts and pending changes included)."""
    user = request.user
    return request.GET.get("preview") == "1" and user.is_authenticated and user.is_staff


def _own_plan(request, plan_id) -> Plan:
    return get_object_or_404(Plan.objects.readable_by(request.user).select_related("municipality"), pk=plan_id)


def _response(request, plan: Plan) -> TemplateResponse:
    page = preview_page(plan.pk, request.path)
    if page is None:
        raise Http404("このページはありません。")
    response = TemplateResponse(request, "public/page.html", {
        "page": page, "municipality": plan.municipality, "plan_id": plan.pk, "current": True, "draft": True,
        "preview": True,
    })
    add_never_cache_headers(response)
    return response


def plan_page(request, pk):
    return _response(request, _own_plan(request, pk))


def council_page(request, pk):
    council = get_object_or_404(Council.objects.readable_by(request.user), pk=pk)
    return _response(request, _own_plan(request, council.plan_id))


def meeting_page(request, pk):
    meeting = get_object_or_404(Meeting.objects.readable_by(request.user).select_related("council"), pk=pk)
    return _response(request, _own_plan(request, meeting.council.plan_id))


def municipality_page(request, code):
    """The municipality page with every plan of its staff's, drafts included, as approval would list them."""
    municipality = get_object_or_404(Municipality, code=code)
    plans = list(Plan.objects.readable_by(request.user).filter(municipality=municipality).order_by("-period_start"))
    if not plans:
        raise Http404("このページはありません。")
    versions = [SimpleNamespace(plan_id=plan.pk, card=card(load_plan(plan.pk))) for plan in plans]
    response = TemplateResponse(request, "public/municipality.html", {
        "municipality": municipality, "versions": versions, "draft": True, "preview": True,
    })
    add_never_cache_headers(response)
    return response


def _file_response(request, field_file, title: str):
    response = upload_response(field_file, title)
    add_never_cache_headers(response)
    return response


def plan_document(request, pk):
    plan = _own_plan(request, pk)
    return _file_response(request, plan.document, plan.title)


def meeting_document(request, pk):
    document = get_object_or_404(MeetingDocument.objects.readable_by(request.user).select_related("meeting"), pk=pk)
    return _file_response(request, document.file, f"{document.meeting.label}_{document.title}")
