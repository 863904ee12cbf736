"""Residents' pages of municipalities and plans, the plan document, and the page survey.

Public code reaches plans only through `visible_plans(request)`: published
(and archived) plans for everyone; a draft only in a staff preview
(``?preview=1``) by a staff member whose municipality owns it. Preview
responses are never cached.
"""

from django.db.models import Prefetch, Q, prefetch_related_objects
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_POST, require_safe

from reoffense_portal.pagecache import (
    cached_fragment,
    fragment_context,
    fragment_marker,
    insert_fragment,
)

from .feedback import FeedbackForm, is_local_path, over_rate_limit
from .files import upload_response
from .models import PUBLIC_STATUSES, Indicator, IndicatorValue, Municipality, Plan


def _related(model, relation: str):
    """The model at the other end of a relation: plans reaches areas and councils without importing their apps."""
    return model._meta.get_field(relation).related_model


PriorityArea = _related(Plan, "priority_areas")
Measure = _related(PriorityArea, "measures")
Program = _related(Measure, "programs")
Council = _related(Plan, "councils")


def _indicators(kind: str, to_attr: str) -> Prefetch:
    """The plan's indicators of one kind, with their values by year, as a list named `to_attr`."""
    values = Prefetch("values", queryset=IndicatorValue.objects.order_by("year"))
    return Prefetch("indicators", queryset=Indicator.objects.filter(kind=kind).prefetch_related(values), to_attr=to_attr)


# Everything the plan page shows, fetched in a fixed number of queries whatever the plan's size.
# The many rows of the areas' tree and the councils' meetings go into plain lists (to_attr): a
# prefetch into `.all()` builds a queryset per parent row, which costs more than the rows themselves.
PLAN_PAGE_PREFETCH = [
    "formulation_steps",
    "challenges",
    _indicators(Indicator.Kind.TARGET, "targets"),
    _indicators(Indicator.Kind.STATISTIC, "statistics"),
    Prefetch(
        "priority_areas",
        queryset=PriorityArea.objects.prefetch_related(
            Prefetch("national_priorities", to_attr="priority_list"),
            Prefetch(
                "measures",
                queryset=Measure.objects.prefetch_related(
                    # Their departments and partners: attach_program_parties().
                    Prefetch("programs", to_attr="program_list")
                ),
                to_attr="measure_list",
            ),
        ),
        to_attr="area_list",
    ),
    Prefetch("councils", queryset=Council.objects.prefetch_related(Prefetch("meetings", to_attr="meeting_list")),
             to_attr="council_list"),
]


def attach_program_parties(programs: list[Program]) -> None:
    """Each programme's departments and partners as `department_list` and `partner_list`, in their usual order.

    Two queries per relation (the links, then the departments or organisations), each department or
    organisation built once: a plan's programmes share a few of them, and a prefetch builds one object
    per link, which on the plan page took as long as all its other rows.
    """
    ids = [program.pk for program in programs]
    for relation, to_attr in (("departments", "department_list"), ("partners", "partner_list")):
        field = Program._meta.get_field(relation)
        source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        links = list(field.remote_field.through.objects.filter(**{f"{source}__in": ids}).values_list(source, target))
        # The model's own ordering, as .all() would give them.
        parties = {party.pk: party for party in field.related_model.objects.filter(pk__in={pk for _, pk in links})}
        rank = {pk: position for position, pk in enumerate(parties)}
        of_program = {}
        for program_id, party_id in links:
            of_program.setdefault(program_id, []).append(parties[party_id])
        for program in programs:
            setattr(program, to_attr, sorted(of_program.get(program.pk, []), key=lambda party: rank[party.pk]))


def is_preview(request) -> bool:
    """A staff member asked to see the page as it will look (drafts included)."""
    user = request.user
    return request.GET.get("preview") == "1" and user.is_authenticated and user.is_staff


def visible_plans(request):
    """The plans this request may show: published ones, plus the user's own in a staff preview."""
    if is_preview(request):
        return Plan.objects.filter(
            Q(status__in=PUBLIC_STATUSES) | Q(pk__in=Plan.objects.for_user(request.user).values("pk"))
        )
    return Plan.objects.published()


def public_context(request, context: dict, plan: Plan | None = None) -> dict:
    """The context every public page has: whether it is a preview, and whether it shows a draft."""
    preview = is_preview(request)
    return {
        **context,
        "preview": preview,
        # Added to links between public pages so a preview stays a preview.
        "preview_query": "?preview=1" if preview else "",
        "draft": bool(plan and not plan.is_public),
    }


def public_page(request, template: str, context: dict, plan: Plan | None = None) -> TemplateResponse:
    """A public page; in a preview, marked as such and never cached by anyone."""
    response = TemplateResponse(request, template, public_context(request, context, plan))
    if is_preview(request):
        add_never_cache_headers(response)
    return response


@require_safe
def municipality_detail(request, code):
    municipality = get_object_or_404(Municipality.objects.select_related("prefecture"), code=code)
    plans = list(
        visible_plans(request)
        .filter(municipality=municipality)
        .select_related("department")
        .prefetch_related("councils")
        .order_by("-period_start")
    )
    if not plans:
        raise Http404("公開中の計画がありません。")
    return public_page(request, "plans/municipality_detail.html", {"municipality": municipality, "plans": plans})


@require_safe
def plan_detail(request, pk):
    plan = get_object_or_404(visible_plans(request).select_related("municipality__prefecture", "department"), pk=pk)
    context = {"plan": plan, "municipality": plan.municipality}
    # Below its heading the page shows the plan's data only: rendered once per data version (per path, and
    # per preview or not) and its rows fetched only then, for every request the page cache does not answer.
    sections = cached_fragment(
        f"plan-sections:{request.path}:{'preview' if is_preview(request) else 'public'}",
        lambda: plan_sections(request, plan, context),
    )
    response = public_page(request, "plans/plan_detail.html", {**context, "sections": fragment_marker()}, plan)
    return insert_fragment(request, response, sections)


def plan_sections(request, plan: Plan, context: dict) -> str:
    """templates/plans/_plan_sections.html, rendered with nothing of the visitor (pagecache.fragment_context)."""
    prefetch_related_objects([plan], *PLAN_PAGE_PREFETCH)
    attach_program_parties(
        [program for area in plan.area_list for measure in area.measure_list for program in measure.program_list]
    )
    return render_to_string(
        "plans/_plan_sections.html", {**public_context(request, context, plan), **fragment_context(request)}
    )


@require_safe
def plan_document(request, pk):
    """The plan's document (PDF); drafts' documents answer 404 like the drafts themselves."""
    plan = get_object_or_404(visible_plans(request), pk=pk)
    return serve_upload(request, plan.document, plan.title)


def serve_upload(request, field_file, title: str) -> FileResponse:
    """An uploaded file under a readable name, served safely (files.upload_response)."""
    response = upload_response(field_file, title)
    if is_preview(request):
        add_never_cache_headers(response)
    return response


@require_POST
def feedback(request):
    if over_rate_limit(request):
        return TemplateResponse(request, "plans/feedback_limited.html", status=429)
    form = FeedbackForm(request.POST)
    if form.is_robot:
        # Answer a robot as if it had succeeded, and store nothing.
        return HttpResponseRedirect(_thanks_url(request.POST.get("page_path", "")))
    if not form.is_valid():
        return TemplateResponse(request, "plans/feedback_invalid.html", {"form": form}, status=400)
    form.save()
    return HttpResponseRedirect(_thanks_url(form.cleaned_data["page_path"]))


def _thanks_url(page_path: str) -> str:
    url = reverse("public:feedback_thanks")
    return f"{url}?{urlencode({'page': page_path})}" if is_local_path(page_path) else url


@require_safe
def feedback_thanks(request):
    page = request.GET.get("page", "")
    return TemplateResponse(request, "plans/feedback_thanks.html", {"back_to": page if is_local_path(page) else ""})
