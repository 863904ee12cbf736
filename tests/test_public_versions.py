"""Residents read published versions: a page is one read of what a publisher approved, a change stays
invisible until it is approved, earlier versions stay readable, and 公開予約 happens on time."""

import datetime
import re

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from plans.models import Feedback, Plan, StaffMembership
from reoffense_portal.composition.publishing.models import PlanVersion
from tests.public_data import build_plan, municipality, publish

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def page(client, url) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return TOKEN.sub("", response.content.decode()), len(queries)


def staff_of(city):
    user = get_user_model().objects.create_user("staff-sections", password="x" * 12, is_staff=True)
    StaffMembership.objects.create(user=user, municipality=city, role=StaffMembership.Role.EDITOR)
    return user


def test_a_page_of_a_large_plan_is_one_read_of_its_version(client):
    plan = build_plan(municipality(), scale=3)
    html, first = page(client, f"/plans/{plan.pk}/")
    assert "重点施策18" in html and "推進協議会9" in html
    assert first <= 2  # which page is live, and (the first time in this process) its bytes, stored at approval
    again, queries = page(client, f"/plans/{plan.pk}/")
    assert again == html and queries == 1  # the bytes of a page never change: this process kept them
    council = f"/councils/{plan.councils.first().pk}/"
    page(client, council)
    assert page(client, council)[1] == 1


def test_an_edit_is_invisible_to_residents_until_a_publisher_approves_it(client):
    plan = build_plan(municipality())
    area = plan.priority_areas.get(number=1)
    area.title = "就労支援（改訂）"
    area.save()
    plan.purpose = "改訂した目的です。"
    plan.save()
    html = page(client, f"/plans/{plan.pk}/")[0]
    assert "就労支援（改訂）" not in html and "改訂した目的です。" not in html
    publish(plan, summary="目的を改訂")
    html = page(client, f"/plans/{plan.pk}/")[0]
    assert "就労支援（改訂）" in html and "改訂した目的です。" in html


def test_a_preview_shows_the_working_rows_and_keeps_staff_in_the_preview(client):
    city = municipality()
    plan = build_plan(city)
    plan.purpose = "承認前の目的です。"
    plan.save()
    council = plan.councils.first()
    client.force_login(staff_of(city))
    preview = page(client, f"/plans/{plan.pk}/?preview=1")[0]
    assert "承認前の目的です。" in preview and "【案】" in preview and 'content="noindex, nofollow"' in preview
    assert f'href="/councils/{council.pk}/?preview=1"' in preview
    client.logout()
    public = page(client, f"/plans/{plan.pk}/?preview=1")[0]
    assert "承認前の目的です。" not in public and "?preview=1" not in public


def test_a_draft_has_only_the_staff_summary_until_it_is_published(client):
    city = municipality()
    plan = build_plan(city, published=False)
    assert client.get(f"/plans/{plan.pk}/").status_code == 404
    client.force_login(staff_of(city))
    draft = page(client, f"/plans/{plan.pk}/?preview=1")[0]
    assert "概要版（案）" in draft and f'href="/plans/{plan.pk}/summary.pdf"' not in draft
    publish(plan)
    client.logout()
    published = page(client, f"/plans/{plan.pk}/")[0]
    assert "概要版（案）" not in published and f'href="/plans/{plan.pk}/summary.pdf"' in published


def test_every_visitor_gets_the_same_page_and_its_survey_posts_from_it(db):
    plan = build_plan(municipality())
    pages = []
    for _ in range(2):
        visitor = Client(enforce_csrf_checks=True, HTTP_ORIGIN="http://testserver")
        response = visitor.get(f"/plans/{plan.pk}/")
        html = response.content.decode()
        assert f'name="page_path" value="/plans/{plan.pk}/"' in html and not response.cookies
        response = visitor.post("/feedback/", {
            "municipality": plan.municipality_id, "plan": plan.pk,
            "page_path": f"/plans/{plan.pk}/", "page_title": plan.title, "sufficiency": "sufficient",
        })
        assert response.status_code == 302
        pages.append(html)
    assert pages[0] == pages[1]
    assert Feedback.objects.filter(plan=plan).count() == 2


def test_each_programme_lists_its_own_departments_and_partners_in_their_usual_order(client):
    from measures.models import Program
    from plans.models import Department, Organization

    city = municipality()
    plan = build_plan(city)
    first, second = Program.objects.filter(area__plan=plan).order_by("pk")[:2]
    first.departments.add(Department.objects.create(municipality=city, name="こども家庭課"),
                          Department.objects.create(municipality=city, name="障がい者支援課"))
    first.partners.add(Organization.objects.create(municipality=city, name="更生保護女性会",
                                                   sector=Organization.Sector.VOLUNTEER),
                       Organization.objects.create(municipality=city, name="ハローワーク",
                                                   sector=Organization.Sector.NATIONAL))
    second.departments.clear()
    second.partners.clear()
    publish(plan)
    html = page(client, f"/plans/{plan.pk}/")[0]
    expected = ("担当課：" + "、".join(department.name for department in first.departments.all())
                + "／連携：" + "、".join(partner.name for partner in first.partners.all()))
    assert expected in html and "、障がい者支援課" in expected
    second_item = html[html.index(second.name):]
    second_item = second_item[:second_item.index("</li>")]
    assert "担当課" not in second_item and "連携" not in second_item


def test_a_spreadsheet_import_waits_for_approval_like_any_edit(client):
    from plans.models import IndicatorValue

    plan = build_plan(municipality())
    indicator = plan.indicators.filter(kind="statistic").first()
    IndicatorValue.objects.bulk_create([IndicatorValue(indicator=indicator, year=2024, value=7777)])
    assert "7,777人" not in page(client, f"/plans/{plan.pk}/")[0]
    publish(plan, summary="令和6年度の進捗を公開")
    assert "7,777人" in page(client, f"/plans/{plan.pk}/")[0]


def test_the_table_of_contents_links_every_section_the_page_shows(client):
    plan = Plan.objects.create(
        municipality=municipality(), title="進捗管理だけを記載した計画",
        period_start=datetime.date(2024, 4, 1), period_end=datetime.date(2029, 3, 31),
        progress_management="PDCAサイクルで毎年度評価します。",
    )
    publish(plan)
    html = client.get(f"/plans/{plan.pk}/").content.decode()
    sections = set(re.findall(r'<section id="([\w-]+)"', html))
    links = set(re.findall(r'<li><a href="#([\w-]+)">', html))
    assert "system" in sections
    assert sections == links


def test_residents_read_the_revision_history_and_an_earlier_version_marked_as_not_current(client):
    plan = build_plan(municipality())
    plan.purpose = "第2版の目的です。"
    plan.save()
    publish(plan, summary="目的を改訂しました")
    history = page(client, f"/plans/{plan.pk}/versions/")[0]
    assert "第2版（現在の版）" in history and "目的を改訂しました" in history and "第1版" in history
    old = page(client, f"/plans/{plan.pk}/versions/1/")[0]
    assert "これは過去の版です。" in old and "第2版の目的です。" not in old and 'content="noindex, nofollow"' in old
    assert client.get(f"/plans/{plan.pk}/versions/2/").status_code == 302  # the current one is the page itself
    assert client.get(f"/plans/{plan.pk}/versions/3/").status_code == 404


def test_an_ended_plan_shows_neither_its_page_nor_its_history(client):
    plan = build_plan(municipality())
    PlanVersion.objects.filter(plan=plan).update(live_until=timezone.now())
    for url in (f"/plans/{plan.pk}/", f"/plans/{plan.pk}/versions/", f"/plans/{plan.pk}/versions/1/",
                f"/plans/{plan.pk}/summary.pdf", f"/opendata/plans/{plan.pk}.json"):
        assert client.get(url).status_code == 404, url


def test_scheduled_publication_and_its_end_happen_on_time_without_a_scheduler(client):
    start = timezone.make_aware(datetime.datetime(2027, 4, 1, 9, 0))
    with time_machine.travel(start - datetime.timedelta(days=10), tick=False) as clock:
        plan = build_plan(municipality())
        plan.purpose = "4月1日から公開する目的です。"
        plan.save()
        publish(plan, summary="年度替わりの改訂", live_from=start)
        PlanVersion.objects.filter(plan=plan, number=2).update(live_until=start + datetime.timedelta(days=30))
        assert "4月1日から公開する目的です。" not in page(client, f"/plans/{plan.pk}/")[0]
        clock.move_to(start - datetime.timedelta(seconds=1))
        assert "4月1日から公開する目的です。" not in page(client, f"/plans/{plan.pk}/")[0]
        clock.move_to(start)
        assert "4月1日から公開する目的です。" in page(client, f"/plans/{plan.pk}/")[0]
        clock.move_to(start + datetime.timedelta(days=30))
        assert client.get(f"/plans/{plan.pk}/").status_code == 404
