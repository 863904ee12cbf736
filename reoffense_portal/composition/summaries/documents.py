"""The two printable documents: data in a fixed number of queries, HTML from templates/pdf/, PDF cached.

The cache key is a hash of the HTML (plus the stylesheet, the font rules and
the WeasyPrint version). Rendering the HTML is cheap and shows every fact the
PDF shows, so any change to the data that the PDF prints gives a new key,
wherever the change was made (admin, import, shell) and whether or not a
timestamp moved; a change the PDF does not print keeps the cached bytes.
Nothing ever needs invalidating.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property, partial
from importlib.metadata import version
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from councils.models import AgendaItem, CouncilMember, Meeting
from measures.models import EvaluationScale, Measure, PriorityArea, Program, ProgramProgress
from measures.tree import plan_tree
from plans.models import ACHIEVEMENT_RULE, Indicator, Plan, format_quantity
from reoffense_portal.machinery import disclosure, eras
from reoffense_portal.machinery.charts import indicator_chart_svg
from reoffense_portal.machinery.text import own_mark, without_own_mark

from . import typesetting

STYLESHEET = "pdf/summary.css"
# Part of the cache key; read from the package metadata so the web process never imports WeasyPrint
# (only the PDF worker does).
WEASYPRINT_VERSION = version("weasyprint")
CACHE_SECONDS = 60 * 60 * 24 * 7
# 公用文 numbering below (1): ア, イ, ウ … (五十音順).
KATAKANA = (
    "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン"
)
WEEKDAYS = "月火水木金土日"


def katakana_label(number: int) -> str:
    """1 → ア, 2 → イ; past ン the number itself, which no real measure reaches."""
    return KATAKANA[number - 1] if 1 <= number <= len(KATAKANA) else str(number)


def date_with_weekday(day: datetime.date | None) -> str:
    """令和6年7月10日（水）."""
    return f"{eras.japanese_date(day)}（{WEEKDAYS[day.weekday()]}）" if day else ""


def rate_label(rate: Decimal | None, programs: int) -> str:
    """83.3%; 「未報告」 when none of the `programs` is reported for the year (no 0 % to print); － without programmes."""
    if not programs:
        return "－"
    return "未報告" if rate is None else f"{format_quantity(rate)}%"


@dataclass
class ProgramRow:
    """A programme's row in a table: its label ア, イ … (or the mark its name brings: one mark per item)."""

    label: str
    program: Program
    departments: str
    progress: ProgramProgress | None = None

    def __post_init__(self):
        mark = own_mark(self.program.name)
        if mark:
            self.label, self.name = mark, without_own_mark(self.program.name)
        else:
            self.name = self.program.name


@dataclass
class MeasureSection:
    """A measure's programmes under its heading, or (`measure` None) the programmes the area lists directly."""

    measure: Measure | None
    programs: list[ProgramRow]


@dataclass
class AreaSection:
    area: PriorityArea
    national_priorities: list
    measures: list[MeasureSection]
    rate: Decimal | None = None

    @property
    def system_entries(self) -> list[str]:
        """The area's line of 施策の体系: its direct programmes (○ …, or the mark a name brings), then its measures' headings."""
        return [
            section.measure.heading if section.measure
            else row.program.name if own_mark(row.program.name) else f"○{row.program.name}"
            for section in self.measures
            for row in ([None] if section.measure else section.programs)
        ]

    @property
    def program_count(self) -> int:
        return sum(len(section.programs) for section in self.measures)

    @property
    def rate_label(self) -> str:
        return rate_label(self.rate, self.program_count)

    @property
    def rate_width(self) -> str:
        """The bar's width in CSS, 0–100%."""
        return f"{min(max(self.rate or 0, 0), 100)}%"


def system_column(areas: list[AreaSection]) -> str:
    """The heading of 施策の体系's second column: only the levels the plan has."""
    measures = any(section.measure for area in areas for section in area.measures)
    direct = any(section.measure is None for area in areas for section in area.measures)
    return "施策・主な取組" if measures and direct else "主な取組" if direct else "施策"


@dataclass
class ReviewGroup:
    """The progress tables of what one agenda item reviewed (`item`), or of what no item reviewed (None)."""

    item: AgendaItem | None
    number: int | None
    areas: list[AreaSection]


def filtered_sections(areas: list[AreaSection], keep) -> list[AreaSection]:
    """The sections with only the programmes `keep(program, measure)` accepts; empty measures and areas left out."""
    sections = []
    for section in areas:
        measures = [
            MeasureSection(item.measure, rows)
            for item in section.measures
            if (rows := [row for row in item.programs if keep(row.program, item.measure)])
        ]
        if measures:
            sections.append(AreaSection(section.area, section.national_priorities, measures, section.rate))
    return sections


def review_groups(areas: list[AreaSection], agenda: list[AgendaItem]) -> list[ReviewGroup]:
    """The report's progress tables grouped by the agenda item that reviewed them, in agenda order.

    A programme reviewed by two items is printed under both; those no item
    reviewed come last, so the report still shows every programme. Without
    any linked item, one group of everything, as before agenda items were traced.
    """
    linked = [(number, item) for number, item in enumerate(agenda, start=1) if item.has_review_links]
    if not linked:
        return [ReviewGroup(None, None, areas)]
    groups = [
        ReviewGroup(item, number, filtered_sections(areas, item.reviews_program))
        for number, item in linked
    ]
    rest = filtered_sections(
        areas, lambda program, measure: not any(item.reviews_program(program, measure) for _, item in linked)
    )
    if rest:
        groups.append(ReviewGroup(None, None, rest))
    return groups


@dataclass(frozen=True)
class Chart:
    """A chart image of the document: `src` names it for the typesetter, `alt` is the SVG's own label."""

    src: str
    alt: str


def register_chart(indicator: Indicator, charts: dict[str, str], *, public: bool) -> Chart | None:
    """The same chart as on the public pages (reoffense_portal.machinery.charts), handed to the typesetter as an image."""
    svg = indicator_chart_svg(indicator, public=public)
    if not svg:
        return None
    name = hashlib.sha256(svg.encode()).hexdigest()[:40] + ".svg"
    charts[name] = svg
    label = re.search(r'aria-label="([^"]*)"', svg)
    # The label is already HTML-escaped by reoffense_portal.machinery.charts.
    alt = mark_safe(label.group(1)) if label else indicator.name
    return Chart(src=f"{typesetting.CHART_SCHEME}:{name}", alt=alt)


@dataclass
class IndicatorView:
    """An indicator as the documents print it: labels ready (small counts masked in public), chart inline."""

    indicator: Indicator
    chart: Chart | None = None
    baseline_label: str = ""
    latest_label: str = ""
    latest_period: str = ""
    target_period: str = ""
    # Each comparison figure by its subject (熊本県, 全国, 中核市の平均): the yearly value's prefecture and
    # national figures, and the indicator's comparison figures with their time where it is not the row's.
    comparison_cells: dict[str, str] = field(default_factory=dict)
    comparison_row: list[str] = field(default_factory=list)  # the cells in the table's column order
    achievement: str = ""
    progress: str = ""
    agenda_numbers: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, indicator: Indicator, charts: dict[str, str] | None = None, *, public: bool,
           comparisons: bool = False) -> IndicatorView:
        """With `charts`, the indicator's chart is drawn and registered there; `public` masks small counts;
        `comparisons` gathers the figures printed beside the city's (its comparisons prefetched)."""
        latest = indicator.latest_value()
        label = partial(indicator.quantity_label, public=public)
        view = cls(
            indicator,
            baseline_label=indicator.public_baseline_label if public else indicator.baseline_label,
            target_period=indicator.target_period_label(),
            achievement=indicator.achievement_text(public=public),
            progress=indicator.public_progress_text if public else indicator.progress_text(),
        )
        if latest is not None:
            view.latest_label = label(latest.value)
            view.latest_period = latest.period_label
        elif indicator.baseline_value is not None:
            # A statistic known only as one figure (熊本市's 1,107人) is recorded as its baseline.
            view.latest_label = label(indicator.baseline_value)
            if indicator.as_of_text:
                view.latest_period = indicator.as_of_text  # as the source states it: 令和2年国勢調査時点
            elif indicator.baseline_year is not None:
                view.latest_period = indicator.period_label(indicator.baseline_year)
        if comparisons:
            view.gather_comparisons(latest, label)
        if charts is not None:
            view.chart = register_chart(indicator, charts, public=public)
        return view

    def gather_comparisons(self, latest, label) -> None:
        """The yearly value's prefecture and national figures, then the comparison figures, by subject."""
        municipality = self.indicator.plan.municipality
        prefecture = municipality.prefecture.name if municipality.prefecture else "都道府県"
        cells = self.comparison_cells
        if latest is not None:
            for subject, value in ((prefecture, latest.prefecture_value), ("全国", latest.national_value)):
                if value is not None:
                    cells[subject] = label(value)
        for comparison in self.indicator.comparisons_beside([latest] if latest is not None else []):
            text = label(comparison.value)
            when = comparison.when_label
            if when != self.latest_period:
                text += f"（{when or '時点の記載なし'}）"
            previous = cells.get(comparison.subject)
            cells[comparison.subject] = f"{previous}、{text}" if previous else text


def comparison_columns(statistics: list[IndicatorView], municipality) -> list[str]:
    """The 主な統計 table's columns beside the city's: its prefecture, 全国, then other subjects as they come."""
    subjects = {subject for view in statistics for subject in view.comparison_cells}
    prefecture = municipality.prefecture.name if municipality.prefecture else "都道府県"
    first = [subject for subject in (prefecture, "全国") if subject in subjects]
    others = [subject for view in statistics for subject in view.comparison_cells if subject not in first]
    return first + list(dict.fromkeys(others))


def area_sections(plan: Plan, *, fiscal_year: int | None = None) -> list[AreaSection]:
    """Areas → (measures →) programmes (with the year's progress when a year is given)."""
    areas = plan_tree(plan, progress_years=[fiscal_year] if fiscal_year is not None else False)
    return [
        AreaSection(
            area,
            area.national_list,
            [
                MeasureSection(
                    section.measure,
                    [
                        ProgramRow(
                            katakana_label(number),
                            program,
                            "、".join(department.name for department in program.department_list),
                            program.progress_list[0] if fiscal_year is not None and program.progress_list else None,
                        )
                        for number, program in enumerate(section.program_list, start=1)
                    ],
                )
                for section in area.section_list
            ],
        )
        for area in areas
    ]


def council_list(plan: Plan):
    return plan.councils.prefetch_related(
        Prefetch("members", queryset=CouncilMember.objects.select_related("organization"))
    )


class Document:
    """HTML from a template, PDF from the HTML, the PDF cached under the HTML's hash."""

    template_name: str
    kind_label: str

    def __init__(self, *, draft: bool, public: bool = False):
        # name → SVG of the charts the HTML shows as images; filled while the HTML is rendered.
        self.charts: dict[str, str] = {}
        # Drafts print 「案」 on every page.
        self.draft = draft
        # What residents download (a published version's 概要版) masks small counts about people
        # (reoffense_portal.machinery.disclosure); what staff download from the admin keeps the exact numbers.
        self.public = public

    @property
    def plan(self) -> Plan:
        raise NotImplementedError

    @property
    def subject(self) -> str:
        raise NotImplementedError

    @property
    def title(self) -> str:
        return f"{self.subject} {self.kind_label}" + ("（案）" if self.draft else "")

    @property
    def filename(self) -> str:
        return f"{self.subject}_{self.kind_label}" + ("（案）" if self.draft else "") + ".pdf"

    def context(self) -> dict:
        raise NotImplementedError

    @cached_property
    def html(self) -> str:
        context = {
            **self.context(),
            "document": self,
            "stylesheet_url": Path(stylesheet_path()).as_uri(),
        }
        return render_to_string(self.template_name, context)

    @property
    def cache_key(self) -> str:
        digest = hashlib.sha256()
        for part in (
            self.html,
            typesetting.font_face_css(),
            WEASYPRINT_VERSION,
            typesetting.PDF_VARIANT,
        ):
            digest.update(part.encode())
            digest.update(b"\0")
        digest.update(Path(stylesheet_path()).read_bytes())
        return f"summaries:pdf:{digest.hexdigest()}"

    def pdf(self) -> bytes:
        """The PDF; from the cache while the printed content is unchanged. Raises PdfRenderError."""
        key = self.cache_key
        data = cache.get(key)
        if data is None:
            data = typesetting.render_pdf(
                self.html,
                static_roots=static_roots(),
                charts=self.charts,
                timeout=settings.PDF_RENDER_TIMEOUT,
            )
            cache.set(key, data, CACHE_SECONDS)
        return data


def stylesheet_path() -> str:
    path = finders.find(STYLESHEET)
    if not path:
        raise typesetting.PdfRenderError(f"stylesheet {STYLESHEET} not found")
    return path


def static_roots() -> list[str]:
    return [str(directory) for directory in settings.STATICFILES_DIRS] + [str(settings.STATIC_ROOT)]


# The 概要版's chapters and their numbered sections, in print order (公用文: 第1章 → 1).
SUMMARY_OUTLINE = (
    ("aims", ("purpose", "position", "period", "target_persons")),  # 計画策定の趣旨
    ("situation", ("current", "challenges")),  # 再犯防止を取り巻く現状と課題
    ("principles", ("philosophy", "policy", "targets")),  # 基本理念・基本方針
    ("measures", ("areas",)),  # 施策の展開
    ("system", ("promotion", "progress_management")),  # 計画の推進体制
)


# The 進捗状況報告's chapters (第1, 第2 …): its agenda, the year's rates and progress (or why there is no
# year to review), the 成果目標 and the council's members.
REPORT_OUTLINE = (("agenda", ()), ("rates", ()), ("progress", ()), ("no_year", ()), ("targets", ()), ("members", ()))


def outline_numbers(present: dict[str, bool], outline=SUMMARY_OUTLINE) -> dict[str, int]:
    """The number of each chapter and section the document has, in order; what it has not is left out, not
    printed as an empty heading 「記載はありません。」, and the rest numbered without a gap. A chapter
    without sections is kept when `present` says so."""
    numbers, chapter = {}, 0
    for key, sections in outline:
        kept = [section for section in sections if present.get(section)]
        if kept or (not sections and present.get(key)):
            chapter += 1
            numbers[key] = chapter
            numbers.update((section, number) for number, section in enumerate(kept, start=1))
    return numbers


class PlanSummary(Document):
    """概要版: the plan in a few A4 pages, as cities print it."""

    template_name = "pdf/plan_summary.html"
    kind_label = "概要版"

    def __init__(self, plan: Plan, *, draft: bool, public: bool = False):
        super().__init__(draft=draft, public=public)
        self._plan = plan

    @property
    def plan(self) -> Plan:
        return self._plan

    @property
    def subject(self) -> str:
        return self.plan.title

    def context(self) -> dict:
        plan = self.plan
        indicators = list(plan.indicators.select_related("plan__municipality__prefecture")
                          .prefetch_related("values", "comparisons"))
        statistics = [
            IndicatorView.of(i, public=self.public, comparisons=True)
            for i in indicators if i.kind == Indicator.Kind.STATISTIC
        ]
        steps = list(plan.formulation_steps.all())
        columns = comparison_columns(statistics, plan.municipality)
        for view in statistics:
            view.comparison_row = [view.comparison_cells.get(column, "") for column in columns]
        areas = area_sections(plan)
        targets = [
            IndicatorView.of(i, self.charts, public=self.public) for i in indicators if i.kind == Indicator.Kind.TARGET
        ]
        challenges = list(plan.challenges.all())
        councils = list(council_list(plan))
        outline = outline_numbers({
            "purpose": bool(plan.purpose),
            "position": bool(plan.position or plan.legal_basis or plan.embedded_in),
            "period": True,
            "target_persons": bool(plan.target_persons),
            "current": bool(plan.current_situation or statistics or any(kpi.chart for kpi in targets)),
            "challenges": bool(challenges),
            "philosophy": bool(plan.basic_philosophy),
            "policy": bool(plan.basic_policy),
            "targets": bool(targets),
            "areas": bool(areas),
            "promotion": bool(plan.promotion_system or councils),
            "progress_management": bool(plan.progress_management),
        })
        return {
            "plan": plan,
            "municipality": plan.municipality,
            "department": plan.department,
            "outline": outline,
            "targets": targets,
            "achievement_shown": any(view.achievement for view in targets),
            "achievement_rule": ACHIEVEMENT_RULE,
            "statistics": statistics,
            "small_number_note": disclosure.note()
            if self.public and any(i.masks_small_counts for i in indicators) else "",
            "comparison_columns": columns,
            "challenges": challenges,
            "formulation_steps": steps,
            "has_undated_steps": any(step.date is None for step in steps),
            "areas": areas,
            "system_column": system_column(areas),
            "councils": councils,
        }


class MeetingReport(Document):
    """進捗状況報告: what a council meeting reviews — the plan's progress in the reviewed fiscal year."""

    template_name = "pdf/meeting_report.html"
    kind_label = "進捗状況報告"

    def __init__(self, meeting: Meeting, *, draft: bool):
        super().__init__(draft=draft)
        self.meeting = meeting

    @property
    def plan(self) -> Plan:
        return self.meeting.council.plan

    @property
    def subject(self) -> str:
        return self.meeting.title

    @property
    def reviewed_fiscal_year(self) -> int | None:
        """The year of the plan under review (Meeting.plan_year_under_review); None when no year of the plan is."""
        return self.meeting.plan_year_under_review

    @property
    def no_year_reason(self) -> str:
        """Why no year of the plan is under review, in a sentence without its full stop."""
        meeting, plan = self.meeting, self.plan
        period = f"計画期間（{plan.period_label}）外です"
        if meeting.reviewed_fiscal_year is not None:
            return f"記録された審議の対象年度（{eras.fiscal_year_label(meeting.reviewed_fiscal_year)}）は{period}"
        return f"会議の前年度（{eras.fiscal_year_label(meeting.fiscal_year - 1)}）は{period}"

    def context(self) -> dict:
        meeting, plan, year = self.meeting, self.plan, self.reviewed_fiscal_year
        if year is None:  # nothing of this plan to review: no table of 未報告 rows and 0 %
            areas, overall_rate = [], ""
        else:
            areas = area_sections(plan, fiscal_year=year)
            rates = Program.objects.of_plan(plan).implementation_rates_by_area(year)
            for section in areas:
                section.rate = rates.get(section.area.pk)
            overall_rate = rate_label(
                Program.objects.of_plan(plan).implementation_rate(year), sum(section.program_count for section in areas)
            )
        members = meeting.council.members.select_related("organization")
        indicators = plan.indicators.filter(kind=Indicator.Kind.TARGET).prefetch_related("values")
        agenda = list(
            meeting.agenda_items.prefetch_related("areas", "measures__area", "programs", "indicators")
        )
        reviewed_by = {}  # indicator id → numbers of the agenda items that reviewed it
        for number, item in enumerate(agenda, start=1):
            for indicator in item.indicators.all():
                reviewed_by.setdefault(indicator.pk, []).append(number)
        targets = [IndicatorView.of(i, self.charts, public=self.public) for i in indicators]
        for view in targets:
            view.agenda_numbers = reviewed_by.get(view.indicator.pk, [])
        members = list(members)
        outline = outline_numbers({
            "agenda": bool(agenda), "rates": year is not None, "progress": year is not None, "no_year": year is None,
            "targets": bool(targets), "members": bool(members),
        }, REPORT_OUTLINE)
        return {
            "outline": outline,
            "meeting": meeting,
            "plan": plan,
            "municipality": plan.municipality,
            "department": plan.department,
            "held_on": date_with_weekday(meeting.held_on) if meeting.known_day else meeting.held_on_label,
            "agenda": agenda,
            "review_groups": review_groups(areas, agenda),
            "by_agenda": any(item.has_review_links for item in agenda),
            "rating_meanings": EvaluationScale.meanings_of(plan),
            "reviewed_year": year,
            "plan_year_number": None if year is None else year - plan.first_fiscal_year + 1,
            "no_year_reason": "" if year is not None else self.no_year_reason,
            "overall_rate": overall_rate,
            "areas": areas,
            "program_total": sum(section.program_count for section in areas),
            "targets": targets,
            "achievement_shown": any(view.achievement for view in targets),
            "achievement_rule": ACHIEVEMENT_RULE,
            "members": list(members),
            "council": meeting.council,
        }
