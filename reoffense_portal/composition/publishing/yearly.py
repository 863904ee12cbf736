"""A plan's yearly status as residents read it (進捗管理): each area's 実施率 and every programme's status by year.

A fiscal year of the plan appears once a programme has progress recorded
for it. Like everything public it is rendered into a version at approval
(snapshot.plan_pages), so a year entered since shows only after the next
approval. A programme with no record for a year is 「未報告」, kept apart
from 「未実施」 (reported as not carried out); the 実施率 counts both as not
carried out, as staff screens and the 進捗状況報告 do
(ProgramQuerySet.implementation_rate). An area none of whose programmes is
reported for the year has no rate: it reads 「未報告」, not 0 %. 支援件数 are counts about people:
below the threshold they read 「3件未満」 (reoffense_portal.machinery.disclosure). Each programme's self-evaluation (評価 A–D
and 課題・今後の方向性, 事務事業評価) is published with the year, its legend in the plan's own wording.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.urls import reverse
from django.utils.safestring import mark_safe

from measures.models import EvaluationScale, Measure, PriorityArea, Program, ProgramProgress
from measures.tree import programs_of
from plans.models import Plan, format_quantity
from reoffense_portal.machinery import disclosure, eras

from .rate_chart import rate_chart_svg

UNREPORTED = "未報告"
# The columns of the status counts: each status staff record, then the programmes without a record.
STATUS_LABELS = [*ProgramProgress.Status.labels, UNREPORTED]


def rate_label(rate: Decimal | None, programs: int) -> str:
    """83.3%; 「未報告」 when none of the `programs` is reported for the year; － when there is no programme."""
    if not programs:
        return "－"
    return UNREPORTED if rate is None else f"{format_quantity(rate)}%"


@dataclass
class ProgramYear:
    """A programme in one fiscal year: its progress, or none reported."""

    program: Program
    progress: ProgramProgress | None

    @property
    def status_label(self) -> str:
        return self.progress.get_status_display() if self.progress else UNREPORTED

    @property
    def status_key(self) -> str:
        """The status for the page's styles: implemented, partial, not_implemented, under_review or unreported."""
        return self.progress.status if self.progress else "unreported"

    @property
    def departments(self) -> str:
        return "、".join(department.name for department in self.program.department_list)

    @property
    def masks_support_count(self) -> bool:
        count = self.progress.support_count if self.progress else None
        return disclosure.is_small_count(count, disclosure.SUPPORT_COUNT_UNIT)

    @property
    def support_count_label(self) -> str:
        """12件, 「3件未満」 for a small count, '' when none is reported."""
        if self.progress is None or self.progress.support_count is None:
            return ""
        if self.masks_support_count:
            return disclosure.small_count_label(disclosure.SUPPORT_COUNT_UNIT)
        return f"{self.progress.support_count:,}{disclosure.SUPPORT_COUNT_UNIT}"


@dataclass
class AreaYear:
    area: PriorityArea
    rate: Decimal | None
    # (None, …) first for the programmes the area lists without a measure (measures.tree.Section)
    measures: list[tuple[Measure | None, list[ProgramYear]]]

    @property
    def programs(self) -> list[ProgramYear]:
        return [row for _, rows in self.measures for row in rows]

    @property
    def rate_label(self) -> str:
        return rate_label(self.rate, len(self.programs))

    @property
    def status_counts(self) -> list[tuple[str, int]]:
        """How many programmes had each status, 未報告 last."""
        return status_counts(self.programs)


def status_counts(rows: list[ProgramYear]) -> list[tuple[str, int]]:
    labels = [row.status_label for row in rows]
    return [(label, labels.count(label)) for label in STATUS_LABELS]


@dataclass
class PlanYear:
    """One reported fiscal year of a plan: its page /plans/<pk>/progress/<year>/."""

    plan: Plan
    fiscal_year: int
    rate: Decimal | None
    areas: list[AreaYear]
    # {"A": "計画どおり実施し、成果が上がった", …} in the plan's wording (EvaluationScale.meanings_of)
    rating_meanings: dict[str, str] = field(default_factory=dict)

    @property
    def evaluated(self) -> bool:
        """Whether any programme has a grade or issues for the year: the page then shows them and the legend."""
        return any(row.progress and (row.progress.rating or row.progress.issues)
                   for area in self.areas for row in area.programs)

    @property
    def label(self) -> str:
        return eras.fiscal_year_label(self.fiscal_year)

    @property
    def full_label(self) -> str:
        return eras.fiscal_year_full_label(self.fiscal_year)

    @property
    def path(self) -> str:
        return reverse("public:plan_progress", args=[self.plan.pk, self.fiscal_year])

    @property
    def rate_label(self) -> str:
        return rate_label(self.rate, self.program_count)

    @property
    def program_count(self) -> int:
        return sum(len(area.programs) for area in self.areas)

    @property
    def status_counts(self) -> list[tuple[str, int]]:
        return status_counts([row for area in self.areas for row in area.programs])

    @property
    def plan_year_number(self) -> int:
        """Which year of the plan this is (1 for its first fiscal year)."""
        return self.fiscal_year - self.plan.first_fiscal_year + 1

    @property
    def masks_small_counts(self) -> bool:
        return any(row.masks_support_count for area in self.areas for row in area.programs)


@dataclass
class AreaHistory:
    """An area's 実施率 in every reported year: the small chart and its table row on the plan page."""

    area: PriorityArea
    years: list[AreaYear] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)

    @property
    def chart_svg(self) -> str:
        bars = [(label, None if year.rate is None else float(year.rate), year.rate_label)
                for label, year in zip(self.labels, self.years, strict=True)]
        return mark_safe(rate_chart_svg(self.area.title, bars))  # noqa: S308 — drawn here, its text escaped


def reported_years(plan: Plan) -> list[int]:
    """The plan's fiscal years with progress recorded for at least one programme, oldest first."""
    recorded = {progress.fiscal_year for program in programs_of(plan.area_list) for progress in program.progress_list}
    return [year for year in plan.fiscal_years if year in recorded]


def plan_years(plan: Plan) -> list[PlanYear]:
    """Every reported year of a plan loaded by snapshot.load_plan (its tree with every year's progress).

    Two queries a year, for the rates, and one for the grades' wording, whatever the plan's size.
    """
    programs = Program.objects.of_plan(plan)
    meanings = EvaluationScale.meanings_of(plan)
    years = []
    for year in reported_years(plan):
        rates = programs.implementation_rates_by_area(year)
        areas = [
            AreaYear(area, rates.get(area.pk), [
                (section.measure, [ProgramYear(program, _progress_of(program, year)) for program in section.program_list])
                for section in area.section_list
            ])
            for area in plan.area_list
        ]
        years.append(PlanYear(plan, year, programs.implementation_rate(year), areas, meanings))
    return years


def area_histories(years: list[PlanYear]) -> list[AreaHistory]:
    if not years:
        return []
    histories = [AreaHistory(area_year.area) for area_year in years[0].areas]
    for year in years:
        for history, area_year in zip(histories, year.areas, strict=True):
            history.years.append(area_year)
            history.labels.append(year.label)
    return histories


def _progress_of(program: Program, year: int) -> ProgramProgress | None:
    return next((progress for progress in program.progress_list if progress.fiscal_year == year), None)
