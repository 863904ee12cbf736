"""Atom feed of plan updates and meetings, iCalendar of council meetings, sitemap.xml and robots.txt."""

import datetime
import re
import xml.etree.ElementTree as ET

import pytest
from django.core.cache import cache
from django.utils import timezone
from icalendar import Calendar

from councils.models import Meeting
from reoffense_portal.composition.publishing.models import PlanVersion
from tests.public_data import publish

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def test_atom_feed_lists_published_plans_and_meetings_newest_first(client, seeded):
    response = client.get("/feeds/updates.atom")
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    entries = [(entry.findtext(f"{ATOM}title"), entry.find(f"{ATOM}link").get("href"), entry.findtext(f"{ATOM}updated"))
               for entry in feed.iter(f"{ATOM}entry")]
    titles = [title for title, _, _ in entries]
    assert "熊本市再犯防止推進計画（熊本市）を公開しました" in titles
    assert "第二次山口市再犯防止推進計画（山口市）を公開しました" in titles
    assert "令和6年度第1回山口市再犯防止推進協議会（令和6年12月24日開催）" in titles
    assert ("令和3年度第1回山口市再犯防止推進協議会（令和3年7月21日開催）", "http://testserver/meetings/1021/") in [
        (title, link) for title, link, _ in entries
    ]
    updated = [stamp for _, _, stamp in entries]
    assert updated == sorted(updated, reverse=True)


def test_icalendar_has_an_event_for_every_dated_meeting(client, seeded):
    meeting = Meeting.objects.get(pk=1024)
    meeting.starts_at, meeting.ends_at, meeting.venue = datetime.time(14), datetime.time(15, 30), "山口市役所"
    meeting.save()
    publish(meeting.council.plan)
    response = client.get("/feeds/meetings.ics")
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    events = {str(event["summary"]): event for event in calendar.walk("VEVENT")}
    assert set(events) == {
        "令和6年度第1回山口市再犯防止推進協議会",
        "令和5年度第1回山口市再犯防止推進協議会",
        "令和4年度第1回山口市再犯防止推進協議会",
        "令和3年度第1回山口市再犯防止推進協議会",
    }
    timed = events["令和6年度第1回山口市再犯防止推進協議会"]
    assert timed.decoded("dtstart") == datetime.datetime(2024, 12, 24, 14, tzinfo=timed.decoded("dtstart").tzinfo)
    assert timed.decoded("dtstart").utcoffset() == datetime.timedelta(hours=9)
    assert timed.decoded("dtend").hour == 15 and timed.decoded("dtend").minute == 30
    assert str(timed["location"]) == "山口市役所"
    assert str(timed["url"]) == "http://testserver/meetings/1024/"
    all_day = events["令和3年度第1回山口市再犯防止推進協議会"]
    assert all_day.decoded("dtstart") == datetime.date(2021, 7, 21)


def test_a_municipalitys_calendar_has_only_its_meetings(client, seeded):
    calendar = Calendar.from_ical(client.get("/municipalities/431001/meetings.ics").content)
    assert calendar.walk("VEVENT") == []  # 熊本市's councils list no meetings
    assert str(calendar["x-wr-calname"]) == "熊本市 再犯防止推進計画 会議予定"
    assert len(Calendar.from_ical(client.get("/municipalities/352039/meetings.ics").content).walk("VEVENT")) == 4


def test_sitemap_lists_every_public_page(client, seeded):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    locations = {element.text for element in ET.fromstring(response.content).iter(
        "{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    expected = {"/", "/accessibility/", "/municipalities/352039/", "/municipalities/431001/", "/plans/1001/",
                "/plans/2001/", "/councils/1001/", "/councils/2001/", "/meetings/1021/", "/meetings/1024/"}
    assert {"http://testserver" + path for path in expected} <= locations
    assert "http://testserver/municipalities/350001/" not in locations  # 山口県 has no plan here


def test_robots_txt_points_at_the_sitemap_and_keeps_robots_out_of_the_admin(client, db):
    response = client.get("/robots.txt")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert "Disallow: /admin/" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


# --- The feeds to the letter of their standards ------------------------------------------------------


def test_every_timezone_the_calendar_names_has_its_vtimezone(client, seeded):
    """RFC 5545 3.2.19: a TZID parameter refers to a VTIMEZONE component of the same calendar."""
    meeting = Meeting.objects.get(pk=1024)
    meeting.starts_at = datetime.time(14)
    meeting.save()
    publish(meeting.council.plan)
    for url in ["/feeds/meetings.ics", "/municipalities/352039/meetings.ics"]:
        content = client.get(url).content
        calendar = Calendar.from_ical(content)
        assert str(calendar["version"]) == "2.0" and calendar.get("prodid")
        named = set(re.findall(rb"^[A-Z-]+;(?:[^:]*;)?TZID=([^;:]+)", content, flags=re.MULTILINE))
        assert named == {b"Asia/Tokyo"}, url
        defined = {str(zone["tzid"]).encode() for zone in calendar.walk("VTIMEZONE")}
        assert named <= defined, url
        tokyo = next(zone for zone in calendar.walk("VTIMEZONE") if str(zone["tzid"]) == "Asia/Tokyo")
        assert tokyo.walk("STANDARD")[0].decoded("tzoffsetto") == datetime.timedelta(hours=9)
        for event in calendar.walk("VEVENT"):
            assert event.get("uid") and event.get("dtstamp") and event.get("dtstart")


def test_the_atom_feed_has_every_element_rfc_4287_requires(client, seeded):
    feed = ET.fromstring(client.get("/feeds/updates.atom").content)
    for name in ("id", "title", "updated"):
        assert len(feed.findall(f"{ATOM}{name}")) == 1 and feed.findtext(f"{ATOM}{name}").strip(), name
    # atom:author on the feed stands for every entry without its own (4.1.1).
    assert feed.findtext(f"{ATOM}author/{ATOM}name") == "再犯防止推進計画ポータル"
    assert feed.find(f"{ATOM}link[@rel='self']") is not None
    entries = feed.findall(f"{ATOM}entry")
    assert entries
    for entry in entries:
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1 and entry.findtext(f"{ATOM}{name}").strip(), name
        assert entry.find(f"{ATOM}link[@rel='alternate']") is not None or entry.find(f"{ATOM}content") is not None
        datetime.datetime.fromisoformat(entry.findtext(f"{ATOM}updated"))  # RFC 3339


def test_every_sitemap_url_has_its_lastmod_and_every_public_page_type_is_listed(client, seeded, settings, tmp_path):
    settings.ACCESSIBILITY_RECORD = str(tmp_path / "accessibility.json")
    (tmp_path / "accessibility.json").write_text('{"tested_at": "2026-12-01T10:00:00+09:00"}', encoding="utf-8")
    sitemap = ET.fromstring(client.get("/sitemap.xml").content)
    urls = {url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod") for url in sitemap.iter(f"{SITEMAP}url")}
    assert [loc for loc, lastmod in urls.items() if not lastmod] == []
    for lastmod in urls.values():
        datetime.date.fromisoformat(lastmod[:10])  # W3C datetime
    for path in ["/", "/prefectures/", "/prefectures/status/", "/prefectures/350001/", "/prefectures/350001/comparison/",
                 "/prefectures/430005/comparison/", "/municipalities/352039/", "/plans/1001/", "/plans/1001/versions/",
                 "/plans/2001/versions/", "/councils/1001/", "/meetings/1024/", "/regional-programme/", "/practices/"]:
        assert f"http://testserver{path}" in urls, path
    assert urls["http://testserver/accessibility/"].startswith("2026-12-01")
    published = timezone.localdate(PlanVersion.objects.get(plan_id=1001).live_from)
    assert urls["http://testserver/plans/1001/versions/"] == published.isoformat()
