"""A plan as residents will read it: its pages, downloads and meetings, rendered from the working rows.

`build_version` freezes this into a `PlanVersion` when a publisher approves;
`preview_page` renders the same page from the rows as they are now, for the
staff preview. Both go through `plan_pages`, so a preview is exactly what
approval will publish. Everything frozen passes through `text.visible`: rows
saved before staff text was cleaned on input show no bidi override or control
character either.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, fields

from django.db import transaction
from django.db.models import F, Max, Prefetch
from django.dispatch import Signal
from django.template.loader import render_to_string
from django.utils import timezone

from councils.models import Council, CouncilMember, Meeting, MeetingDocument
from councils.reviews import attach_review_meetings
from measures.models import Practice
from measures.tree import plan_tree
from plans.models import Indicator, IndicatorValue, Plan
from reoffense_portal.composition.comparison import loaded_plan_entry
from reoffense_portal.composition.summaries.documents import PlanSummary
from reoffense_portal.machinery.text import visible
from reoffense_portal.machinery.uploads import file_label

from . import opendata, regional, search, yearly
from . import pages as composed
from .models import PlanVersion, VersionFile, VersionMeeting, VersionPage
from .pdf import queue_typesetting
from .rows import plan_rows


@dataclass
class Page:
    """A public page before it is stored: what `public/page.html` puts into the site's frame."""

    path: str
    title: str
    content: str
    breadcrumbs: list[tuple[str, str | None]]
    feedback_title: str
    description: str = ""

    def __post_init__(self):
        for field in fields(self):
            setattr(self, field.name, visible(getattr(self, field.name)))


# Sent with `plan` once it is loaded for its pages: a package that renders more into them adds it to the plan
# (consultation.signals: the published results of its comment periods), so publishing imports none of them.
plan_loaded = Signal()


def _indicators(kind: str, to_attr: str) -> Prefetch:
    values = Prefetch("values", queryset=IndicatorValue.objects.order_by("year"))
    return Prefetch("indicators", queryset=Indicator.objects.filter(kind=kind).prefetch_related(values, "comparisons"),
                    to_attr=to_attr)


def load_plan(pk: int) -> Plan:
    """The plan with everything its pages show, in a fixed number of queries whatever its size."""
    plan = (
        Plan.objects.select_related("municipality__prefecture", "department")
        .prefetch_related(
            "formulation_steps",
            "challenges",
            "regional_duties",
            Prefetch("practices", queryset=Practice.objects.select_related("program__support_kind")),
            _indicators(Indicator.Kind.TARGET, "targets"),
            _indicators(Indicator.Kind.STATISTIC, "statistics"),
            Prefetch(
                "councils",
                queryset=Council.objects.prefetch_related(
                    Prefetch("members", queryset=CouncilMember.objects.select_related("organization")),
                    Prefetch(
                        "meetings",
                        queryset=Meeting.objects.prefetch_related(
                            "agenda_items__areas", "agenda_items__measures__area", "agenda_items__programs",
                            "agenda_items__indicators", "documents",
                        ),
                        to_attr="meeting_list",
                    ),
                ),
                to_attr="council_list",
            ),
        )
        .get(pk=pk)
    )
    plan.area_list = plan_tree(plan, progress_years=True)
    # The page states how 達成率 is rounded where it shows one.
    plan.shows_achievement = any(indicator.public_achievement_text for indicator in plan.targets)
    # 年度ごとの実施状況: the reported years, each with its own page, and each area's rate across them.
    plan.years = yearly.plan_years(plan)
    plan.area_histories = yearly.area_histories(plan.years)
    for council in plan.council_list:
        # Pages list the meetings of the plan's period apart from earlier or later ones (Meeting.in_plan_period).
        council.period_meetings = [meeting for meeting in council.meeting_list if meeting.in_plan_period]
        council.other_meetings = [meeting for meeting in council.meeting_list if not meeting.in_plan_period]
    attach_review_meetings(plan.area_list, [*plan.targets, *plan.statistics], plan.council_list)
    plan_loaded.send(sender=Plan, plan=plan)
    return plan


def plan_pages(plan: Plan, *, updated_on, draft: bool, proposal: bool = False) -> list[Page]:
    """The plan page, each reported year's page (年度ごとの実施状況), each council's page and each meeting's page.

    `proposal`: the 案 a comment period freezes (reoffense_portal.composition.consultation), titled 「（案）」 and
    without the history, downloads and documents a plan has only once published.
    """
    municipality = plan.municipality
    context = {
        "plan": plan,
        "municipality": municipality,
        "updated_on": updated_on,
        "draft": draft,
        "proposal": proposal,
        "preview_query": "?preview=1" if draft else "",
    }
    *places, (name, url) = municipality.place_crumbs()
    home = [*places, (name, url + context["preview_query"])]
    plan_crumb = (plan.title, plan.get_absolute_url() + context["preview_query"])
    pages = [
        Page(
            path=plan.get_absolute_url(),
            title=plan.title,
            description=f"{plan.title}（計画期間：{plan.period_label}）の目的、基本理念、重点施策と取組、"
            "成果目標、推進体制を掲載しています。",
            content=render_to_string("public/plan.html", context),
            breadcrumbs=[*home, (plan.title, None)],
            feedback_title=plan.title,
        )
    ]
    for year in plan.years:
        pages.append(
            Page(
                path=year.path,
                title=f"{plan.title} {year.label}の実施状況",
                description=f"{plan.title}の{year.full_label}の重点施策ごとの実施率と、取組・事業の実施状況と実績を"
                "掲載しています。",
                content=render_to_string("public/plan_year.html", {**context, "year": year}),
                breadcrumbs=[*home, plan_crumb, (f"{year.label}の実施状況", None)],
                feedback_title=f"{plan.title} {year.label}の実施状況",
            )
        )
    for council in plan.council_list:
        pages.append(
            Page(
                path=council.get_absolute_url(),
                title=council.name,
                content=render_to_string("public/council.html", {**context, "council": council}),
                breadcrumbs=[*home, plan_crumb, (council.name, None)],
                feedback_title=council.name,
            )
        )
        for meeting in council.meeting_list:
            pages.append(
                Page(
                    path=meeting.get_absolute_url(),
                    title=meeting.title,
                    content=render_to_string(
                        "public/meeting.html", {**context, "council": council, "meeting": meeting}
                    ),
                    breadcrumbs=[
                        *home, plan_crumb,
                        (council.name, council.get_absolute_url() + context["preview_query"]),
                        (meeting.label, None),
                    ],
                    feedback_title=meeting.title,
                )
            )
    return pages


def card(plan: Plan) -> dict:
    """What lists of plans show (the municipality page, the home page, the feeds)."""
    department = plan.department
    return {
        "title": plan.title,
        "url": plan.get_absolute_url(),
        "period_label": plan.period_label,
        "period_full_label": plan.period_full_label,
        "embedded_in": plan.embedded_in,
        "department": {
            name: getattr(department, name)
            for name in ("name", "bureau", "section", "postal_code", "address", "telephone", "fax", "email")
        } if department else None,
        "councils": [{"name": council.name, "url": council.get_absolute_url()} for council in plan.council_list],
        # The plan's row of its prefecture's comparison table, small counts masked (reoffense_portal.composition.comparison).
        "comparison": loaded_plan_entry(plan),
        # Its 地域再犯防止推進事業 and 取組事例, for the national tables and the list of practices (regional).
        **regional.card_entries(plan),
    }


def meetings(plan: Plan) -> list[VersionMeeting]:
    return [
        VersionMeeting(
            meeting_id=meeting.pk, title=meeting.title, when_label=meeting.when_label, council_name=council.name,
            held_on=meeting.held_on, date_precision=meeting.date_precision, starts_at=meeting.starts_at, ends_at=meeting.ends_at, venue=meeting.venue,
            cancelled=meeting.status == Meeting.Status.CANCELLED,
        )
        for council in plan.council_list
        for meeting in council.meeting_list
    ]


def documents(plan: Plan) -> list[VersionFile]:
    """The uploaded files the pages link to, by their place in storage (the bytes stay where they are)."""
    files = []
    if plan.document:
        files.append(VersionFile(key="document", filename=plan.title, stored_name=plan.document.name,
                                 content_type=""))
    for council in plan.council_list:
        for meeting in council.meeting_list:
            for document in meeting.documents.all():
                if document.file:
                    files.append(VersionFile(
                        key=document_key(document), filename=f"{meeting.label}_{document.title}",
                        stored_name=document.file.name, content_type="",
                    ))
    return files


def document_key(document: MeetingDocument) -> str:
    return f"meeting-document:{document.pk}"


# The steps of building a version, as the approval's job reports them (report(done, total, stage)).
BUILD_STAGES = (
    "計画を読み込んでいます",
    "承認時のデータを記録しています",
    "公開ページを作成しています",
    "オープンデータと概要版の元データを作成しています",
    "会議の一覧を記録しています",
)


def _no_report(done: int, total: int | None = None, stage: str | None = None) -> None:
    pass


@transaction.atomic
def build_version(plan: Plan, *, approved_by, submitted_by=None, summary: str = "", live_from=None,
                  report: Callable[..., None] = _no_report) -> PlanVersion:
    """Freeze the plan's working rows as a new version, live from `live_from` (now by default).

    The version live until then, and any still scheduled, end when this one starts. `report` is told
    each step (BUILD_STAGES), for the progress bar of the approval's job.
    """
    def step(number: int) -> None:
        report(number, len(BUILD_STAGES), BUILD_STAGES[number])

    now = timezone.now()
    live_from = live_from or now
    step(0)
    plan = load_plan(plan.pk)
    step(1)
    previous = PlanVersion.objects.filter(plan=plan)
    number = (previous.aggregate(last=Max("number"))["last"] or 0) + 1
    # A version scheduled later than this one never goes live; the one live now ends when this one starts.
    previous.filter(live_from__gte=live_from).update(live_until=F("live_from"))
    previous.filter(live_from__lt=live_from).exclude(live_until__lte=live_from).update(live_until=live_from)
    version = PlanVersion.objects.create(
        plan=plan, municipality=plan.municipality, number=number, title=visible(plan.title),
        period_start=plan.period_start, period_end=plan.period_end, summary=visible(summary),
        submitted_by=submitted_by, approved_by=approved_by, approved_at=now, live_from=live_from,
        card=visible(card(plan)), rows=visible(plan_rows(plan)),
    )
    step(2)
    data_files = opendata.files(plan, version=number, updated_on=timezone.localdate(live_from))
    # The page's download links say each file's kind and size (templatetags.downloads).
    plan.download_labels = {file.key: file_label(file.filename, len(file.content)) for file in data_files}
    pages = plan_pages(plan, updated_on=timezone.localdate(live_from), draft=False)
    # Each page whole, frame included, so that a request sends its bytes (publishing.pages).
    VersionPage.objects.bulk_create(
        composed.compose(VersionPage(
            version=version, path=page.path, title=page.title, description=page.description,
            breadcrumbs=page.breadcrumbs, content=page.content, feedback_title=page.feedback_title,
            digest=hashlib.sha256(page.content.encode()).hexdigest(),
        ), version)
        for page in pages
    )
    # Site search reads these entries of live versions only (publishing/search.py).
    search.index_version(version, plan)
    step(3)
    summary_pdf = PlanSummary(plan, draft=False, public=True)
    files = [
        *data_files,
        VersionFile(key="summary.pdf", filename=summary_pdf.filename, content_type="application/pdf",
                    source={"html": summary_pdf.html, "charts": summary_pdf.charts}),
        *documents(plan),
    ]
    for file in files:
        file.version = version
        file.filename, file.content, file.source = visible(file.filename), visible(file.content), visible(file.source)
        if file.content is not None:  # open data: into the file storage, streamed from there to readers
            file.store(file.content)
    VersionFile.objects.bulk_create(files)
    queue_typesetting(version)
    step(4)
    rows = meetings(plan)
    for row in rows:
        row.version = version
        row.title, row.when_label = visible(row.title), visible(row.when_label)
        row.council_name, row.venue = visible(row.council_name), visible(row.venue)
    VersionMeeting.objects.bulk_create(rows)
    report(len(BUILD_STAGES), len(BUILD_STAGES), "公開版ができました")
    return version


def preview_page(plan_pk: int, path: str) -> Page | None:
    """The page at `path` as approval would publish it now, marked as a draft."""
    plan = load_plan(plan_pk)
    return next((page for page in plan_pages(plan, updated_on=timezone.localdate(), draft=True)
                 if page.path == path), None)
