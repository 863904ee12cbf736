"""A prefecture's municipalities side by side: national priorities, KPIs with 達成率, support counts.

One row per plan. Each row says which of the national plan's 重点課題 the plan's
areas map to (PriorityArea.national_priorities), each 成果目標 with its 達成率
(Indicator.achievement_text) and the support counts (支援件数) of its programmes
per kind of direct support and fiscal year (Program.support_kind, a kind whose support is counted).

Residents read the table made from live versions only: approval stores each
plan's row in the version's card (`comparison_entry(..., public=True)`,
publishing.snapshot), small counts already masked. The prefecture's staff read
the same table built from the working rows, exact (`staff_table`). Either way
the queries are a fixed number for the whole prefecture.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

import tablib
from django.db.models import Sum
from django.urls import reverse

from measures.models import PriorityArea, ProgramProgress, SupportKind
from plans.models import ACHIEVEMENT_RULE, PERCENT_STEP, Indicator, Municipality, NationalPriority, Plan
from reoffense_portal.machinery import disclosure, eras
from reoffense_portal.machinery.spreadsheets.files import CSVFormat


def priority_key(national_plan: int, number: int) -> str:
    """「2-1」: the first 重点課題 of the second national plan."""
    return f"{national_plan}-{number}"


def target_entry(indicator: Indicator, *, public: bool) -> dict:
    """A KPI as the table shows it: its name, its 達成率 in words and in percent to one decimal place, as
    a JSON number (None when not shown)."""
    percent = indicator.achievement_percent(public=public)
    return {
        "name": indicator.name,
        "achievement": indicator.achievement_text(public=public),
        "percent": None if percent is None else float(percent),
    }


def mean_percent(percents: list) -> Decimal | None:
    """The mean of 達成率 to one decimal place, rounded half up as each 達成率 is (plans.models.Progress)."""
    if not percents:
        return None
    total = sum(Decimal(str(percent)) for percent in percents)
    return (total / len(percents)).quantize(PERCENT_STEP, rounding=ROUND_HALF_UP)


def support_entry(category: str, fiscal_year: int, total: int, *, public: bool) -> dict:
    """A year's support count of a kind of support: in public, 「3件未満」 and no number below the threshold."""
    unit = disclosure.SUPPORT_COUNT_UNIT
    if public and disclosure.is_small_count(total, unit):
        return {"category": category, "fiscal_year": fiscal_year, "count": None,
                "label": disclosure.small_count_label(unit)}
    return {"category": category, "fiscal_year": fiscal_year, "count": total, "label": f"{total:,}{unit}"}


def comparison_entry(priorities, targets, support_totals: dict, *, public: bool) -> dict:
    """A plan's row: `priorities` (national_plan, number) pairs, target indicators with their values
    prefetched, and {(category, fiscal_year): total support count}."""
    return {
        "priorities": sorted({priority_key(*pair) for pair in priorities}),
        "targets": [target_entry(indicator, public=public) for indicator in targets],
        "support": [
            support_entry(category, year, total, public=public)
            for (category, year), total in sorted(support_totals.items())
        ],
    }


def loaded_plan_entry(plan: Plan) -> dict:
    """The public row of a plan loaded by publishing.snapshot.load_plan (its tree and targets in memory)."""
    priorities = [(np.national_plan, np.number) for area in plan.area_list for np in area.national_list]
    totals = defaultdict(int)
    for area in plan.area_list:
        for section in area.section_list:  # the area's own programmes, then each measure's
            for program in section.program_list:
                kind = program.support_kind
                if kind is None or not kind.counts_support:
                    continue
                for progress in program.progress_list:
                    if progress.support_count is not None:
                        totals[(kind.code, progress.fiscal_year)] += progress.support_count
    return comparison_entry(priorities, plan.targets, totals, public=True)


# --- the table ----------------------------------------------------------------------------------


@dataclass
class Row:
    municipality: str
    code: str
    municipality_url: str
    title: str
    url: str
    period_label: str
    period_start: str  # ISO date, for sorting
    entry: dict | None  # None: a version approved before the table existed

    @property
    def priority_count(self) -> int:
        return len(self.entry["priorities"]) if self.entry else 0

    @property
    def target_count(self) -> int:
        return len(self.entry["targets"]) if self.entry else 0

    @cached_property
    def mean_percent(self) -> Decimal | None:
        """The mean 達成率 of the KPIs that have one, to one decimal place."""
        return mean_percent([t["percent"] for t in self.entry["targets"] if t["percent"] is not None] if self.entry else [])

    @cached_property
    def support_by_key(self) -> dict[str, dict]:
        """The row's support counts by column key: a wide table asks for each of its columns."""
        entries = self.entry["support"] if self.entry else []
        return {support_key(s["category"], s["fiscal_year"]): s for s in entries}

    def support(self, key: str) -> dict | None:
        return self.support_by_key.get(key)


def support_key(category: str, fiscal_year: int) -> str:
    return f"{category}-{fiscal_year}"


@dataclass
class Column:
    key: str  # the ?sort= value
    label: str


class ComparisonTable:
    """The rows with their columns: one per national priority in use, one per kind of support and year."""

    achievement_rule = ACHIEVEMENT_RULE

    BASE_SORTS = {
        "municipality": ("自治体", lambda row: row.code),
        "period": ("計画期間", lambda row: row.period_start),
        "priorities": ("対応する重点課題の数", lambda row: row.priority_count),
        "targets": ("成果目標の数", lambda row: row.target_count),
        "achievement": ("達成率の平均", lambda row: row.mean_percent),
    }

    def __init__(self, prefecture: Municipality, rows: list[Row], *, public: bool):
        self.prefecture = prefecture
        self.rows = rows
        self.public = public
        used = {key for row in rows if row.entry for key in row.entry["priorities"]}
        editions = {int(key.split("-")[0]) for key in used}
        self.priority_columns = [
            Column(priority_key(np.national_plan, np.number), str(np))
            for np in NationalPriority.objects.filter(national_plan__in=editions)
        ]
        support = sorted({
            (s["category"], s["fiscal_year"]) for row in rows if row.entry for s in row.entry["support"]
        }, key=lambda pair: (pair[1], pair[0]))
        labels = dict(SupportKind.objects.values_list("code", "name"))
        self.support_columns = [
            Column(support_key(category, year), f"{labels.get(category, category)}（{eras.fiscal_year_label(year)}）")
            for category, year in support
        ]
        self.sort, self.descending = "municipality", False

    @property
    def has_unlisted_versions(self) -> bool:
        return any(row.entry is None for row in self.rows)

    def sorted_by(self, sort: str | None, order: str | None) -> "ComparisonTable":
        """Rows in the order of a column (?sort=, ?order=desc); rows with no value go last either way."""
        keys = {name: key for name, (_, key) in self.BASE_SORTS.items()}
        for column in self.support_columns:
            keys[column.key] = lambda row, key=column.key: (row.support(key) or {}).get("count")
        if sort not in keys:
            sort = "municipality"
        self.sort, self.descending = sort, order == "desc"
        key = keys[sort]
        known = sorted((row for row in self.rows if key(row) is not None), key=key, reverse=self.descending)
        self.rows = known + [row for row in self.rows if key(row) is None]
        return self

    def _header(self, column: Column) -> dict:
        current = column.key == self.sort
        next_order = "desc" if current and not self.descending else "asc"
        return {
            "label": column.label,
            "query": f"?sort={column.key}&order={next_order}",
            "aria_sort": ("descending" if self.descending else "ascending") if current else "",
        }

    @property
    def headers(self) -> dict:
        """Each sortable base column by its key: its label, the link that sorts by it, aria-sort when current."""
        return {name: self._header(Column(name, label)) for name, (label, _) in self.BASE_SORTS.items()}

    @property
    def support_headers(self) -> list[dict]:
        return [self._header(column) for column in self.support_columns]

    def lines(self) -> list[dict]:
        """What each row shows, in column order."""
        return [
            {
                "row": row,
                "marks": [bool(row.entry) and column.key in row.entry["priorities"] for column in self.priority_columns],
                "targets": row.entry["targets"] if row.entry else [],
                "support": [(row.support(column.key) or {}).get("label", "") for column in self.support_columns],
            }
            for row in self.rows
        ]

    def csv(self) -> bytes:
        """The table as CSV (UTF-8 with BOM, formula cells neutralised), one KPI a line within its cell."""
        headers = ["団体コード", "自治体", "計画名", "計画期間"]
        headers += [f"重点課題 {column.label}" for column in self.priority_columns]
        headers += ["成果目標と達成率", "達成率の平均（%）"]
        headers += [f"支援件数 {column.label}" for column in self.support_columns]
        dataset = tablib.Dataset(headers=headers)
        for line in self.lines():
            row = line["row"]
            targets = "\n".join(
                f"{t['name']}：{t['achievement'] or '達成率は算出できません'}" for t in line["targets"]
            )
            dataset.append([
                row.code, row.municipality, row.title, row.period_label,
                *("○" if mark else "" for mark in line["marks"]),
                targets, "" if row.mean_percent is None else row.mean_percent,
                *line["support"],
            ])
        return CSVFormat().export_data(dataset)

    @property
    def filename(self) -> str:
        return f"{self.prefecture.name}_市区町村の再犯防止推進計画の比較.csv"


def public_table(prefecture: Municipality, versions) -> ComparisonTable:
    """The table residents read: the live versions of the prefecture's municipalities (municipality selected)."""
    rows = [
        Row(
            municipality=version.municipality.name, code=version.municipality.code,
            municipality_url=version.municipality.get_absolute_url(),
            title=version.title, url=version.card.get("url", ""), period_label=version.card.get("period_label", ""),
            period_start=version.period_start.isoformat(), entry=version.card.get("comparison"),
        )
        for version in versions
    ]
    return ComparisonTable(prefecture, rows, public=True)


def staff_table(prefecture: Municipality) -> ComparisonTable:
    """The table a prefecture's staff read: every plan of its municipalities as it is now, exact figures.

    One query per kind of figure (priorities, KPIs with their newest value, support totals): no value or
    progress row is loaded, a prefecture of 60 cities has thousands."""
    plans = list(
        Plan.objects.filter(municipality__prefecture=prefecture).select_related("municipality")
        .only("title", "period_start", "period_end", "municipality__name", "municipality__code")
        .order_by("municipality", "-period_start")
    )
    ids = [plan.pk for plan in plans]
    priorities = defaultdict(list)
    links = PriorityArea.national_priorities.through.objects.filter(priorityarea__plan__in=ids).values_list(
        "priorityarea__plan", "nationalpriority__national_plan", "nationalpriority__number"
    )
    for plan_id, national_plan, number in links:
        priorities[plan_id].append((national_plan, number))
    targets = defaultdict(list)
    indicators = Indicator.objects.filter(plan__in=ids, kind=Indicator.Kind.TARGET).with_latest_value()
    for indicator in indicators.order_by("order", "pk"):  # a plan's order; no join to sort by plan and city
        targets[indicator.plan_id].append(indicator)
    totals = defaultdict(dict)
    counts = (
        ProgramProgress.objects.filter(program__area__plan__in=ids, support_count__isnull=False)
        .filter(program__support_kind__counts_support=True)
        .values("program__area__plan", "program__support_kind__code", "fiscal_year")
        .annotate(total=Sum("support_count"))
        .order_by()
    )
    for count in counts:
        key = (count["program__support_kind__code"], count["fiscal_year"])
        totals[count["program__area__plan"]][key] = count["total"]
    rows = [
        Row(
            municipality=plan.municipality.name, code=plan.municipality.code,
            municipality_url="", title=plan.title,
            url=reverse("admin:plans_plan_change", args=[plan.pk]), period_label=plan.period_label, period_start=plan.period_start.isoformat(),
            entry=comparison_entry(priorities[plan.pk], targets[plan.pk], totals[plan.pk], public=False),
        )
        for plan in plans
    ]
    return ComparisonTable(prefecture, rows, public=False)
