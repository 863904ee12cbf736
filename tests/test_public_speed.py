"""Public pages cost the same number of queries whatever the plan's size, and building a version does too."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from councils.models import Meeting
from measures.models import Program
from plans.models import Department
from reoffense_portal.composition.public.views import page_bytes
from reoffense_portal.composition.publishing.models import SearchGram
from tests.public_data import build_plan, municipality, publish

pytestmark = pytest.mark.django_db


def queries_for(client, url) -> int:
    page_bytes.cache_clear()  # as the first request of a process: which page is live, then its bytes
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def two_plans():
    small = build_plan(municipality(), scale=1)
    large = build_plan(municipality(code="431001", name="熊本市", prefecture_code="430005",
                                    prefecture_name="熊本県"), scale=10)
    assert large.priority_areas.count() == 10 * small.priority_areas.count()
    return small, large


@pytest.mark.parametrize("page", ["plan", "council", "meeting", "municipality", "home", "json", "csv"])
def test_query_count_does_not_grow_with_plan_size(client, page):
    small, large = two_plans()

    def url(plan):
        meeting = Meeting.objects.filter(council__plan=plan).first()
        return {
            "plan": f"/plans/{plan.pk}/",
            "council": f"/councils/{meeting.council_id}/",
            "meeting": f"/meetings/{meeting.pk}/",
            "municipality": f"/municipalities/{plan.municipality_id}/",
            "home": "/",
            "json": f"/opendata/plans/{plan.pk}.json",
            "csv": f"/opendata/plans/{plan.pk}/programs.csv",
        }[page]

    small_count = queries_for(client, url(small))
    assert queries_for(client, url(large)) == small_count
    assert small_count <= 3


def test_building_a_version_costs_about_the_same_number_of_queries_whatever_the_size():
    small, large = two_plans()
    counts = []
    for plan in (small, large):
        with CaptureQueriesContext(connection) as queries:
            version = publish(plan)
        # The search index's rows (passages and their pairs of characters) are written in batches as many as the
        # database takes at once (499 pairs on SQLite): counted apart, they grow with the text, never one a row.
        index = [q for q in queries if '"publishing_search' in q["sql"]]
        rows = SearchGram.objects.filter(entry__version=version).count() + version.search_entries.count()
        assert 0 < len(index) <= rows // 100 + 10
        counts.append(len(queries) - len(index))
    # Ten times the rows: only the batched inserts of pages, files and meetings add a few queries.
    assert counts[1] <= counts[0] + 10


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
    Program.objects.filter(area__plan=plan).first().departments.add(department)
    return "市民安全課"


@pytest.mark.parametrize(
    "edit", [edit_area_title, edit_department_telephone, edit_programme_departments], ids=lambda f: f.__name__
)
def test_a_staff_change_shows_once_approved(client, edit):
    plan = build_plan(municipality())
    url = f"/plans/{plan.pk}/"
    expected = edit(plan)
    assert expected not in client.get(url).content.decode()
    publish(plan)
    assert expected in client.get(url).content.decode()


def test_a_deleted_meeting_leaves_the_page_once_approved(client):
    plan = build_plan(municipality())
    meeting = Meeting.objects.filter(council__plan=plan).order_by("-held_on").first()
    url, meeting_url = f"/plans/{plan.pk}/", f"/meetings/{meeting.pk}/"
    meeting.delete()
    assert meeting_url in client.get(url).content.decode()
    assert client.get(meeting_url).status_code == 200  # still part of the live version
    publish(plan)
    assert meeting_url not in client.get(url).content.decode()
    assert client.get(meeting_url).status_code == 404
