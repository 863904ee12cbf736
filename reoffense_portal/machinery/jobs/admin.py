"""Staff's own jobs: the list of the last days (管理画面トップ › 処理の状況) and each job's page with its progress bar.

A job's page polls `status.json` from a static script (the CSP allows no inline script) and
refreshes itself when the job ends; without scripts it refreshes every few seconds. What a finished
job shows is its kind's template, `admin/jobs/result_<kind>.html`, given the job; a failed one shows
`admin/jobs/failed_<kind>.html` where its kind has one (e.g. a link to start again), else its reason alone.
"""

import functools

from django.conf import settings
from django.contrib import admin
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, JsonResponse
from django.template.loader import select_template
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django_tasks_db.models import DBTaskResult

from .models import Job

# Kinds of job whose file only a superuser may download, even one who started it while a superuser.
SUPERUSERS_ONLY = {"backup"}

# The queue's own table (django-tasks-db) is machinery, named in English: staff follow their jobs here.
if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)


def writes_nothing(view):
    """A page that only shows a job: not even the session is saved (SESSION_SAVE_EVERY_REQUEST saves it on
    every request). On SQLite a job's import holds the database's one writer for its whole transaction; a
    poll of the bar that waited for it would stall, and watching a job is no activity that keeps a session."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        request.session.save = lambda must_create=False: None
        return view(request, *args, **kwargs)

    return wrapped


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["title_link", "status", "progress_text", "created_at", "finished_at"]
    list_filter = ["status"]
    list_display_links = None
    ordering = ["-created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).of_user(request.user)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and (
            obj is None or Job.objects.visible_to(request.user).filter(pk=obj.pk).exists()
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="処理")
    def title_link(self, job):
        return format_html('<a href="{}">{}</a>', reverse("admin:jobs_job_progress", args=[job.pk]), job.title)

    @admin.display(description="進み具合")
    def progress_text(self, job):
        return job.progress_text()

    def get_urls(self):
        return [
            path("<uuid:pk>/progress/", self.admin_site.admin_view(writes_nothing(self.progress_view)),
                 name="jobs_job_progress"),
            path("<uuid:pk>/status.json", self.admin_site.admin_view(writes_nothing(self.status_view)),
                 name="jobs_job_status"),
            path("<uuid:pk>/download/", self.admin_site.admin_view(self.download_view), name="jobs_job_download"),
            *super().get_urls(),
        ]

    def own_job(self, request, pk) -> Job:
        """The user's own job (for a superuser, also the worker's own), brought up to its worker's last report;
        a job of someone else is not found."""
        job = Job.objects.visible_to(request.user).filter(pk=pk).first()
        if job is None:
            raise Http404("この処理は見つかりません。")
        if not job.finished:
            Job.objects.filter(pk=job.pk).reap_stale()
            job.refresh_from_db()
            job.read_progress()
        return job

    def progress_view(self, request, pk):
        job = self.own_job(request, pk)
        context = {
            **self.admin_site.each_context(request),
            "title": job.title,
            "job": job,
            "opts": self.model._meta,
            "result_template": select_template([f"admin/jobs/result_{job.kind}.html", "admin/jobs/result.html"]),
            "failed_template": select_template([f"admin/jobs/failed_{job.kind}.html", "admin/jobs/failed.html"]),
            "keep_days": settings.JOBS_KEEP_DAYS,
        }
        return TemplateResponse(request, "admin/jobs/progress.html", context)

    def download_view(self, request, pk):
        """The file a finished job made (a PDF, a backup), to its owner only, streamed from storage."""
        job = self.own_job(request, pk)
        name = (job.result or {}).get("file") if job.status == Job.Status.DONE else None
        if job.kind in SUPERUSERS_ONLY and not request.user.is_superuser:
            name = None  # a backup holds every password hash: a user no longer superuser downloads none
        if not name or not default_storage.exists(name):
            raise Http404("このファイルはありません。保存期間が過ぎたか、処理が終わっていません。")
        response = FileResponse(
            default_storage.open(name), as_attachment=bool(job.result.get("attachment")), filename=job.result.get("filename") or None,
            content_type=job.result.get("content_type") or "application/octet-stream",
        )
        response["Cache-Control"] = "private, no-store"
        return response

    def status_view(self, request, pk):
        job = self.own_job(request, pk)
        response = JsonResponse({
            "status": job.status,
            "status_label": job.get_status_display(),
            "finished": job.finished,
            "done": job.done,
            "total": job.total,
            "stage": job.stage,
            "text": job.progress_text(),
        })
        response["Cache-Control"] = "no-store"
        return response
