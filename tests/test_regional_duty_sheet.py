"""A prefecture's staff keep their 必須事務 in the progress page's second sheet: the preview counts the new rows,
the import creates them, the same file again changes nothing, export → import changes nothing, and a city's row
is refused in Japanese with nothing written."""

import datetime

import pytest
from django.contrib import admin
from django.test import RequestFactory

from measures.models import ProgramProgress, RegionalDuty
from measures.resources import RegionalDutyResource
from reoffense_portal.machinery.spreadsheets.files import CSVFormat
from tests.import_export_factories import confirm_import, csv_bytes, preview_import, run_import
from tests.staff_world import make_prefecture_world, make_user

pytestmark = pytest.mark.django_db

HEADER = ["団体コード", "計画名", "年度", "必須事務", "名称", "開催日", "参加した市区町村数", "備考"]


def rows_of(plan, *rows):
    return csv_bytes([HEADER, *[[plan.municipality.code, plan.title, *row] for row in rows]])


def test_the_preview_counts_new_duties_and_the_import_creates_them_with_either_calendar(db):
    prefecture, _, _ = make_prefecture_world()
    data = rows_of(prefecture.plan, ["令和6年度", "会議等の開催", "市町村連絡会議", "令和6年7月1日", "45", ""],
                   ["2024", "研修会等の開催", "市町村職員研修", "2024/11/5", "", "オンライン併用"])
    preview = run_import(RegionalDutyResource, data, prefecture.editor, dry_run=True)
    assert not preview.has_problems() and preview.totals["new"] == 2 and preview.totals["update"] == 0
    assert not RegionalDuty.objects.exists()

    result = run_import(RegionalDutyResource, data, prefecture.editor)
    assert not result.has_problems(), result.messages()
    assert sorted(RegionalDuty.objects.values_list("kind", "title", "held_on", "municipalities", "note")) == [
        ("meeting", "市町村連絡会議", datetime.date(2024, 7, 1), 45, ""),
        ("training", "市町村職員研修", datetime.date(2024, 11, 5), None, "オンライン併用"),
    ]

    again = run_import(RegionalDutyResource, data, prefecture.editor)
    assert (again.totals["new"], again.totals["update"], again.totals["skip"]) == (0, 0, 2)
    assert RegionalDuty.history.count() == 2


def test_a_row_changes_only_the_duty_it_names(db):
    prefecture, _, _ = make_prefecture_world()
    RegionalDuty.objects.create(plan=prefecture.plan, fiscal_year=2024, kind="meeting", title="市町村連絡会議")
    RegionalDuty.objects.create(plan=prefecture.plan, fiscal_year=2024, kind="training", title="市町村職員研修")
    data = rows_of(prefecture.plan, ["2024", "会議等の開催", "市町村連絡会議", "R6.7.1", "40", ""])
    result = run_import(RegionalDutyResource, data, prefecture.editor)
    assert (result.totals["new"], result.totals["update"]) == (0, 1)
    assert RegionalDuty.objects.get(title="市町村連絡会議").municipalities == 40
    assert RegionalDuty.objects.get(title="市町村職員研修").municipalities is None


def test_export_then_import_changes_nothing(db):
    prefecture, _, _ = make_prefecture_world()
    RegionalDuty.objects.create(plan=prefecture.plan, fiscal_year=2024, kind="meeting", title="市町村連絡会議",
                                held_on=datetime.date(2024, 7, 1), municipalities=45, note="=1+1 は文字")
    exported = CSVFormat().export_data(RegionalDutyResource(user=prefecture.editor).export())
    assert "令和" not in exported.decode("utf-8-sig") and "市町村連絡会議" in exported.decode("utf-8-sig")
    result = run_import(RegionalDutyResource, exported, prefecture.editor)
    assert not result.has_problems(), result.messages()
    assert (result.totals["new"], result.totals["update"]) == (0, 0)
    assert RegionalDuty.history.count() == 1


def test_a_citys_row_and_a_date_outside_the_year_are_refused_in_japanese_with_nothing_written(db):
    prefecture, city, _ = make_prefecture_world()
    good = [prefecture.municipality.code, prefecture.plan.title, "2024", "会議等の開催", "連絡会議", "", "", ""]
    late = [prefecture.municipality.code, prefecture.plan.title, "2024", "研修会等の開催", "研修", "令和7年4月1日", "", ""]
    citys = [city.municipality.code, city.plan.title, "2024", "会議等の開催", "庁内会議", "", "", ""]
    superuser = make_user("root", is_staff=True, is_superuser=True)  # reads every municipality's plans
    result = run_import(RegionalDutyResource, csv_bytes([HEADER, good, late, citys]), superuser)
    messages = result.messages()
    assert any(m.startswith("3行目") and "開催日が令和6年度（2024年度）の中にありません" in m for m in messages), messages
    assert any(m.startswith("4行目") and f"{city.municipality.name}の計画" in m and "必須事務を登録できません" in m
               for m in messages), messages
    assert not RegionalDuty.objects.exists()


def test_the_progress_page_offers_the_duty_sheet(db):
    prefecture, _, _ = make_prefecture_world()
    request = RequestFactory().get("/admin/")
    request.user = prefecture.editor
    model_admin = admin.site.get_model_admin(ProgramProgress)
    assert RegionalDutyResource in model_admin.get_import_resource_classes(request)
    assert RegionalDutyResource in model_admin.get_export_resource_classes(request)


def test_through_the_progress_page_the_preview_shows_the_new_duties_before_anything_is_written(client):
    from django.contrib.admin.models import ADDITION, LogEntry

    prefecture, _, _ = make_prefecture_world()
    client.force_login(prefecture.editor)
    data = rows_of(prefecture.plan, ["令和6年度", "会議等の開催", "市町村連絡会議", "令和6年7月1日", "45", ""],
                   ["令和6年度", "研修会等の開催", "市町村職員研修", "", "", ""])
    preview = preview_import(client, "measures_programprogress", data, name="必須事務.csv", resource="1")
    assert "新規 2件、変更 0件、変更なし 0件" in preview.content.decode()
    assert not RegionalDuty.objects.exists()

    confirm_import(client, "measures_programprogress", preview)
    duty = RegionalDuty.objects.get(title="市町村連絡会議")
    entry = LogEntry.objects.get(user=prefecture.editor, action_flag=ADDITION, object_id=str(duty.pk))
    assert entry.content_type.model_class() is RegionalDuty  # the admin's history links to the duty itself
