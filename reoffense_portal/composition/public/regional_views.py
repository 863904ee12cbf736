"""地域再犯防止推進事業 nationwide and the 取組事例, for residents: every figure from live versions only.

The tables are made by reoffense_portal.publishing.regional from what approval stored in each version.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from measures.models import SupportKind
from reoffense_portal.composition.publishing import regional
from reoffense_portal.composition.publishing.models import PlanVersion
from reoffense_portal.composition.publishing.opendata import LICENSE
from reoffense_portal.machinery import disclosure, eras
from reoffense_portal.machinery.spreadsheets.files import write_csv, write_xlsx

FILENAME = "地域再犯防止推進事業の取組状況"


def _tables(year) -> regional.NationalTables:
    if year is not None and not 1989 <= year <= 2200:
        raise Http404("この年度の集計はありません。")
    return regional.national_tables(year)


def _licensed(response):
    response["Link"] = f'<{LICENSE["url"]}>; rel="license"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def programme(request, year=None):
    """Per kind of direct support: 団体数（重複計上） and the range of 支援実績; then the 必須事務."""
    tables = _tables(year)
    return TemplateResponse(request, "public/regional_programme.html", {
        "tables": tables, "small_number_note": disclosure.note(),
        "year_links": [(y, eras.fiscal_year_full_label(y)) for y in tables.years],
    })


@require_safe
def kind_detail(request, year, code):
    """The prefectures behind a kind's figures in a year, each with its 支援実績 and 委託先."""
    tables = _tables(year)
    row = tables.kind(code)
    if row is None:
        raise Http404("この取組内容はありません。")
    return TemplateResponse(request, "public/regional_kind.html", {
        "tables": tables, "row": row, "small_number_note": disclosure.note(),
    })


@require_safe
def programme_csv(request, year):
    tables = _tables(year)
    response = HttpResponse(write_csv(regional.dataset(tables)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{FILENAME}_{tables.label}.csv")
    return _licensed(response)


@require_safe
def programme_json(request, year):
    data = {**regional.json_data(_tables(year)), "license": LICENSE}
    return _licensed(JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 1}))


def programme_xlsx(request, year):
    """Superusers: the table in the shape of the Ministry's 「R7取組内容 団体数（重複計上）」 and 支援実績."""
    if not request.user.is_superuser:
        raise PermissionDenied
    tables = _tables(year)
    response = HttpResponse(
        write_xlsx(regional.dataset(tables), title=tables.label),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = content_disposition_header(True, f"{FILENAME}_{tables.label}.xlsx")
    return response


@require_safe
def practices(request):
    """Every published 取組事例, by the Ministry's kind of support of the programme it belongs to."""
    kinds = {kind.code: kind for kind in SupportKind.objects.all()}
    groups = {code: [] for code in kinds}
    others = []
    for version in PlanVersion.objects.live().select_related("municipality").order_by("municipality_id"):
        for practice in version.card.get("practices", []):
            entry = {**practice, "municipality": version.municipality, "plan_title": version.title,
                     "plan_url": version.card.get("url", "")}
            groups.get(practice["kind"], others).append(entry)
    sections = [(kinds[code], entries) for code, entries in groups.items() if entries]
    return TemplateResponse(request, "public/practices.html", {"sections": sections, "others": others})
