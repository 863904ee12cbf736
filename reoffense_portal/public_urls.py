"""The "public" URL namespace: what residents read. Pages are cached for anonymous readers."""

from django.contrib.sitemaps.views import sitemap
from django.urls import path

from councils import views as councils
from plans import views as plans

from . import public
from .pagecache import cache_public_page as cached

app_name = "public"

urlpatterns = [
    path("", cached(public.home), name="home"),
    path("municipalities/<str:code>/", cached(plans.municipality_detail), name="municipality"),
    path("municipalities/<str:code>/meetings.ics", public.meetings_calendar, name="municipality_calendar"),
    path("plans/<int:pk>/", cached(plans.plan_detail), name="plan"),
    path("plans/<int:pk>/document/", plans.plan_document, name="plan_document"),
    path("councils/<int:pk>/", cached(councils.council_detail), name="council"),
    path("meetings/<int:pk>/", cached(councils.meeting_detail), name="meeting"),
    path("meetings/documents/<int:pk>/", councils.meeting_document, name="meeting_document"),
    path("feedback/", plans.feedback, name="feedback"),
    path("feedback/thanks/", plans.feedback_thanks, name="feedback_thanks"),
    path("accessibility/", cached(public.accessibility), name="accessibility"),
    path("feeds/updates.atom", public.UpdatesFeed(), name="feed_updates"),
    path("feeds/meetings.ics", public.meetings_calendar, name="calendar"),
    path("sitemap.xml", sitemap, {"sitemaps": public.SITEMAPS}, name="sitemap"),
    path("robots.txt", public.robots_txt, name="robots"),
]
