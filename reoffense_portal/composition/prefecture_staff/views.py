"""Admin pages of a prefecture's staff: the follow-up list and the comparison table (exact figures)."""

from django.contrib import admin
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.utils.http import content_disposition_header

from plans.models import Municipality
from reoffense_portal.composition import comparison

from .follow_up import follow_up


def staffed_prefectures(user):
    """The prefectures whose staff the user is (every prefecture for a superuser)."""
    return Municipality.objects.for_user(user).filter(kind=Municipality.Kind.PREFECTURE).order_by("code")


def _prefecture(request, code) -> Municipality:
    prefecture = staffed_prefectures(request.user).filter(code=code).first()
    if prefecture is None:
        raise Http404("指定された都道府県の職員ではないため、表示できません。")
    return prefecture


def _context(request, prefecture, title, **extra):
    return {**admin.site.each_context(request), "title": title, "prefecture": prefecture, **extra}


def follow_up_view(request, code):
    prefecture = _prefecture(request, code)
    listed, fine = follow_up(prefecture)
    return TemplateResponse(request, "admin/prefectures/follow_up.html", _context(
        request, prefecture, f"{prefecture.name}内の市区町村の計画策定状況（フォローアップ）",
        follow_ups=listed, fine=fine,
    ))


def _table(request, code):
    table = comparison.staff_table(_prefecture(request, code))
    return table.sorted_by(request.GET.get("sort"), request.GET.get("order"))


def comparison_view(request, code):
    table = _table(request, code)
    return TemplateResponse(request, "admin/prefectures/comparison.html", _context(
        request, table.prefecture, f"{table.prefecture.name}内の市区町村の計画の比較（作業中の内容）", table=table,
    ))


def comparison_csv(request, code):
    table = _table(request, code)
    response = HttpResponse(table.csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=table.filename)
    return response
