"""Feeds, calendar and sitemap of what is live: read from published versions like every public page."""

import datetime
from dataclasses import dataclass

from django.contrib.sitemaps import Sitemap
from django.contrib.syndication.views import Feed
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_safe
from icalendar import Calendar, Event

from plans.models import Municipality
from reoffense_portal.composition.publishing import regional
from reoffense_portal.composition.publishing.models import PlanVersion, VersionMeeting, VersionPage
from reoffense_portal.machinery import eras

FEED_SIZE = 50


def live_meetings():
    """Meetings of live versions that have a date: the feed's and the calendar's."""
    return VersionMeeting.objects.filter(
        version__in=PlanVersion.objects.live(), held_on__isnull=False
    ).select_related("version__municipality").defer("version__rows")


@dataclass(frozen=True)
class Update:
    """One entry of the updates feed: a version of a plan published, or a council meeting."""

    title: str
    description: str
    url: str
    updated: datetime.datetime


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 0)))


def recent_updates(limit: int = FEED_SIZE) -> list[Update]:
    """The newest published versions and meetings of live plans, newest first."""
    versions = PlanVersion.objects.live().select_related("municipality").order_by("-live_from")[:limit]
    meetings = live_meetings().order_by("-held_on")[:limit]
    updates = [
        Update(
            title=f"{version.title}（{version.municipality}）を{'公開' if version.number == 1 else '更新'}しました",
            description=version.summary or f"計画期間：{version.card.get('period_full_label', '')}",
            url=reverse("public:plan", args=[version.plan_id]),
            updated=version.live_from,
        )
        for version in versions
    ] + [
        Update(
            title=f"{meeting.title}（{meeting.when_label}）",
            description=f"{meeting.version.municipality}の{meeting.council_name}の会議です。",
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
    # RFC 4287 asks every entry for an author, given once for the feed: the portal speaks for the
    # municipalities, whose own pages name the department in charge.
    author_name = "再犯防止推進計画ポータル"

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
    """iCalendar (RFC 5545) of council meetings with a known day, for all or one municipality.

    A meeting known only by its month or fiscal year (令和5年12月) is left out: an event needs a day,
    and any day given would be invented. The meeting pages and the updates feed still list it.
    """
    meetings = live_meetings().filter(date_precision=eras.DatePrecision.DAY).order_by("held_on")
    name = "再犯防止推進計画 会議予定"
    if code is not None:
        version = PlanVersion.objects.live().filter(municipality_id=code).select_related("municipality").first()
        if version is None:
            raise Http404("公開中の計画がありません。")
        meetings = meetings.filter(version__municipality_id=code)
        name = f"{version.municipality} {name}"
    calendar = Calendar()
    calendar.add("prodid", "-//reoffense-portal//meetings//JA")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Asia/Tokyo")
    host = request.get_host().split(":")[0]
    for meeting in meetings:
        calendar.add_component(_meeting_event(request, meeting, host))
    # RFC 5545 3.2.19: every TZID a property names (Asia/Tokyo) has its VTIMEZONE in the calendar.
    calendar.add_missing_timezones()
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="meetings.ics"'
    return response


def _meeting_event(request, meeting: VersionMeeting, host: str) -> Event:
    event = Event()
    event.add("uid", f"meeting-{meeting.meeting_id}@{host}")
    event.add("summary", meeting.title)
    if meeting.starts_at:
        start = datetime.datetime.combine(meeting.held_on, meeting.starts_at)
        end_time = meeting.ends_at or (start + datetime.timedelta(hours=1)).time()
        event.add("dtstart", timezone.make_aware(start))
        event.add("dtend", timezone.make_aware(datetime.datetime.combine(meeting.held_on, end_time)))
    else:
        event.add("dtstart", meeting.held_on)
        event.add("dtend", meeting.held_on + datetime.timedelta(days=1))
    event.add("dtstamp", timezone.now())
    if meeting.venue:
        event.add("location", meeting.venue)
    event.add("status", "CANCELLED" if meeting.cancelled else "CONFIRMED")
    url = request.build_absolute_uri(meeting.get_absolute_url())
    event.add("url", url)
    event.add("description", f"{meeting.version.municipality} {meeting.held_on_label}\n{url}")
    return event


class PagesSitemap(Sitemap):
    """The site's own pages: they list every published plan, so they change with any publication."""

    changefreq = "monthly"

    def items(self):
        return ["public:home", "public:prefectures", "public:plan_status"]

    def location(self, item):
        return reverse(item)

    def lastmod(self, item):
        return PlanVersion.objects.last_change()


class AccessibilitySitemap(Sitemap):
    """/accessibility/, changed by each run of the accessibility test (its record's date)."""

    def items(self):
        return ["public:accessibility"]

    def location(self, item):
        return reverse(item)

    def lastmod(self, item):
        from reoffense_portal.composition.public.accessibility import AccessibilityRecord

        record = AccessibilityRecord.load()
        return record.tested_at if record else None


class MunicipalitySitemap(Sitemap):
    def items(self):
        return sorted(set(PlanVersion.objects.live().values_list("municipality_id", flat=True)))

    def location(self, code):
        return reverse("public:municipality", args=[code])

    def lastmod(self, code):
        return PlanVersion.objects.filter(municipality_id=code).last_change()


class PrefectureSitemap(Sitemap):
    def items(self):
        return list(Municipality.objects.filter(kind=Municipality.Kind.PREFECTURE).values_list("code", flat=True))

    def location(self, code):
        return reverse("public:prefecture", args=[code])

    def lastmod(self, code):
        in_prefecture = Q(municipality_id=code) | Q(municipality__prefecture_id=code)
        return PlanVersion.objects.filter(in_prefecture).last_change_or_site()


class ComparisonSitemap(Sitemap):
    """The comparison page of each prefecture with a municipality's plan live."""

    def items(self):
        live = PlanVersion.objects.live().exclude(municipality__prefecture=None)
        return sorted(set(live.values_list("municipality__prefecture_id", flat=True)))

    def location(self, code):
        return reverse("public:prefecture_comparison", args=[code])

    def lastmod(self, code):
        return PlanVersion.objects.filter(municipality__prefecture_id=code).last_change()


class RevisionHistorySitemap(Sitemap):
    """改訂履歴 of each live plan: it changes with each of the plan's versions."""

    def items(self):
        return sorted(set(PlanVersion.objects.live().values_list("plan_id", flat=True)))

    def location(self, plan_id):
        return reverse("public:plan_versions", args=[plan_id])

    def lastmod(self, plan_id):
        return PlanVersion.objects.filter(plan_id=plan_id).last_change()


class RegionalProgrammeSitemap(Sitemap):
    """地域再犯防止推進事業 nationwide: the tables, each published year's, each kind run in that year.

    They are read from prefectures' live versions only, so they change when one of those starts or ends."""

    def items(self):
        items = [("public:regional_programme", ())]
        for year in regional.published_years(regional.prefecture_versions()):
            items.append(("public:regional_programme_year", (year,)))
            tables = regional.national_tables(year)
            items += [("public:regional_kind", (year, row.kind.code)) for row in tables.kinds if row.running]
        return items

    def location(self, item):
        name, args = item
        return reverse(name, args=args)

    def lastmod(self, item):
        return PlanVersion.objects.filter(municipality__kind=Municipality.Kind.PREFECTURE).last_change_or_site()


class PracticesSitemap(Sitemap):
    """取組事例 of every live version: any publication may add or withdraw one."""

    def items(self):
        return ["public:practices"]

    def location(self, item):
        return reverse(item)

    def lastmod(self, item):
        return PlanVersion.objects.last_change()


class VersionPageSitemap(Sitemap):
    """Every page of every live version: plans, their years, councils, meetings."""

    def items(self):
        return (
            VersionPage.objects.filter(version__in=PlanVersion.objects.live())
            .select_related("version").only("path", "version__live_from").order_by("path")
        )

    def location(self, page):
        return page.path

    def lastmod(self, page):
        return page.version.live_from


SITEMAPS = {
    "pages": PagesSitemap,
    "accessibility": AccessibilitySitemap,
    "prefectures": PrefectureSitemap,
    "comparisons": ComparisonSitemap,
    "municipalities": MunicipalitySitemap,
    "revisions": RevisionHistorySitemap,
    "regional": RegionalProgrammeSitemap,
    "practices": PracticesSitemap,
    "plans": VersionPageSitemap,
}
