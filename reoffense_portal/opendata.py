"""Open data: a published plan's areas, measures, programmes, indicators and meetings as CSV and JSON.

Residents (and researchers comparing cities) download what the plan page
shows, under CC BY 4.0. Only published and archived plans are served; a
draft answers 404 like every other public URL. The CSV files are the same
sheets staff import and export (measures/councils/plans resources, UTF-8
with BOM, formula cells neutralised), so one column set describes the data
everywhere. This module composes plans, measures and councils, which is why
it lives at the top (plans never imports the other two).
"""

from django.db.models import Prefetch
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from councils.models import Council, Meeting
from councils.resources import MeetingResource
from measures.models import Measure, PriorityArea, Program, ProgramProgress
from measures.resources import PlanStructureResource, ProgramProgressResource
from plans import eras
from plans.models import Indicator, IndicatorValue, Plan
from plans.resources import IndicatorValueResource
from plans.spreadsheets import CSVFormat, DecimalWidget

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


def published_plan(pk) -> Plan:
    return get_object_or_404(Plan.objects.published().select_related("municipality"), pk=pk)


# --------------------------------------------------------------------------- CSV


def indicator_rows(plan):
    """One row per indicator: what it measures and the target (its values are another file)."""
    import tablib

    dataset = tablib.Dataset(headers=[
        "団体コード", "計画名", "種類", "指標名", "単位", "望ましい方向", "集計期間", "基準年", "基準値",
        "目標年", "目標値", "目標の文言", "出典",
    ])
    number = DecimalWidget()
    for i in Indicator.objects.published().filter(plan=plan).order_by("kind", "order", "pk"):
        dataset.append([
            plan.municipality_id, plan.title, i.get_kind_display(), i.name, i.unit, i.get_direction_display(),
            i.get_period_kind_display(), i.baseline_year, number.render(i.baseline_value), i.target_year,
            number.render(i.target_value), i.target_text, i.source,
        ])
    return dataset


def _structure(plan):
    queryset = Program.objects.published().filter(measure__area__plan=plan)
    return PlanStructureResource(published_only=True).export(queryset=queryset)


def _progress(plan):
    queryset = ProgramProgress.objects.published().filter(program__measure__area__plan=plan)
    return ProgramProgressResource(published_only=True).export(queryset=queryset)


def _values(plan):
    queryset = IndicatorValue.objects.published().filter(indicator__plan=plan)
    return IndicatorValueResource(published_only=True).export(queryset=queryset)


def _meetings(plan):
    queryset = Meeting.objects.published().filter(council__plan=plan)
    return MeetingResource(published_only=True).export(queryset=queryset)


# name in the URL → (title, dataset builder)
DATASETS = {
    "programs": ("重点施策・施策・取組（事業）", _structure),
    "progress": ("取組の年度ごとの進捗", _progress),
    "indicators": ("成果目標・統計の指標", indicator_rows),
    "indicator-values": ("指標の値", _values),
    "meetings": ("会議の開催", _meetings),
}


def _licensed(response):
    response["Link"] = f'<{LICENSE["url"]}>; rel="license"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def plan_csv(request, pk, dataset):
    plan = published_plan(pk)
    if dataset not in DATASETS:
        raise Http404("そのデータはありません。")
    title, build = DATASETS[dataset]
    response = HttpResponse(CSVFormat().export_data(build(plan)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{plan.title}_{title}.csv")
    return _licensed(response)


# --------------------------------------------------------------------------- JSON


def _number(value):
    """A JSON number: 564 for 564.00, 44.8 for 44.80 (values have at most 3 decimal places)."""
    value = DecimalWidget().render(value)
    return value if value is None or isinstance(value, int) else float(value)


def plan_data(plan, request=None) -> dict:
    """The whole published plan as plain data (a handful of queries whatever its size)."""
    progress = Prefetch("progress", queryset=ProgramProgress.objects.order_by("fiscal_year"))
    programs = Prefetch(
        "programs",
        queryset=Program.objects.order_by("order", "pk").prefetch_related("departments", "partners", progress),
    )
    measures = Prefetch("measures", queryset=Measure.objects.order_by("number").prefetch_related(programs))
    areas = (
        PriorityArea.objects.published().filter(plan=plan).order_by("number")
        .prefetch_related("national_priorities", measures)
    )
    indicators = (
        Indicator.objects.published().filter(plan=plan).order_by("kind", "order", "pk")
        .prefetch_related(Prefetch("values", queryset=IndicatorValue.objects.order_by("year")))
    )
    councils = (
        Council.objects.published().filter(plan=plan).order_by("order", "pk")
        .prefetch_related(Prefetch("meetings", queryset=Meeting.objects.order_by("fiscal_year", "sequence")))
    )
    page = plan.get_absolute_url()
    return {
        "license": {**LICENSE, "attribution": attribution(plan), "statement": license_statement(plan)},
        "source": request.build_absolute_uri(page) if request else page,
        "municipality": {"code": plan.municipality_id, "name": plan.municipality.name},
        "plan": {
            "id": plan.pk,
            "title": plan.title,
            "status": plan.status,
            "period": {"start": plan.period_start, "end": plan.period_end, "label": plan.period_full_label},
            "embedded_in": plan.embedded_in,
            "legal_basis": plan.legal_basis,
            "updated_on": plan.last_updated,
        },
        "areas": [
            {
                "number": area.number,
                "title": area.title,
                "description": area.description,
                "page_reference": area.page_reference,
                "national_priorities": [str(p) for p in area.national_priorities.all()],
                "measures": [
                    {
                        "number": measure.number,
                        "label": measure.label,
                        "title": measure.title,
                        "programs": [
                            {
                                "name": program.name,
                                "description": program.description,
                                "departments": [d.name for d in program.departments.all()],
                                "partners": [o.name for o in program.partners.all()],
                                "is_existing": program.is_existing,
                                "progress": [
                                    {
                                        "fiscal_year": p.fiscal_year,
                                        "fiscal_year_label": eras.fiscal_year_label(p.fiscal_year),
                                        "status": p.get_status_display(),
                                        "results": p.results,
                                        "support_count": p.support_count,
                                        "budget_yen": p.budget,
                                        "actual_cost_yen": p.actual_cost,
                                        "subsidy_rate": _number(p.subsidy_rate),
                                    }
                                    for p in program.progress.all()
                                ],
                            }
                            for program in measure.programs.all()
                        ],
                    }
                    for measure in area.measures.all()
                ],
            }
            for area in areas
        ],
        "indicators": [
            {
                "kind": i.get_kind_display(),
                "name": i.name,
                "unit": i.unit,
                "direction": i.get_direction_display(),
                "period_kind": i.get_period_kind_display(),
                "baseline": {"year": i.baseline_year, "value": _number(i.baseline_value), "label": i.baseline_label},
                "target": {"year": i.target_year, "value": _number(i.target_value), "label": i.target_label,
                           "text": i.target_text},
                "source": i.source,
                "values": [
                    {
                        "year": v.year,
                        "label": i.period_label(v.year),
                        "value": _number(v.value),
                        "prefecture_value": _number(v.prefecture_value),
                        "national_value": _number(v.national_value),
                        "note": v.note,
                    }
                    for v in i.values.all()
                ],
            }
            for i in indicators
        ],
        "councils": [
            {
                "name": council.name,
                "kind": council.get_kind_display(),
                "meetings": [
                    {
                        "fiscal_year": m.fiscal_year,
                        "sequence": m.sequence,
                        "label": m.label,
                        "held_on": m.held_on,
                        "starts_at": m.starts_at.strftime("%H:%M") if m.starts_at else None,
                        "ends_at": m.ends_at.strftime("%H:%M") if m.ends_at else None,
                        "venue": m.venue,
                        "status": m.get_status_display(),
                        "reviewed_fiscal_year": m.reviewed_fiscal_year,
                        "minutes": m.minutes,
                    }
                    for m in council.meetings.all()
                ],
            }
            for council in councils
        ],
    }


@require_GET
def plan_json(request, pk):
    plan = published_plan(pk)
    response = JsonResponse(
        plan_data(plan, request), json_dumps_params={"ensure_ascii": False, "indent": 1},
    )
    response["Content-Type"] = "application/json; charset=utf-8"
    response["Content-Disposition"] = content_disposition_header(False, f"plan-{plan.pk}.json")
    return _licensed(response)


app_name = "opendata"
urlpatterns = [
    path("plans/<int:pk>.json", plan_json, name="plan_json"),
    path("plans/<int:pk>/<slug:dataset>.csv", plan_csv, name="plan_csv"),
]
