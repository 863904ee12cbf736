"""The admin at national scale: as many queries with 3 cities as with 6, with small plans as with large ones.

benchmarks/national.py measures the same pages with 1,788 municipalities on
PostgreSQL; here the cities are few and small, so the filters' threshold of
links (LINKS) is lowered to 2 to reach the search box a superuser gets.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from measures.models import Program, ProgramProgress
from plans.models import Indicator, StaffMembership
from reoffense_portal.machinery.scoping import filters as admin_filters
from tests.public_data import build_plan, municipality
from tests.staff_world import entry_url, make_user

CHANGE_LISTS = [
    ("admin:measures_program_changelist", ""),
    ("admin:measures_program_changelist", "q=取組"),
    ("admin:measures_program_changelist", "area__plan__id__exact={plan}"),
    ("admin:measures_programprogress_changelist", ""),
    ("admin:measures_programprogress_changelist", "q=実績"),
    ("admin:measures_programprogress_changelist", "fiscal_year=2024"),
    ("admin:measures_programprogress_changelist", "program__area__plan__id__exact={plan}"),
    ("admin:plans_indicatorvalue_changelist", ""),
    ("admin:plans_indicatorvalue_changelist", "q=再犯者数"),
    ("admin:plans_indicatorvalue_changelist", "year=2020"),
    ("admin:plans_plan_changelist", ""),
]


@pytest.fixture(autouse=True)
def _few_links(monkeypatch):
    monkeypatch.setattr(admin_filters, "LINKS", 2)


def add_cities(first: int, count: int, scale: int):
    """`count` cities of 熊本県 with a plan of `scale` and two years of progress; the first city's editor."""
    plans = []
    for n in range(first, first + count):
        city = municipality(code=f"43{n:03d}0", name=f"第{n}市", prefecture_code="430005", prefecture_name="熊本県")
        plan = build_plan(city, scale=scale, published=False)
        ProgramProgress.objects.bulk_create(
            ProgramProgress(program=program, fiscal_year=year, status=ProgramProgress.Status.IMPLEMENTED,
                            results=f"{year}年度の実績")
            for program in Program.objects.of_plan(plan) for year in (2023, 2024)
        )
        plans.append(plan)
    editor = make_user(f"editor-{first}", is_staff=True)
    StaffMembership.objects.create(user=editor, municipality=plans[0].municipality, role=StaffMembership.Role.EDITOR)
    return plans[0], editor


def queries(client, user, url) -> int:
    """The queries of a page as the user opens it again (the first request fills the process's caches)."""
    client.force_login(user)
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def url(name, query, plan):
    return f"{reverse(name)}?{query.format(plan=plan.pk)}"


@pytest.mark.django_db
def test_change_lists_cost_the_same_queries_with_more_and_larger_plans(client):
    superuser = make_user("national-admin", is_staff=True, is_superuser=True)
    small_plan, small_editor = add_cities(1, 3, scale=1)
    before = {
        (name, query, who): queries(client, user, url(name, query, small_plan))
        for name, query in CHANGE_LISTS for who, user in (("editor", small_editor), ("superuser", superuser))
    }
    large_plan, large_editor = add_cities(4, 3, scale=3)
    assert Program.objects.of_plan(large_plan).count() == 3 * Program.objects.of_plan(small_plan).count()
    after = {
        (name, query, who): queries(client, user, url(name, query, large_plan))
        for name, query in CHANGE_LISTS for who, user in (("editor", large_editor), ("superuser", superuser))
    }
    assert after == before


@pytest.mark.django_db
def test_the_plan_change_form_costs_the_same_queries_for_a_plan_three_times_larger(client):
    small_plan, small_editor = add_cities(1, 1, scale=1)
    large_plan, large_editor = add_cities(2, 1, scale=3)
    assert Indicator.objects.filter(plan=large_plan).count() == 3 * Indicator.objects.filter(plan=small_plan).count()
    small = queries(client, small_editor, reverse("admin:plans_plan_change", args=[small_plan.pk]))
    large = queries(client, large_editor, reverse("admin:plans_plan_change", args=[large_plan.pk]))
    # 55 queries for a city's editor, whatever the plan's size: each inline's rows and their versions
    # (one query each, latest_history_ids), the 公開 panel's diff of unpublished changes (one query per
    # kind of row below the plan, composition.publishing.rows.plan_rows, 必須事務 and 取組事例 among them), the
    # パブリックコメント panel (2), the codes
    # the user reads (1, machinery.scoping.querysets.readable_codes), session, user and permissions.
    # benchmarks/national.py counts 47 to 50 with 1,788 municipalities (no meetings, councils or steps).
    assert small == large == 55


@pytest.mark.django_db
def test_the_yearly_progress_screen_costs_the_same_queries_for_a_plan_three_times_larger(client):
    superuser = make_user("national-admin", is_staff=True, is_superuser=True)
    small_plan, small_editor = add_cities(1, 1, scale=1)
    large_plan, large_editor = add_cities(2, 1, scale=3)
    assert Program.objects.of_plan(large_plan).count() == 3 * Program.objects.of_plan(small_plan).count()
    # 2024: every row recorded, each with its version; 2025: new rows, prefilled from 2024.
    for year in (2024, 2025):
        for small_user, large_user in ((small_editor, large_editor), (superuser, superuser)):
            small = queries(client, small_user, entry_url(small_plan, year))
            large = queries(client, large_user, entry_url(large_plan, year))
            assert small == large, (year, small_user.username)


@pytest.mark.django_db
def test_an_editor_filters_by_their_own_plans_only(client):
    own_plan, editor = add_cities(1, 1, scale=1)
    other_plan, _ = add_cities(2, 1, scale=1)
    client.force_login(editor)
    page = client.get(reverse("admin:measures_program_changelist")).content.decode()
    assert f"area__plan__id__exact={own_plan.pk}" in page
    assert own_plan.title in page
    assert other_plan.title not in page
    assert other_plan.municipality.name not in page
    assert 'data-field-name="plan"' not in page, "one plan: a link, no search box"


@pytest.mark.django_db
def test_a_superuser_searches_the_plan_to_filter_by_and_sees_only_its_rows(client):
    first_plan, _ = add_cities(1, 3, scale=1)
    other_plan = Program.objects.exclude(area__plan=first_plan).first().area.plan
    superuser = make_user("national-admin", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    page = client.get(reverse("admin:measures_program_changelist")).content.decode()
    assert 'data-ajax--url="/admin/autocomplete/filter/"' in page
    assert "絞り込む" in page
    assert other_plan.title not in page, "the plans are searched for, not listed"
    filtered = client.get(reverse("admin:measures_program_changelist"),
                          {"area__plan__id__exact": first_plan.pk, "q": "取組"}).content.decode()
    assert f'<option value="{first_plan.pk}" selected>{first_plan.title}</option>' in filtered
    assert 'type="hidden" name="q" value="取組"' in filtered, "the search is kept when another plan is chosen"
    shown = Program.objects.of_plan(first_plan).count()
    assert f"結果 {shown}" in filtered
    search = client.get(reverse("admin:filter_autocomplete"), {
        "app_label": "measures", "model_name": "priorityarea", "field_name": "plan", "term": other_plan.title,
    }).json()
    assert [result["text"] for result in search["results"]] == [other_plan.title]


@pytest.mark.django_db
def test_the_search_box_of_an_editor_finds_no_other_citys_plan(client):
    own_plan, editor = add_cities(1, 3, scale=1)  # three plans would make a search box for a superuser
    other = add_cities(4, 1, scale=1)[0]
    client.force_login(editor)
    search = client.get(reverse("admin:filter_autocomplete"), {
        "app_label": "measures", "model_name": "priorityarea", "field_name": "plan", "term": other.title,
    }).json()
    assert search["results"] == []
    page = client.get(reverse("admin:measures_program_changelist"),
                      {"area__plan__id__exact": other.pk}).content.decode()
    assert other.title not in page
    assert "結果 0" in page


@pytest.mark.django_db
def test_the_search_finds_rows_by_any_field_every_word_and_either_case(client):
    plan, editor = add_cities(1, 1, scale=1)
    program = Program.objects.of_plan(plan).first()
    program.name = "NPOと連携した就労支援"
    program.save()
    client.force_login(editor)

    def found(term):
        response = client.get(reverse("admin:measures_program_changelist"), {"q": term})
        return [row.name for row in response.context["cl"].result_list]

    assert found("npo") == found("NPOと") == ["NPOと連携した就労支援"]
    assert found("npo 就労") == ["NPOと連携した就労支援"], "every word, each in some field"
    assert found("npo 住居") == []
    assert len(found("地域福祉課")) == Program.objects.of_plan(plan).count(), "by the department, many-to-many"
    assert found('"連携した就労"') == ["NPOと連携した就労支援"]


@pytest.mark.django_db
def test_a_prefecture_editor_finds_a_city_of_the_prefecture_in_the_plan_filter_but_cannot_choose_its_plan(client):
    """熊本県 reads its cities' progress: the filter's search box finds their plans, a form's choices do not."""
    city_plan = add_cities(1, 3, scale=1)[0]  # three plans of 熊本県 make a search box
    other_prefecture_plan = build_plan(municipality(), scale=1, published=False)  # 山口市, 山口県
    prefecture_editor = make_user("kumamoto-prefecture-editor", is_staff=True)
    StaffMembership.objects.create(user=prefecture_editor, municipality=city_plan.municipality.prefecture,
                                   role=StaffMembership.Role.EDITOR)
    client.force_login(prefecture_editor)
    page = client.get(reverse("admin:measures_programprogress_changelist")).content.decode()
    search_box = re.search(r'<select [^>]*data-ajax--url="([^"]+)"[^>]*data-app-label="(\w+)"'
                           r'[^>]*data-model-name="(\w+)"[^>]*data-field-name="plan"', page)
    assert search_box, "the plan filter is a search box"
    address, app_label, model_name = search_box.groups()
    source = {"app_label": app_label, "model_name": model_name, "field_name": "plan"}

    def found(address, term):
        return [result["text"] for result in client.get(address, {**source, "term": term}).json()["results"]]

    assert found(address, "第1市") == [city_plan.title]
    assert found(address, "山口市") == [], "no plan of another prefecture"
    assert other_prefecture_plan.title not in page
    filtered = client.get(reverse("admin:measures_programprogress_changelist"),
                          {"program__area__plan__id__exact": city_plan.pk}).content.decode()
    assert f'<option value="{city_plan.pk}" selected>{city_plan.title}</option>' in filtered
    assert f"結果 {ProgramProgress.objects.filter(program__area__plan=city_plan).count()}" in filtered
    # The plan of an area the editor adds: only 熊本県's own, never the city's.
    assert found(reverse("admin:autocomplete"), "第1市") == []
    programs = client.get(reverse("admin:measures_program_changelist")).content.decode()
    assert 'data-field-name="departments"' in programs, "the department filter is a search box"
    departments = {"app_label": "measures", "model_name": "program", "field_name": "departments", "term": "地域福祉課"}
    offered = client.get(reverse("admin:filter_autocomplete"), departments).json()["results"]
    assert [result["text"] for result in offered] == [f"地域福祉課（第{n}市）" for n in (1, 2, 3)], "each city's by name"
