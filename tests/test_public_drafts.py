"""Drafts never show: every public URL answers 404 (or leaves the draft out) for anything unpublished,
except a staff preview (?preview=1) by staff of the plan's own municipality, which is marked 「案」 and never cached,
and the 案 frozen for a comment period (パブリックコメント), only while the period shows it."""

import datetime

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.cache import cache

from councils.models import Meeting
from measures.models import Program, ProgramProgress
from plans.models import StaffMembership
from reoffense_portal.composition.consultation.models import CommentPeriod
from reoffense_portal.composition.consultation.services import open_period
from tests.public_data import attach_plan_document, build_plan, fill_meeting, municipality, publish, unpublish

pytestmark = pytest.mark.django_db

DRAFT_TITLE = "第三次下関市再犯防止推進計画（案）"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


@pytest.fixture
def draft():
    """A draft plan of a municipality with nothing published, with a document, councils and meetings."""
    city = municipality(code="352012", name="下関市")
    plan = build_plan(city, published=False, title=DRAFT_TITLE)
    attach_plan_document(plan)
    meeting = Meeting.objects.filter(council__plan=plan).first()
    document = fill_meeting(meeting)
    ProgramProgress.objects.create(program=Program.objects.of_plan(plan).first(), fiscal_year=2023,
                                   status=ProgramProgress.Status.IMPLEMENTED)
    return {"plan": plan, "council": meeting.council, "meeting": meeting, "document": document}


def draft_urls(draft):
    return [
        f"/municipalities/{draft['plan'].municipality_id}/meetings.ics",
        f"/plans/{draft['plan'].pk}/",
        f"/plans/{draft['plan'].pk}/document/",
        f"/plans/{draft['plan'].pk}/progress/2023/",
        f"/councils/{draft['council'].pk}/",
        f"/meetings/{draft['meeting'].pk}/",
        f"/meetings/documents/{draft['document'].pk}/",
    ]


def draft_downloads(draft):
    """Downloads and pages that have no preview: 404 for everyone."""
    pk = draft["plan"].pk
    return [
        f"/plans/{pk}/summary.pdf", f"/plans/{pk}/versions/", f"/plans/{pk}/versions/1/",
        f"/opendata/plans/{pk}.json", f"/opendata/plans/{pk}/programs.csv", f"/opendata/plans/{pk}/meetings.csv",
    ]


def staff(code, **extra):
    user = get_user_model().objects.create_user(f"staff-{code}-{len(extra)}", password="x" * 12, **extra)
    if code:
        StaffMembership.objects.create(user=user, municipality_id=code, role=StaffMembership.Role.EDITOR)
    user.refresh_from_db()
    return user


def test_every_public_url_of_a_draft_answers_404(client, draft):
    for url in draft_urls(draft) + draft_downloads(draft):
        assert client.get(url).status_code == 404, url
        assert client.get(url + "?preview=1").status_code == 404, url


def test_the_municipality_page_of_a_draft_says_only_that_a_plan_is_in_preparation(client, draft):
    """Every municipality has a page; a draft's existence makes it 策定中, nothing of the draft shows."""
    body = client.get(f"/municipalities/{draft['plan'].municipality_id}/").content.decode()
    assert "策定中" in body
    assert DRAFT_TITLE not in body and f"/plans/{draft['plan'].pk}/" not in body
    assert f"/councils/{draft['council'].pk}/" not in body and "地域福祉課" not in body


def test_rows_added_to_a_published_plan_stay_404_until_approved(client):
    plan = build_plan(municipality())
    council = plan.councils.first()
    meeting = Meeting.objects.create(council=council, fiscal_year=2026, sequence=9, status=Meeting.Status.SCHEDULED)
    document = fill_meeting(meeting)
    attach_plan_document(plan)
    for url in (f"/meetings/{meeting.pk}/", f"/meetings/documents/{document.pk}/", f"/plans/{plan.pk}/document/"):
        assert client.get(url).status_code == 404, url
    publish(plan)
    for url in (f"/meetings/{meeting.pk}/", f"/meetings/documents/{document.pk}/", f"/plans/{plan.pk}/document/"):
        assert client.get(url).status_code == 200, url


def test_drafts_are_left_out_of_home_feeds_and_sitemap(client, draft):
    plan, meeting = draft["plan"], draft["meeting"]
    for url in ["/", "/feeds/updates.atom", "/feeds/meetings.ics", "/sitemap.xml"]:
        body = client.get(url).content.decode()
        assert DRAFT_TITLE not in body, url
        assert "下関市" not in body, url
        assert f"/plans/{plan.pk}/" not in body and f"/meetings/{meeting.pk}/" not in body, url


def test_staff_of_the_municipality_preview_a_draft_marked_as_such_and_never_cached(client, draft):
    client.force_login(staff("352012"))
    for url in draft_urls(draft):
        if url.endswith(".ics"):
            continue  # calendars are public data only; there is nothing to preview
        response = client.get(url + "?preview=1")
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"], url
    page = client.get(f"/plans/{draft['plan'].pk}/?preview=1").content.decode()
    assert "【案】" in page and '<span class="badge badge--draft">案</span>' in page
    assert 'name="robots" content="noindex, nofollow"' in page
    assert f'href="/councils/{draft["council"].pk}/?preview=1"' in page  # the preview stays a preview
    assert f'href="/plans/{draft["plan"].pk}/progress/2023/?preview=1"' in page
    assert "このページについてのご意見" not in page


def test_staff_see_no_draft_without_asking_for_a_preview(client, draft):
    client.force_login(staff("352012"))
    assert client.get(f"/plans/{draft['plan'].pk}/").status_code == 404


def test_staff_of_another_municipality_cannot_preview_the_draft(client, draft):
    municipality(code="431001", name="熊本市", prefecture_code="430005", prefecture_name="熊本県")
    client.force_login(staff("431001"))
    for url in draft_urls(draft):
        assert client.get(url + "?preview=1").status_code == 404, url


def test_a_logged_in_non_staff_user_cannot_preview(client, draft):
    client.force_login(staff(None))
    assert client.get(f"/plans/{draft['plan'].pk}/?preview=1").status_code == 404


def test_a_superuser_may_preview_any_draft(client, draft):
    client.force_login(staff(None, is_staff=True, is_superuser=True))
    assert client.get(f"/plans/{draft['plan'].pk}/?preview=1").status_code == 200


def test_a_preview_does_not_leak_into_the_anonymous_cache(client, draft):
    url = f"/plans/{draft['plan'].pk}/"
    client.force_login(staff("352012"))
    assert client.get(url + "?preview=1").status_code == 200
    client.logout()
    assert client.get(url).status_code == 404


def test_ending_publication_hides_every_page_at_once(client, db):
    plan = build_plan(municipality())
    meeting = Meeting.objects.filter(council__plan=plan).first()
    urls = [f"/plans/{plan.pk}/", f"/councils/{meeting.council_id}/", f"/meetings/{meeting.pk}/"]
    for url in urls:
        assert client.get(url).status_code == 200
    assert f"/plans/{plan.pk}/" in client.get(f"/municipalities/{plan.municipality_id}/").content.decode()
    unpublish(plan)
    for url in urls + [f"/plans/{plan.pk}/summary.pdf", f"/opendata/plans/{plan.pk}.json"]:
        assert client.get(url).status_code == 404, url
    page = client.get(f"/municipalities/{plan.municipality_id}/").content.decode()
    assert f"/plans/{plan.pk}/" not in page and plan.title not in page and "策定中" in page


def in_comment_period(plan, starts_on, ends_on):
    """A comment period opened on the draft (by a superuser, who publishes for every municipality)."""
    superuser = get_user_model().objects.create_superuser(f"admin-{plan.pk}", password="x" * 12)
    return open_period(CommentPeriod(plan=plan, starts_on=starts_on, ends_on=ends_on, explanation="趣旨",
                                     rules="提出方法"), superuser)


def test_a_draft_outside_any_comment_period_stays_404_beside_one_in_its_period(client, draft):
    other = build_plan(draft["plan"].municipality, published=False, title="第四次下関市再犯防止推進計画（案）")
    with time_machine.travel(datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.timezone.utc), tick=False):
        in_comment_period(other, datetime.date(2026, 12, 1), datetime.date(2026, 12, 28))
        assert client.get(f"/plans/{other.pk}/").status_code == 200
        for url in draft_urls(draft) + draft_downloads(draft):
            assert client.get(url).status_code == 404, url
        for url in [f"/plans/{other.pk}/summary.pdf", f"/opendata/plans/{other.pk}.json", f"/plans/{other.pk}/versions/",
                    f"/plans/{other.pk}/document/"]:
            assert client.get(url).status_code == 404, url
        for url in ["/", "/feeds/updates.atom", "/feeds/meetings.ics", "/sitemap.xml"]:
            assert f"/plans/{other.pk}/" not in client.get(url).content.decode(), url


def test_a_comment_period_that_ended_shows_the_proposal_without_its_form(client, draft):
    plan = draft["plan"]
    with time_machine.travel(datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.timezone.utc), tick=False) as clock:
        in_comment_period(plan, datetime.date(2026, 12, 1), datetime.date(2026, 12, 28))
        assert 'name="opinion"' in client.get(f"/plans/{plan.pk}/").content.decode()
        clock.move_to(datetime.datetime(2026, 12, 29, 9, 0, tzinfo=datetime.timezone.utc))
        page = client.get(f"/plans/{plan.pk}/").content.decode()
        assert "ご意見の募集は令和8年12月28日で終了しました。" in page
        assert 'name="opinion"' not in page and "<form" not in page.split('id="main"')[1]
