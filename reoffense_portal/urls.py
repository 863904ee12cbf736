from django.contrib import admin
from django.urls import include, path

from . import backups
from .composition.public import regional_views
from .composition.publishing import adoption_status
from .health import PublicHealthCheckView

admin.site.site_header = "再犯防止推進計画ポータル 管理画面"
admin.site.site_title = "再犯防止推進計画ポータル"
admin.site.index_title = "計画の管理"

urlpatterns = [
    # Residents' pages and downloads, all from published versions, at the site's root (public URLs stay as they are). Uploaded files are served only
    # through views that look them up in a live version, never from MEDIA_URL, so a draft's document cannot leak.
    # First, as most requests are theirs; no public URL begins with admin/ or health/.
    path("", include("reoffense_portal.composition.public.urls")),
    # For the load balancer: 200 or 503, never cached, no details (reoffense_portal/health.py).
    path("health/", PublicHealthCheckView.as_view(), name="health"),
    # Staff PDFs under admin/summaries/, before the admin's catch-all.
    path("admin/summaries/", include("reoffense_portal.composition.summaries.urls")),
    # Superusers: the 策定状況 in the shape of 法務省's survey (XLSX), before the admin's catch-all.
    path("admin/coverage/survey.xlsx", admin.site.admin_view(adoption_status.survey_download), name="coverage_survey"),
    # Superusers: the 地域再犯防止推進事業's national table in the shape of the Ministry's (XLSX).
    path("admin/regional-programme/<bigint:year>.xlsx", admin.site.admin_view(regional_views.programme_xlsx),
         name="regional_programme_xlsx"),
    # Superusers: a backup as a job (reoffense_portal/backups.py), downloaded from the job's page.
    path("admin/backup/", admin.site.admin_view(backups.start_backup), name="backup"),
    # A prefecture's staff: the follow-up list and the comparison table, also before the catch-all.
    path("admin/prefectures/", include("reoffense_portal.composition.prefecture_staff.urls")),
    path("admin/", admin.site.urls),
    # パブリックコメント: the comment form of a 案 shown at its plan's URL, and the published results (plans/<pk>/comments/).
    path("", include("reoffense_portal.composition.consultation.urls")),
]
