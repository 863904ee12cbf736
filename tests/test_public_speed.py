"""The plan page costs the same number of queries whatever the plan's size, and anonymous
readers are served from a cache that any change by staff empties."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from councils.models import Meeting
from measures.models import PriorityArea, Program
from plans.models import Department
from reoffense_portal import pagecache
from tests.public_data import build_plan, municipality

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def queries_for(client, url) -> int:
    cache.clear()  # an uncached render each time
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", ["plan", "council", "meeting", "municipality"])
def test_query_count_does_not_grow_with_plan_size(client, page):
    small = build_plan(municipality(), scale=1)
    large = build_plan(municipality(code="431001", name="熊本市", prefecture_code="430005",
                                    prefecture_name="熊本県"), scale=10)
    assert large.priority_areas.count() == 10 * small.priority_areas.count()

    def url(plan):
        meeting = Meeting.objects.filter(council__plan=plan).first()
        return {
            "plan": f"/plans/{plan.pk}/",
            "council": f"/councils/{meeting.council_id}/",
            "meeting": f"/meetings/{meeting.pk}/",
            "municipality": f"/municipalities/{plan.municipality_id}/",
        }[page]

    small_count = queries_for(client, url(small))
    assert queries_for(client, url(large)) == small_count
    if page == "plan":
        assert small_count <= 20


def test_anonymous_readers_get_the_cached_page_without_a_query(client, django_assert_num_queries):
    plan = build_plan(municipality())
    first = client.get(f"/plans/{plan.pk}/").content.decode()
    with django_assert_num_queries(0):
        again = client.get(f"/plans/{plan.pk}/").content.decode()
    # The same page, but for the CSRF token, which is masked afresh for every response.
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.sub("", again) == token.sub("", first)
    assert len(token.findall(again)) == 1 and pagecache.CSRF_PLACEHOLDER not in again


def test_logged_in_staff_and_query_strings_bypass_the_cache(client, admin_user):
    plan = build_plan(municipality())
    client.get(f"/plans/{plan.pk}/")
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/plans/{plan.pk}/?utm_source=x")
    assert len(queries) > 0
    client.force_login(admin_user)
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/plans/{plan.pk}/")
    assert len(queries) > 0


def edit_area_title(plan):
    area = plan.priority_areas.first()
    area.title = "就労支援（改訂）"
    area.save()
    return "就労支援（改訂）"


def edit_department_telephone(plan):
    department = Department.objects.get(pk=plan.department_id)
    department.telephone = "083-999-0000"
    department.save()
    return "083-999-0000"


def edit_programme_departments(plan):
    department = Department.objects.create(municipality=plan.municipality, name="市民安全課")
    Program.objects.filter(measure__area__plan=plan).first().departments.add(department)
    return "市民安全課"


@pytest.mark.parametrize(
    "edit", [edit_area_title, edit_department_telephone, edit_programme_departments], ids=lambda f: f.__name__
)
def test_a_staff_change_empties_the_cache(client, edit):
    plan = build_plan(municipality())
    url = f"/plans/{plan.pk}/"
    client.get(url)
    client.get(url)  # served from the cache now
    expected = edit(plan)
    assert expected in client.get(url).content.decode()


def test_deleting_a_row_empties_the_cache(client):
    plan = build_plan(municipality())
    meeting = Meeting.objects.filter(council__plan=plan).order_by("-held_on").first()
    url = f"/plans/{plan.pk}/"
    assert f"/meetings/{meeting.pk}/" in client.get(url).content.decode()
    meeting.delete()
    assert f"/meetings/{meeting.pk}/" not in client.get(url).content.decode()


def test_history_rows_and_other_apps_do_not_count_as_public_data():
    from django.contrib.auth.models import User

    from plans.models import Feedback, Plan, StaffMembership

    assert pagecache.shows_on_public_pages(Plan)
    assert pagecache.shows_on_public_pages(PriorityArea)
    assert pagecache.shows_on_public_pages(Meeting)
    assert not pagecache.shows_on_public_pages(Plan.history.model)
    assert not pagecache.shows_on_public_pages(Feedback)
    assert not pagecache.shows_on_public_pages(StaffMembership)
    assert not pagecache.shows_on_public_pages(User)
