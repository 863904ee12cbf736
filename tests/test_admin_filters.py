# ruff: noqa: F811 (pytest fixtures imported from tests.import_export_factories)
"""Filter parameters typed into an admin URL: dropped or applied, never a server error, never another city's rows.

The export page applies the change list's filters. A lookup the model cannot
take (municipality__code__exact on a model without a municipality field, a
field that does not exist, a year that is no year) used to answer 500 there;
it is now dropped with a Japanese message, as the change list drops it.
"""

import pytest
from django.contrib import admin
from django.urls import reverse

from councils.models import Meeting
from measures.models import ProgramProgress
from plans.models import IndicatorValue
from reoffense_portal.machinery.scoping.querysets import municipality_path
from reoffense_portal.machinery.spreadsheets.admin import SpreadsheetAdminMixin
from tests.import_export_factories import editor, kumamoto, superuser, yamaguchi  # noqa: F401 (fixtures)

SPREADSHEET_MODELS = [model for model, model_admin in admin.site._registry.items()
                      if isinstance(model_admin, SpreadsheetAdminMixin)]
ALL_MODELS = list(admin.site._registry)
DROPPED_MESSAGE = "URLの絞り込みの条件を読み取れなかったため、条件を外しました。書き出す範囲を確かめてください。"
# Years that str.isdigit() accepts but int(), the database or datetime.date do not.
CRAFTED_YEARS = ["fiscal_year=%C2%B2", "year=%C2%B2", "fiscal_year=" + "9" * 30, "year=" + "9" * 30, "fiscal_year=9999"]


def url_name(model, view):
    return f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}"


def has_municipality_field(model):
    return municipality_path(model) == "municipality"


def lookups_the_model_cannot_take(model):
    lookups = ["bogus__lookup=1"]
    if not has_municipality_field(model):
        lookups.append("municipality__code__exact=431001")
    return lookups


@pytest.fixture
def logged_in(client, editor, yamaguchi):
    client.force_login(editor)
    return client


@pytest.mark.parametrize("model", SPREADSHEET_MODELS, ids=lambda model: model.__name__)
def test_an_export_url_with_a_lookup_the_model_cannot_take_drops_it_with_a_message(logged_in, model):
    url = reverse(url_name(model, "export"))
    for query in lookups_the_model_cannot_take(model):
        response = logged_in.get(f"{url}?{query}")
        assert (response.status_code, response["Location"]) == (302, url), query
        page = logged_in.get(url).content.decode()
        assert DROPPED_MESSAGE in page

        response = logged_in.post(f"{url}?{query}", {"resource": "0", "format": "0"})
        assert (response.status_code, response["Location"]) == (302, url), query


@pytest.mark.parametrize("model", SPREADSHEET_MODELS, ids=lambda model: model.__name__)
def test_an_export_filtered_on_another_citys_code_exports_none_of_its_rows(
    client, editor, superuser, kumamoto, yamaguchi, model
):
    url = reverse(url_name(model, "export")) + f"?{municipality_path(model)}__code__exact=352039"

    client.force_login(editor)
    response = client.post(url, {"resource": "0", "format": "0"})
    assert response.status_code == 200
    assert "352039" not in response.content.decode("utf-8-sig")

    client.force_login(superuser)
    assert "352039" in client.post(url, {"resource": "0", "format": "0"}).content.decode("utf-8-sig")


@pytest.mark.parametrize("value", ["%C2%B2", "9" * 30, "9999"], ids=["superscript two", "30 digits", "9999"])
@pytest.mark.parametrize("model, parameter", [(ProgramProgress, "fiscal_year"), (Meeting, "fiscal_year"),
                                              (IndicatorValue, "year")], ids=lambda item: getattr(item, "__name__", item))
def test_an_export_filtered_on_a_year_that_is_no_year_exports_unfiltered(logged_in, kumamoto, model, parameter, value):
    url = reverse(url_name(model, "export")) + f"?{parameter}={value}"
    response = logged_in.post(url, {"resource": "0", "format": "0"})
    assert response.status_code == 200
    assert "431001" in response.content.decode("utf-8-sig")


@pytest.mark.parametrize("query", ["bogus__lookup=1", "municipality__code__exact=352039", *CRAFTED_YEARS])
def test_no_change_list_answers_a_crafted_filter_with_a_server_error(client, superuser, kumamoto, yamaguchi, query):
    client.force_login(superuser)  # who reaches every change list
    for model in ALL_MODELS:
        response = client.get(f"{reverse(url_name(model, 'changelist'))}?{query}")
        assert response.status_code in (200, 302, 400), (model, response.status_code)
