"""The "public" URL namespace: what residents read, all of it from published versions."""

from django.contrib.sitemaps.views import sitemap
from django.urls import path

from . import api, feeds, regional_views, views

app_name = "public"

# The pages and downloads residents read most come first: a request tries the patterns in order.
urlpatterns = [
    path("plans/<bigint:pk>/", views.plan_detail, name="plan"),
    path("plans/<bigint:pk>/progress/<bigint:year>/", views.plan_progress, name="plan_progress"),
    path("plans/<bigint:pk>/versions/", views.plan_versions, name="plan_versions"),
    path("plans/<bigint:pk>/versions/<bigint:number>/", views.plan_version, name="plan_version"),
    path("plans/<bigint:pk>/document/", views.plan_document, name="plan_document"),
    path("plans/<bigint:pk>/summary.pdf", views.plan_summary, name="plan_summary"),
    path("opendata/plans/<bigint:pk>.json", views.plan_json, name="plan_json"),
    path("opendata/plans/<bigint:pk>/<slug:dataset>.csv", views.plan_csv, name="plan_csv"),
    path("councils/<bigint:pk>/", views.council_detail, name="council"),
    path("meetings/<bigint:pk>/", views.meeting_detail, name="meeting"),
    path("meetings/documents/<bigint:pk>/", views.meeting_document, name="meeting_document"),
    path("", views.home, name="home"),
    path("prefectures/", views.prefecture_list, name="prefectures"),
    path("prefectures/status/", views.plan_status, name="plan_status"),
    path("prefectures/status.csv", views.plan_status_csv, name="plan_status_csv"),
    path("prefectures/status.json", views.plan_status_json, name="plan_status_json"),
    path("regional-programme/", regional_views.programme, name="regional_programme"),
    path("regional-programme/<bigint:year>/", regional_views.programme, name="regional_programme_year"),
    path("regional-programme/<bigint:year>.csv", regional_views.programme_csv, name="regional_programme_csv"),
    path("regional-programme/<bigint:year>.json", regional_views.programme_json, name="regional_programme_json"),
    path("regional-programme/<bigint:year>/<slug:code>/", regional_views.kind_detail, name="regional_kind"),
    path("practices/", regional_views.practices, name="practices"),
    path("prefectures/<str:code>/", views.prefecture_detail, name="prefecture"),
    path("municipalities/<str:code>/", views.municipality_detail, name="municipality"),
    path("municipalities/<str:code>/meetings.ics", feeds.meetings_calendar, name="municipality_calendar"),
    path("prefectures/<str:code>/comparison/", views.prefecture_comparison, name="prefecture_comparison"),
    path("prefectures/<str:code>/comparison.csv", views.prefecture_comparison_csv, name="prefecture_comparison_csv"),
    path("opendata/schemas/plan.json", api.plan_json_schema, name="plan_json_schema"),
    path("opendata/schemas/tables/<slug:dataset>.json", api.table_schema, name="table_schema"),
    path("catalog.jsonld", api.dcat_catalogue, name="dcat_catalogue"),
    path("api/3/action/<str:name>", api.action, name="ckan_action"),
    # CKAN answers both; ckanapi's RemoteCKAN calls this one.
    path("api/action/<str:name>", api.action),
    path("feedback/", views.feedback, name="feedback"),
    path("feedback/thanks/", views.feedback_thanks, name="feedback_thanks"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("search/", views.site_search, name="search"),
    path("feeds/updates.atom", feeds.UpdatesFeed(), name="feed_updates"),
    path("feeds/meetings.ics", feeds.meetings_calendar, name="calendar"),
    path("sitemap.xml", sitemap, {"sitemaps": feeds.SITEMAPS}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots"),
]
