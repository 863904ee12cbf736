"""Staff PDF downloads, under admin/summaries/. Included before the admin's URLs: its catch-all would answer them."""

from django.contrib import admin
from django.urls import path

from . import views

app_name = "summaries"

urlpatterns = [
    # admin_view: staff login (redirect to the admin login page), never cached by browsers' shared caches.
    path(
        "plans/<bigint:pk>/summary.pdf",
        admin.site.admin_view(views.staff_plan_summary),
        name="staff_plan_summary",
    ),
    path(
        "meetings/<bigint:pk>/report.pdf",
        admin.site.admin_view(views.staff_meeting_report),
        name="staff_meeting_report",
    ),
]
