"""The public site's pages that compose several apps: home, feeds, sitemap, robots, policy pages."""

import datetime
from dataclasses import dataclass

from django.contrib.sitemaps import Sitemap
from django.contrib.syndication.views import Feed
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_safe
from icalendar import Calendar, Event

from councils.models import Council, Meeting
from plans import eras
from plans.models import Municipality, Plan

FEED_SIZE = 50
RECENT_MEETINGS = 5


def dated_meetings():
    """Meetings of published plans that have a date: the home page's, the feed's and the calendar's."""
    return Meeting.objects.published().filter(held_on__isnull=False).select_related("council__plan__municipality")


@require_safe
def home(request):
    municipalities = (
        Municipality.objects.with_published_plans()
        .select_related("prefecture")
        .prefetch_related(
            Prefetch("plans", queryset=Plan.objects.published().order_by("-period_start"), to_attr="public_plans")
        )
    )
    recent = dated_meetings().order_by("-held_on")[:RECENT_MEETINGS]
    return TemplateResponse(request, "public/home.html", {"municipalities": municipalities, "recent_meetings": recent})


@require_safe
def accessibility(request):
    return TemplateResponse(request, "public/accessibility.html")


@require_safe
def robots_txt(request):
    sitemap = request.build_absolute_uri(reverse("public:sitemap"))
    lines = ["User-agent: *", "Disallow: /admin/", "Disallow: /*?preview=", f"Sitemap: {sitemap}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a Japanese page instead of Django's English one."""
    return TemplateResponse(request, "public/csrf_failure.html", status=403)


# --- Feeds -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Update:
    """One entry of the updates feed: a plan published or changed, or a council meeting."""

    title: str
    description: str
    url: str
    updated: datetime.datetime


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 0)))


def recent_updates(limit: int = FEED_SIZE) -> list[Update]:
    """The newest plan updates and meetings of published plans, newest first."""
    plans = Plan.objects.published().select_related("municipality").order_by("-updated_at")[:limit]
    meetings = dated_meetings().order_by("-held_on")[:limit]
    updates = [
        Update(
            title=f"{plan.title}（{plan.municipality}）を更新しました",
            description=f"計画期間：{plan.period_full_label}",
            url=plan.get_absolute_url(),
            updated=plan.updated_at,
        )
        for plan in plans
    ] + [
        Update(
            title=f"{meeting.title}（{meeting.when_label}）",
            description=f"{meeting.council.plan.municipality}の{meeting.council.name}の会議です。",
            url=meeting.get_absolute_url(),
            updated=_start_of(meeting.held_on),
        )
        for meeting in meetings
    ]
    return sorted(updates, key=lambda update: update.updated, reverse=True)[:limit]


class UpdatesFeed(Feed):
    feed_type = Atom1Feed
    title = "再犯防止推進計画ポータル 新着情報"
    subtitle = "公開中の再犯防止推進計画の更新と、推進協議会等の会議のお知らせです。"

    def link(self):
        return reverse("public:home")

    def items(self):
        return recent_updates()

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.description

    def item_link(self, item):
        return item.url

    def item_pubdate(self, item):
        return item.updated

    def item_updateddate(self, item):
        return item.updated


@require_safe
def meetings_calendar(request, code=None):
    """iCalendar (RFC 5545) of council meetings with a date, for all or one municipality."""
    meetings = dated_meetings().order_by("held_on")
    name = "再犯防止推進計画 会議予定"
    if code is not None:
        municipality = get_object_or_404(Municipality.objects.with_published_plans(), code=code)
        meetings = meetings.filter(council__plan__municipality=municipality)
        name = f"{municipality} {name}"
    calendar = Calendar()
    calendar.add("prodid", "-//reoffense-portal//meetings//JA")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Asia/Tokyo")
    host = request.get_host().split(":")[0]
    for meeting in meetings:
        calendar.add_component(_meeting_event(request, meeting, host))
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="meetings.ics"'
    return response


def _meeting_event(request, meeting, host: str) -> Event:
    event = Event()
    event.add("uid", f"meeting-{meeting.pk}@{host}")
    event.add("summary", meeting.title)
    if meeting.starts_at:
        start = timezone.make_aware(datetime.datetime.combine(meeting.held_on, meeting.starts_at))
        end_time = meeting.ends_at or (datetime.datetime.combine(meeting.held_on, meeting.starts_at)
                                       + datetime.timedelta(hours=1)).time()
        event.add("dtstart", start)
        event.add("dtend", timezone.make_aware(datetime.datetime.combine(meeting.held_on, end_time)))
    else:
        event.add("dtstart", meeting.held_on)
        event.add("dtend", meeting.held_on + datetime.timedelta(days=1))
    event.add("dtstamp", timezone.now())
    if meeting.venue:
        event.add("location", meeting.venue)
    event.add("status", "CANCELLED" if meeting.status == Meeting.Status.CANCELLED else "CONFIRMED")
    url = request.build_absolute_uri(meeting.get_absolute_url())
    event.add("url", url)
    event.add("description", f"{meeting.council.plan.municipality} {eras.japanese_date(meeting.held_on)}\n{url}")
    return event


# --- Sitemap -----------------------------------------------------------------------------------


class PagesSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return ["public:home", "public:accessibility"]

    def location(self, item):
        return reverse(item)


class MunicipalitySitemap(Sitemap):
    def items(self):
        return Municipality.objects.with_published_plans().order_by("code")


class PlanSitemap(Sitemap):
    def items(self):
        return Plan.objects.published().order_by("pk")

    def lastmod(self, plan):
        return plan.updated_at


class CouncilSitemap(Sitemap):
    def items(self):
        return Council.objects.published().order_by("pk")


class MeetingSitemap(Sitemap):
    def items(self):
        return Meeting.objects.published().select_related("council").order_by("pk")


SITEMAPS = {
    "pages": PagesSitemap,
    "municipalities": MunicipalitySitemap,
    "plans": PlanSitemap,
    "councils": CouncilSitemap,
    "meetings": MeetingSitemap,
}


