"""The plan page below its heading is kept rendered per data version for the requests the page cache does not
answer (a query string, staff signed in): the same page, followed by every change, never mixed with a preview,
with each visitor's own CSRF token in the page survey."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from plans.models import Feedback, Plan, StaffMembership
from reoffense_portal import pagecache
from tests.public_data import build_plan, municipality

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def page(client, url) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return TOKEN.sub("", response.content.decode()), len(queries)


def staff_of(city):
    user = get_user_model().objects.create_user("staff-sections", password="x" * 12, is_staff=True)
    StaffMembership.objects.create(user=user, municipality=city, role=StaffMembership.Role.EDITOR)
    return user


def test_the_sections_are_rendered_once_and_the_page_stays_the_same(client):
    plan = build_plan(municipality())
    first, cold_queries = page(client, f"/plans/{plan.pk}/?utm_source=sns")
    again, warm_queries = page(client, f"/plans/{plan.pk}/?utm_source=mail")
    assert again == first
    assert "重点施策6" in again and "推進協議会3" in again  # the sections are there, from the kept copy
    assert warm_queries == 1 < cold_queries  # only the plan itself, which also decides 404 for a draft
    # And the page the page cache keeps is that same page.
    cached, _ = page(client, f"/plans/{plan.pk}/")
    assert cached == first


def test_a_change_shows_at_once_on_a_page_the_page_cache_does_not_answer(client):
    plan = build_plan(municipality())
    url = f"/plans/{plan.pk}/?utm_source=sns"
    assert "就労支援（改訂）" not in page(client, url)[0]
    area = plan.priority_areas.get(number=1)
    area.title = "就労支援（改訂）"
    area.save()
    assert "就労支援（改訂）" in page(client, url)[0]


def test_a_preview_and_the_public_page_never_share_their_sections(client):
    city = municipality()
    plan = build_plan(city)
    council = plan.councils.first()
    client.force_login(staff_of(city))
    preview, _ = page(client, f"/plans/{plan.pk}/?preview=1")
    assert f'href="/councils/{council.pk}/?preview=1"' in preview
    client.logout()
    public, _ = page(client, f"/plans/{plan.pk}/?utm_source=sns")
    assert f'href="/councils/{council.pk}/"' in public and "?preview=1" not in public


def test_a_draft_previewed_then_published_shows_as_published(client):
    city = municipality()
    plan = build_plan(city, status=Plan.Status.DRAFT)
    client.force_login(staff_of(city))
    draft = page(client, f"/plans/{plan.pk}/?preview=1")[0]
    assert "概要版（案）" in draft and f'href="/plans/{plan.pk}/summary.pdf"' not in draft  # the staff-only 概要版
    plan.status = Plan.Status.PUBLISHED
    plan.save()
    published, _ = page(client, f"/plans/{plan.pk}/?preview=1")
    assert "概要版（案）" not in published and f'href="/plans/{plan.pk}/summary.pdf"' in published


@pytest.mark.parametrize("query", ["?utm_source=sns", ""], ids=["page cache bypassed", "page cache"])
def test_every_visitor_gets_a_working_token_of_their_own_in_the_kept_survey(db, query):
    plan = build_plan(municipality())
    url = f"/plans/{plan.pk}/{query}"
    tokens = []
    for _ in range(2):  # two visitors, the second served from what the first one's request kept
        visitor = Client(enforce_csrf_checks=True)
        html = visitor.get(url).content.decode()
        assert pagecache.CSRF_PLACEHOLDER not in html
        token = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert len(token) == 1 and f'name="page_path" value="/plans/{plan.pk}/"' in html
        response = visitor.post("/feedback/", {
            "csrfmiddlewaretoken": token[0], "municipality": plan.municipality_id, "plan": plan.pk,
            "page_path": f"/plans/{plan.pk}/", "page_title": plan.title, "sufficiency": "sufficient",
        })
        assert response.status_code == 302
        tokens.append(visitor.cookies["csrftoken"].value)
    assert tokens[0] != tokens[1]
    assert Feedback.objects.filter(plan=plan).count() == 2


def test_each_programme_lists_its_own_departments_and_partners_in_their_usual_order(client):
    from measures.models import Program
    from plans.models import Department, Organization

    city = municipality()
    plan = build_plan(city)
    first, second = Program.objects.filter(measure__area__plan=plan).order_by("pk")[:2]
    first.departments.add(Department.objects.create(municipality=city, name="こども家庭課"),
                          Department.objects.create(municipality=city, name="障がい者支援課"))
    first.partners.add(Organization.objects.create(municipality=city, name="更生保護女性会",
                                                   sector=Organization.Sector.VOLUNTEER),
                       Organization.objects.create(municipality=city, name="ハローワーク",
                                                   sector=Organization.Sector.NATIONAL))
    second.departments.clear()
    second.partners.clear()
    html = page(client, f"/plans/{plan.pk}/")[0]
    expected = ("担当課：" + "、".join(department.name for department in first.departments.all())
                + "／連携：" + "、".join(partner.name for partner in first.partners.all()))
    assert expected in html and "、障がい者支援課" in expected
    second_item = html[html.index(second.name):]
    second_item = second_item[:second_item.index("</li>")]
    assert "担当課" not in second_item and "連携" not in second_item


def test_a_spreadsheet_import_saved_in_batches_shows_at_once(client):
    from import_export.signals import post_import

    from plans.models import IndicatorValue

    plan = build_plan(municipality())
    indicator = plan.indicators.filter(kind="statistic").first()
    for url in (f"/plans/{plan.pk}/", f"/plans/{plan.pk}/?utm_source=sns"):
        assert "7,777人" not in page(client, url)[0]
    # What a batch import does: rows written without post_save, then the admin's post_import.
    IndicatorValue.objects.bulk_create([IndicatorValue(indicator=indicator, year=2024, value=7777)])
    post_import.send(sender=None, model=IndicatorValue)
    for url in (f"/plans/{plan.pk}/", f"/plans/{plan.pk}/?utm_source=sns"):
        assert "7,777人" in page(client, url)[0], url


def test_the_table_of_contents_links_every_section_the_page_shows(client):
    plan = Plan.objects.create(
        municipality=municipality(), title="進捗管理だけを記載した計画", status=Plan.Status.PUBLISHED,
        period_start=datetime.date(2024, 4, 1), period_end=datetime.date(2029, 3, 31),
        progress_management="PDCAサイクルで毎年度評価します。",
    )
    html = client.get(f"/plans/{plan.pk}/").content.decode()
    sections = set(re.findall(r'<section id="([\w-]+)"', html))
    links = set(re.findall(r'<li><a href="#([\w-]+)">', html))
    assert "system" in sections
    assert sections == links
