from django.contrib import admin
from django.urls import include, path

from .health import PublicHealthCheckView

admin.site.site_header = "再犯防止推進計画ポータル 管理画面"
admin.site.site_title = "再犯防止推進計画ポータル"
admin.site.index_title = "計画の管理"

urlpatterns = [
    # For the load balancer: 200 or 503, never cached, no details (reoffense_portal/health.py).
    path("health/", PublicHealthCheckView.as_view(), name="health"),
    # PDF summaries (staff under admin/summaries/, so before the admin's catch-all; residents under plans/).
    path("", include("reoffense_portal.summaries.urls")),
    path("admin/", admin.site.urls),
    # Open data of published plans (CSV and JSON, CC BY 4.0).
    path("opendata/", include("reoffense_portal.opendata")),
    # Residents' pages. Uploaded files are served only through views that check publication,
    # never from MEDIA_URL, so a draft's document cannot leak.
    path("", include("reoffense_portal.public_urls")),
]
