"""Open data of a version: the plan's areas, measures, programmes, indicators and meetings as CSV and JSON.

Residents (and researchers comparing cities) download what the plan page
shows, under CC BY 4.0. The files are made when a version is approved and
served as stored bytes. The CSV files are the same sheets staff import and
export (measures/councils/plans resources, UTF-8 with BOM, formula cells
neutralised), so one column set describes the data everywhere.

Every CSV begins with the municipality columns of デジタル庁「自治体標準オープンデータセット」
(全国地方公共団体コード, 地方公共団体名, 都道府県名, 市区町村名: `standard`), gives years as 西暦 numbers
with their 和暦 label in the next column, and is described by a Table Schema (publishing/schemas.py);
staff import such a file as it is (全国地方公共団体コード is read as 団体コード).

Small counts about people (reoffense_portal.machinery.disclosure) are written as the text
「3人未満」 where the number would be, in the JSON and in the CSV alike; the
resources do so only with `open_data=True`, so staff exports keep them exact.
"""

import json

import tablib
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse

from councils.resources import MeetingResource
from measures.resources import PlanStructureResource, ProgramProgressResource
from plans.models import ACHIEVEMENT_RULE
from plans.resources import FormulationStepResource, IndicatorValueResource
from reoffense_portal.machinery import disclosure, eras
from reoffense_portal.machinery.scoping.plan_paths import plan_path
from reoffense_portal.machinery.spreadsheets.files import CSVFormat
from reoffense_portal.machinery.spreadsheets.widgets import DecimalWidget

from . import yearly
from .models import VersionFile

LICENSE = {
    "name": "クリエイティブ・コモンズ 表示 4.0 国際（CC BY 4.0）",
    "spdx": "CC-BY-4.0",
    "url": "https://creativecommons.org/licenses/by/4.0/deed.ja",
}


def attribution(plan) -> str:
    return f"出典：{plan.municipality.name}「{plan.title}」（再犯防止推進計画ポータル）"


def license_statement(plan) -> str:
    return (
        f"このデータは{LICENSE['name']}の下で提供されています。"
        f"利用するときは出典（{attribution(plan).removeprefix('出典：')}）を示してください。"
    )


# --------------------------------------------------------------------------- CSV

# 自治体標準オープンデータセット's columns naming the municipality, first in every CSV (instead of 団体コード).
MUNICIPALITY_COLUMNS = ["全国地方公共団体コード", "地方公共団体名", "都道府県名", "市区町村名"]
STAFF_CODE_COLUMN = "団体コード"


def municipality_cells(municipality) -> list[str]:
    """熊本市 → 431001, 熊本県熊本市, 熊本県, 熊本市; a prefecture's own plan has no 市区町村名; a ward (行政区) is
    named with its city (熊本市中央区)."""
    prefecture = municipality.prefecture
    if prefecture is None:
        return [municipality.code, municipality.name, municipality.name, ""]
    name = f"{municipality.parent.name}{municipality.name}" if municipality.parent_id else municipality.name
    return [municipality.code, f"{prefecture.name}{name}", prefecture.name, name]


# A 西暦 year column → the column of its 和暦 label, written just after it.
YEAR_LABEL_COLUMNS = {"年度": "年度の表記", "審議の対象年度": "審議の対象年度の表記", "年": "年の表記"}


def standard_headers(headers: list[str]) -> list[str]:
    """A sheet's columns as open data: the municipality columns first, then the sheet's (without 団体コード),
    each 西暦 year column followed by its 和暦 label unless the sheet has one."""
    made = []
    for header in headers:
        if header != STAFF_CODE_COLUMN:
            made.append(header)
        label = YEAR_LABEL_COLUMNS.get(header)
        if label and label not in headers:
            made.append(label)
    return [*MUNICIPALITY_COLUMNS, *made]


def _year_label(plan, header: str, row: dict) -> str:
    """The 和暦 label of a row's year column: 令和6年度; 令和5年 or 令和5年度 as its indicator counts years."""
    year = row.get(header)
    if year in (None, ""):
        return ""
    if header == "年":
        indicator = next((i for i in _indicators(plan) if i.name == row.get("指標名")), None)
        return indicator.period_label(int(year)) if indicator else ""
    return eras.fiscal_year_label(int(year))


def standard(plan, dataset: tablib.Dataset) -> tablib.Dataset:
    """The sheet as open data (`standard_headers`), each row with its municipality and year labels."""
    headers = standard_headers(dataset.headers)
    made = tablib.Dataset(headers=headers)
    first = dict(zip(MUNICIPALITY_COLUMNS, municipality_cells(plan.municipality), strict=True))
    labels = {label: year for year, label in YEAR_LABEL_COLUMNS.items()}

    def cell(header, row):
        if header in first:
            return first[header]
        if header in labels and header not in row:
            return _year_label(plan, labels[header], row)
        return row[header]

    for values in dataset:
        row = dict(zip(dataset.headers, values, strict=True))
        made.append([cell(header, row) for header in headers])
    return made


INDICATOR_COLUMNS = [
    "団体コード", "計画名", "種類", "指標名", "単位", "望ましい方向", "集計期間", "基準年", "基準年の表記", "時点", "基準値",
    "目標年", "目標年の表記", "目標値", "目標の文言", "達成率", "達成率（%）", "出典", "備考",
]
COMPARISON_COLUMNS = [
    "団体コード", "計画名", "指標名", "比較の対象", "対象の名前", "値", "単位", "時点", "年（年度）", "時点の表記",
]
RATE_COLUMNS = [
    "団体コード", "計画名", "年度", "年度の表記", "重点施策の番号", "重点施策名", "取組・事業の数",
    *yearly.STATUS_LABELS, "実施率（%）",
]


def indicator_rows(plan):
    """One row per indicator: what it measures and the target (its values are another file)."""
    dataset = tablib.Dataset(headers=INDICATOR_COLUMNS)
    number = DecimalWidget()
    for i in _indicators(plan):
        baseline = (disclosure.small_count_label(i.unit) if disclosure.is_small_count(i.baseline_value, i.unit)
                    else number.render(i.baseline_value))
        dataset.append([
            plan.municipality_id, plan.title, i.get_kind_display(), i.name, i.unit, i.get_direction_display(),
            i.get_period_kind_display(), i.baseline_year,
            i.period_label(i.baseline_year) if i.baseline_year else "", i.as_of_text, baseline, i.target_year, i.target_period_label(),
            number.render(i.target_value), i.target_text, i.public_achievement_text,
            number.render(i.public_achievement_percent), i.source, i.note,
        ])
    return dataset


def comparison_rows(plan):
    """One row per figure set beside the city's (the prefecture's, the nation's, another body's), with its time
    as the source states it and its year only where the source gives one; small counts masked."""
    dataset = tablib.Dataset(headers=COMPARISON_COLUMNS)
    for i in _indicators(plan):
        for c in i.comparisons_beside():
            dataset.append([
                plan.municipality_id, plan.title, i.name, c.get_scope_display(), c.subject,
                _people_number(c.value, i.unit), i.unit, c.as_of_text, c.year, c.when_label,
            ])
    return dataset


def implementation_rates(plan):
    """One row per reported fiscal year and area: its 実施率 and how many programmes had each status
    (年度ごとの実施状況, from `snapshot.load_plan`'s `years`; 未報告 apart from 未実施)."""
    dataset = tablib.Dataset(headers=RATE_COLUMNS)
    number = DecimalWidget()
    for year in plan.years:
        for area in year.areas:
            dataset.append([
                plan.municipality_id, plan.title, year.fiscal_year, year.label, area.area.number, area.area.title,
                len(area.programs), *(count for _, count in area.status_counts), number.render(area.rate),
            ])
    return dataset


# The sheets staff import and export, whose columns open data takes (the others have their own, below).
RESOURCES = {
    "programs": PlanStructureResource, "progress": ProgramProgressResource, "indicator-values": IndicatorValueResource,
    "meetings": MeetingResource, "formulation-steps": FormulationStepResource,
}


def _exported(name: str):
    """The dataset builder of a sheet staff export: its resource's rows below the plan, as open data."""
    resource = RESOURCES[name]
    model = resource._meta.model
    below = "__".join(plan_path(model))

    def build(plan):
        return resource(open_data=True).export(queryset=model.objects.filter(**{below: plan}))

    return build


# name in the URL → (title, dataset builder)
DATASETS = {
    "programs": ("重点施策・施策・取組（事業）", _exported("programs")),
    "progress": ("取組の年度ごとの進捗", _exported("progress")),
    "implementation-rates": ("重点施策ごとの年度別実施率", implementation_rates),
    "indicators": ("成果目標・統計の指標", indicator_rows),
    "indicator-values": ("指標の値", _exported("indicator-values")),
    "indicator-comparisons": ("指標の比較の値（都道府県・全国など）", comparison_rows),
    "meetings": ("会議の開催", _exported("meetings")),
    "formulation-steps": ("策定経過", _exported("formulation-steps")),
}
OWN_COLUMNS = {"implementation-rates": RATE_COLUMNS, "indicators": INDICATOR_COLUMNS,
               "indicator-comparisons": COMPARISON_COLUMNS}


def columns(name: str) -> list[str]:
    """The columns of a dataset's CSV, as its Table Schema lists them (publishing/schemas.py)."""
    if name in OWN_COLUMNS:
        return standard_headers(OWN_COLUMNS[name])
    resource = RESOURCES[name]
    return standard_headers(resource(open_data=True).export(queryset=resource._meta.model.objects.none()).headers)


# --------------------------------------------------------------------------- JSON


def _number(value):
    """A JSON number: 564 for 564.00, 44.8 for 44.80 (values have at most 3 decimal places)."""
    value = DecimalWidget().render(value)
    return value if value is None or isinstance(value, int) else float(value)


def _people_number(value, unit: str):
    """The number as JSON writes it, or 「3人未満」 for a small count about people (reoffense_portal.machinery.disclosure)."""
    if disclosure.is_small_count(value, unit):
        return disclosure.small_count_label(unit)
    return value if value is None or isinstance(value, int) else _number(value)


def _indicators(plan) -> list:
    """Statistics, then targets, each in their order (load_plan's lists)."""
    return sorted([*plan.statistics, *plan.targets], key=lambda i: (i.kind, i.order, i.pk))


def _program(program) -> dict:
    return {
        "name": program.name,
        "description": program.description,
        "departments": [d.name for d in program.department_list],
        "partners": [o.name for o in program.partner_list],
        "is_existing": program.is_existing,
        "progress": [
            {
                "fiscal_year": p.fiscal_year,
                "fiscal_year_label": eras.fiscal_year_label(p.fiscal_year),
                "status": p.get_status_display(),
                "results": p.results,
                "support_count": _people_number(p.support_count, disclosure.SUPPORT_COUNT_UNIT),
                "budget_yen": p.budget,
                "actual_cost_yen": p.actual_cost,
                "subsidy_rate": _number(p.subsidy_rate),
                "rating": p.rating or None,
                "issues": p.issues,
            }
            for p in program.progress_list
        ],
    }


def absolute(path: str) -> str:
    """The portal's address of a path (SITE_URL): the stored JSON is read away from the site."""
    return settings.SITE_URL + path


def _municipality(plan) -> dict:
    code, full_name, prefecture, city = municipality_cells(plan.municipality)
    return {"code": code, "name": plan.municipality.name, "local_government_name": full_name,
            "prefecture_name": prefecture, "city_name": city}


def _texts(plan) -> dict:
    """Every text of the plan page, paragraphs and line breaks as written."""
    return {
        "position": plan.position,
        "purpose": plan.purpose,
        "target_persons": plan.target_persons,
        "basic_philosophy": plan.basic_philosophy,
        "basic_policy": plan.basic_policy,
        "current_situation": plan.current_situation,
        "challenges": [challenge.text for challenge in plan.challenges.all()],
        "promotion_system": plan.promotion_system,
        "progress_management": plan.progress_management,
    }


def _period(plan) -> dict:
    return {
        "start": plan.period_start, "end": plan.period_end, "label": plan.period_full_label,
        "start_fiscal_year": eras.fiscal_year_of(plan.period_start),
        "start_fiscal_year_label": eras.fiscal_year_label(eras.fiscal_year_of(plan.period_start)),
        "end_fiscal_year": eras.fiscal_year_of(plan.period_end),
        "end_fiscal_year_label": eras.fiscal_year_label(eras.fiscal_year_of(plan.period_end)),
    }


def _council(council) -> dict:
    return {
        "name": council.name,
        "kind": council.get_kind_display(),
        "purpose": council.purpose,
        "page": absolute(council.get_absolute_url()),
        "members": [
            {
                "organization": member.organization.name,
                "sector": member.organization.get_sector_display(),
                "role": member.get_role_display() if member.role else None,  # null unless the source names it
                "representative": member.representative,
                "term_start": member.term_start,
                "term_end": member.term_end,
            }
            for member in council.members.all()
        ],
        "meetings": [_meeting(m) for m in council.meeting_list],
    }


def _meeting(m) -> dict:
    return {
        "fiscal_year": m.fiscal_year,
        "fiscal_year_label": eras.fiscal_year_label(m.fiscal_year),
        "sequence": m.sequence,
        "label": m.label,
        "page": absolute(m.get_absolute_url()),
        "held_on": m.held_on,  # with a month or fiscal year, its first day
        "held_on_precision": m.get_date_precision_display(),
        "held_on_label": m.held_on_label,
        "starts_at": m.starts_at.strftime("%H:%M") if m.starts_at else None,
        "ends_at": m.ends_at.strftime("%H:%M") if m.ends_at else None,
        "venue": m.venue,
        "status": m.get_status_display(),
        "reviewed_fiscal_year": m.reviewed_fiscal_year,
        "reviewed_fiscal_year_label": eras.fiscal_year_label(m.reviewed_fiscal_year) if m.reviewed_fiscal_year else None,
        "in_plan_period": m.in_plan_period,
        "agenda": [{"title": item.title, "description": item.description} for item in m.agenda_items.all()],
        "minutes": m.minutes,
    }


def _indicator(i) -> dict:
    return {
        "kind": i.get_kind_display(),
        "name": i.name,
        "unit": i.unit,
        "direction": i.get_direction_display(),
        "period_kind": i.get_period_kind_display(),
        "baseline": {"year": i.baseline_year,
                     "year_label": i.period_label(i.baseline_year) if i.baseline_year else None,
                     "as_of": i.as_of_text,
                     "value": _people_number(i.baseline_value, i.unit), "label": i.public_baseline_label},
        "target": {"year": i.target_year, "period_label": i.target_period_label(),
                   "value": _number(i.target_value), "label": i.target_label, "text": i.target_text},
        "achievement": i.public_achievement_text,
        "achievement_percent": _number(i.public_achievement_percent),  # 51.7; null where not stated
        "source": i.source,
        "note": i.note,
        "comparisons": [
            {
                "scope": c.get_scope_display(),
                "subject": c.subject,
                "value": _people_number(c.value, i.unit),
                "as_of": c.as_of_text,
                "year": c.year,  # null unless the source gives one
                "label": c.when_label,
            }
            for c in i.comparisons_beside()
        ],
        "values": [
            {
                "year": v.year,
                "label": i.period_label(v.year),
                "value": _people_number(v.value, i.unit),
                "prefecture_value": _people_number(v.prefecture_value, i.unit),
                "national_value": _people_number(v.national_value, i.unit),
                "note": v.note,
            }
            for v in i.values.all()
        ],
    }


def _areas(plan) -> list[dict]:
    """Each area with its own programmes, then its measures with theirs."""
    return [
        {
            "number": area.number,
            "title": area.title,
            "description": area.description,
            "page_reference": area.page_reference,
            "national_priorities": [str(p) for p in area.national_list],
            "programs": [_program(program) for program in area.program_list],
            "measures": [
                {
                    "number": measure.number,
                    "label": measure.label,
                    "title": measure.title,
                    "description": measure.description,
                    "programs": [_program(program) for program in measure.program_list],
                }
                for measure in area.measure_list
            ],
        }
        for area in plan.area_list
    ]


def _yearly_status(plan) -> list[dict]:
    """年度ごとの実施状況: each reported year's 実施率, overall and per area."""
    return [
        {
            "fiscal_year": year.fiscal_year,
            "fiscal_year_label": year.label,
            "implementation_rate": _number(year.rate),
            "programs": year.program_count,
            "status_counts": dict(year.status_counts),
            "areas": [
                {
                    "number": area.area.number,
                    "title": area.area.title,
                    "implementation_rate": _number(area.rate),
                    "programs": len(area.programs),
                    "status_counts": dict(area.status_counts),
                }
                for area in year.areas
            ],
            "page": absolute(year.path),
        }
        for year in plan.years
    ]


def plan_data(plan, *, version: int, updated_on) -> dict:
    """The whole plan as plain data, from `snapshot.load_plan` (no query of its own, but a ward's city)."""
    indicators = _indicators(plan)
    page = plan.get_absolute_url()
    return {
        "license": {**LICENSE, "attribution": attribution(plan), "statement": license_statement(plan)},
        "small_numbers": {"threshold": disclosure.threshold(), "rule": disclosure.rule_text()},
        "achievement_rule": ACHIEVEMENT_RULE,
        "source": absolute(page),
        "schema": absolute(reverse("public:plan_json_schema")),
        "municipality": _municipality(plan),
        "plan": {
            "id": plan.pk,
            "title": plan.title,
            "version": version,
            "period": _period(plan),
            "embedded_in": plan.embedded_in,
            "legal_basis": plan.legal_basis,
            "updated_on": updated_on,
            "page": absolute(page),
            "summary_pdf": absolute(reverse("public:plan_summary", args=[plan.pk])),
            "document": absolute(reverse("public:plan_document", args=[plan.pk])) if plan.document else None,
            **_texts(plan),
        },
        "areas": _areas(plan),
        "yearly_status": _yearly_status(plan),
        "indicators": [_indicator(i) for i in indicators],
        "formulation_steps": [_formulation_step(step) for step in plan.formulation_steps.all()],
        "councils": [_council(council) for council in plan.council_list],
    }


def _formulation_step(step) -> dict:
    return {
        "order": step.order,
        "date": step.date,  # null when the source gives no date; with a month or fiscal year, its first day
        "end_date": step.end_date,
        "date_precision": step.get_date_precision_display() if step.date else None,
        "date_label": step.date_label,
        "kind": step.get_kind_display(),
        "description": step.description,
    }


def files(plan, *, version: int, updated_on) -> list[VersionFile]:
    """The version's open data: the JSON of the whole plan and one CSV per sheet."""
    data = json.dumps(
        plan_data(plan, version=version, updated_on=updated_on), cls=DjangoJSONEncoder, ensure_ascii=False, indent=1
    )
    made = [VersionFile(key="plan.json", filename=f"plan-{plan.pk}.json",
                        content_type="application/json; charset=utf-8", content=data.encode())]
    for name, (title, build) in DATASETS.items():
        made.append(VersionFile(
            key=f"{name}.csv", filename=f"{plan.title}_{title}.csv", content_type="text/csv; charset=utf-8",
            content=CSVFormat().export_data(standard(plan, build(plan))),
        ))
    return made
