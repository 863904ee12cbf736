# ruff: noqa: F811 (pytest fixtures imported from tests.import_export_factories)
"""Open data: residents download a published plan's data as CSV and JSON under CC BY 4.0; drafts never."""

import json

import pytest
from django.conf import settings
from django.urls import reverse

from measures.models import Program, ProgramProgress
from measures.resources import PlanStructureResource, ProgramProgressResource
from reoffense_portal.composition.publishing.opendata import DATASETS
from reoffense_portal.machinery.spreadsheets.files import read_spreadsheet
from tests.import_export_factories import (  # noqa: F401 (fixtures)
    build_city,
    editor,
    kumamoto,
    run_import,
    yamaguchi,
)
from tests.public_data import publish, unpublish


def test_json_holds_the_plan_areas_programmes_progress_indicators_and_meetings(client, kumamoto):
    response = client.get(reverse("public:plan_json", args=[kumamoto.plan.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert 'rel="license"' in response["Link"]
    data = json.loads(response.getvalue())
    assert data["license"]["spdx"] == "CC-BY-4.0"
    assert data["license"]["attribution"] == "出典：熊本市「熊本市再犯防止推進計画」（再犯防止推進計画ポータル）"
    assert data["municipality"] == {"code": "431001", "name": "熊本市", "local_government_name": "熊本県熊本市",
                                    "prefecture_name": "熊本県", "city_name": "熊本市"}
    assert data["source"] == settings.SITE_URL + kumamoto.plan.get_absolute_url()
    program = data["areas"][0]["measures"][0]["programs"][0]
    assert program["name"] == "協力雇用主の拡大"
    assert program["departments"] == ["生活安全課"] and program["partners"] == ["保護観察所"]
    assert program["progress"][0] == {
        "fiscal_year": 2024, "fiscal_year_label": "令和6年度", "status": "実施", "results": "説明会を2回開催",
        "support_count": 12, "budget_yen": 1500000, "actual_cost_yen": 1320000, "subsidy_rate": 0.5,
        "rating": None, "issues": "",
    }
    indicator = data["indicators"][0]
    assert indicator["target"]["value"] == 450 and indicator["values"][0]["value"] == 478
    assert indicator["values"][0]["label"] == "令和5年"
    meeting = data["councils"][0]["meetings"][0]
    assert meeting["label"] == "令和6年度第1回" and meeting["held_on"] == "2024-07-18"


@pytest.mark.parametrize("dataset", DATASETS)
def test_every_csv_is_utf8_with_bom_licensed_and_has_the_plans_rows(client, kumamoto, dataset):
    response = client.get(reverse("public:plan_csv", args=[kumamoto.plan.pk, dataset]))
    assert response.status_code == 200
    body = response.getvalue()  # streamed from the file storage
    assert body.startswith(b"\xef\xbb\xbf")
    assert 'rel="license"' in response["Link"]
    rows = read_spreadsheet(body)
    # 自治体標準オープンデータセット's columns name the municipality first.
    assert rows.headers[:4] == ["全国地方公共団体コード", "地方公共団体名", "都道府県名", "市区町村名"]
    assert len(rows) >= 1 and {tuple(map(str, r[:4])) for r in rows} == {("431001", "熊本県熊本市", "熊本県", "熊本市")}


def test_drafts_are_never_served(client, kumamoto):
    unpublish(kumamoto.plan)
    assert client.get(reverse("public:plan_json", args=[kumamoto.plan.pk])).status_code == 404
    for dataset in DATASETS:
        assert client.get(reverse("public:plan_csv", args=[kumamoto.plan.pk, dataset])).status_code == 404


def test_a_draft_plans_rows_never_appear_in_another_plans_files(client, kumamoto, yamaguchi):
    unpublish(yamaguchi.plan)
    for dataset in DATASETS:
        body = client.get(reverse("public:plan_csv", args=[kumamoto.plan.pk, dataset])).getvalue().decode("utf-8-sig")
        assert "山口" not in body and "352039" not in body


def test_the_files_hold_the_approved_version_not_the_working_rows(client, kumamoto):
    kumamoto.program.name = "承認前の事業名"
    kumamoto.program.save()
    url = reverse("public:plan_csv", args=[kumamoto.plan.pk, "programs"])
    assert "承認前の事業名" not in client.get(url).getvalue().decode("utf-8-sig")
    publish(kumamoto.plan)
    assert "承認前の事業名" in client.get(url).getvalue().decode("utf-8-sig")


def test_unknown_dataset_and_unknown_plan_are_404(client, kumamoto):
    assert client.get(reverse("public:plan_csv", args=[kumamoto.plan.pk, "users"])).status_code == 404
    assert client.get(reverse("public:plan_json", args=[999999])).status_code == 404


def test_open_data_csv_is_the_sheet_staff_import(client, kumamoto, editor):
    for dataset, resource in (("programs", PlanStructureResource), ("progress", ProgramProgressResource)):
        data = client.get(reverse("public:plan_csv", args=[kumamoto.plan.pk, dataset])).getvalue()
        result = run_import(resource, data, editor)
        assert not result.has_problems(), result.messages()
        assert {r.import_type for r in result.rows} == {"skip"}


def test_plan_page_links_the_open_data_with_the_licence(client, kumamoto):
    page = client.get(kumamoto.plan.get_absolute_url()).content.decode()
    assert reverse("public:plan_json", args=[kumamoto.plan.pk]) in page
    assert reverse("public:plan_csv", args=[kumamoto.plan.pk, "progress"]) in page
    assert "CC BY 4.0" in page and 'rel="license"' in page


def test_json_query_count_does_not_grow_with_the_plan(client, kumamoto, django_assert_max_num_queries):
    url = reverse("public:plan_json", args=[kumamoto.plan.pk])
    with django_assert_max_num_queries(20) as small:
        client.get(url)
    for i in range(20):
        program = Program.objects.create(measure=kumamoto.measure, name=f"追加事業{i}", order=10 + i)
        program.departments.add(kumamoto.department)
        ProgramProgress.objects.create(program=program, fiscal_year=2024, status="implemented")
    publish(kumamoto.plan)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)


def test_a_staff_preview_of_a_draft_offers_no_open_data(client, kumamoto, editor):
    unpublish(kumamoto.plan)
    client.force_login(editor)
    response = client.get(kumamoto.plan.get_absolute_url() + "?preview=1")
    assert response.status_code == 200
    assert reverse("public:plan_json", args=[kumamoto.plan.pk]) not in response.content.decode()


def test_every_year_is_a_western_number_with_its_japanese_era_label_beside_it(client, kumamoto):
    progress = read_spreadsheet(client.get(reverse("public:plan_csv", args=[kumamoto.plan.pk, "progress"])).getvalue())
    at = progress.headers.index("年度")
    assert progress.headers[at + 1] == "年度の表記"
    assert (str(progress[0][at]), progress[0][at + 1]) == ("2024", "令和6年度")
    values = read_spreadsheet(client.get(reverse("public:plan_csv", args=[kumamoto.plan.pk, "indicator-values"])).getvalue())
    at = values.headers.index("年")
    assert (str(values[0][at]), values[0][at + 1]) == ("2023", "令和5年")
