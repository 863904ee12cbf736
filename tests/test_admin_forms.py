"""Staff forms that fit their work: Japanese labels, compact inlines, named exports, clear choices."""

import datetime
import re
from urllib.parse import unquote

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils.timezone import localdate, now

from councils.models import Meeting
from measures.models import Measure, Program
from plans.models import Department, Municipality, StaffMembership
from reoffense_portal.machinery.spreadsheets.files import read_spreadsheet
from tests.staff_world import change_url, form_data, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def test_the_admin_index_names_every_app_and_model_in_japanese(superuser_client):
    html = superuser_client.get(reverse("admin:index")).content.decode()
    names = [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<caption>.*?</caption>|<th scope=\"row\"[^>]*>.*?</th>", html, re.S)
    ]
    assert "ログインの記録" in names and "ログイン試行" in names and "ログイン履歴" in names
    english = [name for name in names if re.search(r"[A-Za-z]", name)]
    assert english == []


def test_the_login_attempts_list_is_labelled_in_japanese(superuser_client, settings):
    AccessAttempt.objects.create(
        username="kumamoto-editor", ip_address="192.0.2.1", user_agent="Firefox", http_accept="*/*",
        path_info="/admin/login/", get_data="", post_data="", failures_since_start=settings.AXES_FAILURE_LIMIT - 2,
    )
    html = superuser_client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    headers = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<th scope=\"col\".*?</th>", html, re.S)]
    assert {"日時", "ユーザー名", "ブラウザの種類", "失敗した回数", "状態"} <= set(headers)
    assert "あと2回" in html
    assert "Status" not in html and "Attempt Time" not in html


def test_a_superuser_clears_expired_login_attempts_and_reads_how_many_in_japanese(superuser_client, settings):
    def attempt(username, minutes_ago):
        row = AccessAttempt.objects.create(
            username=username, ip_address="192.0.2.1", user_agent="Firefox", http_accept="*/*",
            path_info="/admin/login/", get_data="", post_data="", failures_since_start=1,
        )
        AccessAttempt.objects.filter(pk=row.pk).update(attempt_time=now() - datetime.timedelta(minutes=minutes_ago))
        return row

    expired = attempt("kumamoto-editor", settings.AXES_COOLOFF_TIME * 60 + 5)
    recent = attempt("yamaguchi-editor", 1)
    response = superuser_client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "cleanup_expired_attempts", "_selected_action": [expired.pk], "index": "0"},
        follow=True,
    )
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == ["期限切れのログイン試行を1件削除しました。"]
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == [recent.username]


def exported(client, model, query=""):
    response = client.post(f"{reverse(f'admin:{model}_export')}{query}", {"resource": "0", "format": "0"})
    assert response.status_code == 200, response.content[:300]
    file_name = unquote(response["Content-Disposition"].split("filename*=utf-8''")[1])
    return file_name, response.content


def test_a_superuser_exports_one_plans_programmes_into_a_file_named_after_it(superuser_client, seeded):
    file_name, content = exported(superuser_client, "measures_program", "?area__plan__id__exact=2001")
    rows = read_spreadsheet(content)
    assert file_name == f"熊本市再犯防止推進計画_取組・事業_{localdate():%Y-%m-%d}.csv"
    assert {str(row[0]) for row in rows} == {"431001"}
    assert len(rows) == Program.objects.filter(area__plan=2001).count()


def test_an_export_of_several_plans_is_named_after_its_rows_and_date(superuser_client, seeded):
    file_name, content = exported(superuser_client, "measures_program")
    rows = read_spreadsheet(content)
    assert file_name == f"取組・事業_{localdate():%Y-%m-%d}.csv"
    assert {str(row[0]) for row in rows} == {"352039", "431001"}


def test_meetings_and_council_members_can_be_exported_for_one_plan(superuser_client, seeded):
    file_name, content = exported(superuser_client, "councils_meeting", "?council__plan__id__exact=1001")
    assert file_name == f"第二次山口市再犯防止推進計画_会議_{localdate():%Y-%m-%d}.csv"
    assert len(read_spreadsheet(content)) == 4
    file_name, _ = exported(superuser_client, "councils_councilmember", "?council__plan__id__exact=1001")
    assert file_name == f"構成団体_{localdate():%Y-%m-%d}.csv"  # the sources list no members


def test_the_plan_filter_offers_only_the_users_own_plans(client, superuser_client, seeded):
    Meeting.objects.create(council_id=2002, fiscal_year=2024, sequence=1, held_on=datetime.date(2024, 8, 1))
    changelist = superuser_client.get(reverse("admin:councils_meeting_changelist")).content.decode()
    assert "council__plan__id__exact=1001" in changelist and "council__plan__id__exact=2001" in changelist
    editor = make_user("yamaguchi-editor")
    StaffMembership.objects.create(user=editor, municipality_id="352039", role="editor")
    client.force_login(editor)
    changelist = client.get(reverse("admin:councils_meeting_changelist")).content.decode()
    assert "令和6年度第1回山口市再犯防止推進協議会" in changelist
    assert "熊本市" not in changelist and "council__plan__id__exact=2001" not in changelist


def department_choices(client, term="地域福祉課"):
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "measures", "model_name": "program", "field_name": "departments", "term": term},
    )
    assert response.status_code == 200
    return sorted(result["text"] for result in response.json()["results"])


def test_a_superuser_tells_two_cities_departments_of_the_same_name_apart(superuser_client, seeded):
    Department.objects.create(municipality_id="431001", name="地域福祉課")
    assert department_choices(superuser_client) == ["地域福祉課（山口市）", "地域福祉課（熊本市）"]
    form = superuser_client.get(reverse("admin:plans_plan_change", args=[2001])).content.decode()
    assert "生活安全課（熊本市）" in form


def test_an_editor_of_one_city_reads_the_plain_department_name(client, seeded):
    Department.objects.create(municipality_id="431001", name="地域福祉課")
    editor = make_user("kumamoto-editor")
    StaffMembership.objects.create(user=editor, municipality_id="431001", role="editor")
    client.force_login(editor)
    assert department_choices(client) == ["地域福祉課"]


def test_the_plan_form_lists_indicators_compactly_with_a_link_to_their_values(superuser_client, seeded):
    response = superuser_client.get(reverse("admin:plans_plan_change", args=[2001]))
    indicators = next(f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "indicators")
    visible = [name for name in indicators.formset.forms[0].fields if name not in ("id", "plan", "DELETE")]
    assert [name for name in visible if not name.endswith("_version")] == ["name", "kind", "unit", "direction"]
    target = reverse("admin:plans_indicator_change", args=[2001])
    assert f'<a href="{target}#values-group">値を入力・確認（1件）</a>' in response.content.decode()
    indicator_page = superuser_client.get(target).content.decode()
    assert 'id="values-group"' in indicator_page and "基準年" in indicator_page


def test_programme_descriptions_are_written_in_the_measures_form(superuser_client, seeded):
    measure = Measure.objects.get(pk=20131)
    program = measure.programs.order_by("order").first()
    data = form_data(superuser_client, measure)
    index = next(
        key.split("-")[1] for key, value in data.items() if key.endswith("-id") and str(value) == str(program.pk)
    )
    assert f'name="programs-{index}-description"' in superuser_client.get(change_url(measure)).content.decode()
    data[f"programs-{index}-description"] = "・企業説明会を年2回\n・求人情報誌を毎月発行"
    response = superuser_client.post(change_url(measure), data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    program.refresh_from_db()
    assert program.description == "・企業説明会を年2回\n・求人情報誌を毎月発行"


def test_a_core_city_and_a_special_ward_can_be_registered(superuser_client, seeded):
    form = superuser_client.get(reverse("admin:plans_municipality_add")).content.decode()
    assert '<option value="core_city">中核市</option>' in form and '<option value="ward">特別区</option>' in form
    response = superuser_client.post(
        reverse("admin:plans_municipality_add"),
        {"code": "352012", "name": "下関市", "kana": "しものせきし", "kind": "core_city", "prefecture": "350001",
         "departments-TOTAL_FORMS": "0", "departments-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Municipality.objects.get(code="352012").get_kind_display() == "中核市"
