"""The prefecture staff's admin pages, under admin/prefectures/. Included before the admin's URLs, whose catch-all
would answer them."""

from django.contrib import admin
from django.urls import path

from . import views

app_name = "prefecture_staff"

urlpatterns = [
    path("<str:code>/follow-up/", admin.site.admin_view(views.follow_up_view), name="follow_up"),
    path("<str:code>/comparison/", admin.site.admin_view(views.comparison_view), name="comparison"),
    path(
        "<str:code>/comparison.csv",
        admin.site.admin_view(views.comparison_csv),
        name="comparison_csv",
    ),
]
