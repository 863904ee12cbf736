"""A job: long work (an import, a PDF, a backup) that a worker runs off the web request.

The task queue (Django's Tasks API) runs the work; this row is what staff see of it: whose job it
is, how far it has got, and how it ended, in Japanese. It outlives the queue's own record, so a
job killed with its worker is still told apart from one that is waiting (`JobQuerySet.reap_stale`).
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from .progress_files import read

INTERRUPTED = "処理の途中で作業プロセスが止まりました。何も保存されていません。もう一度実行してください。"
# What a killed worker leaves differs by kind: mail sent before is never sent again, periodic work runs again.
INTERRUPTED_BY_KIND = {
    "mail": "送信の途中で作業プロセスが止まりました。送信済みのメールはそのままです。まだ送っていないメールは、自動でもう一度送ります。",
    "reminders": "お知らせメールの送信の途中で作業プロセスが止まりました。送信済みのメールは二度と送りません。残りは自動でもう一度送ります。",
    "go_live": "公開予約の記録の途中で作業プロセスが止まりました。自動でもう一度実行します。",
    "approval": "公開版の作成の途中で作業プロセスが止まりました。公開版は作成しておらず、申請は承認待ちのままです。計画の画面からもう一度「承認して公開」を押してください。",
    "backup": "バックアップの作成の途中で作業プロセスが止まりました。バックアップは作られていません。もう一度実行してください。",
}


def interrupted_message(kind: str) -> str:
    return INTERRUPTED_BY_KIND.get(kind, INTERRUPTED)


class JobQuerySet(models.QuerySet):
    def of_user(self, user) -> "JobQuerySet":
        """The user's own jobs of the last JOBS_KEEP_DAYS days, newest first; superusers also see the
        jobs nobody started (reminders, scheduled go-lives: the worker's own, by the clock)."""
        since = timezone.now() - timedelta(days=settings.JOBS_KEEP_DAYS)
        return self.visible_to(user).filter(created_at__gte=since).order_by("-created_at")

    def visible_to(self, user) -> "JobQuerySet":
        if user.is_superuser:
            return self.filter(models.Q(owner=user) | models.Q(owner__isnull=True))
        return self.filter(owner=user)

    def unfinished(self) -> "JobQuerySet":
        return self.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING])

    def reap_stale(self) -> int:
        """Mark running jobs that stopped reporting as failed: their worker was killed mid-way.

        An import runs in one transaction, so a killed worker wrote nothing; the user is told so
        and may run it again. Returns how many jobs were marked.
        """
        limit = timezone.now() - timedelta(seconds=settings.JOBS_STALE_SECONDS)
        stale = {}
        for job in self.filter(status=Job.Status.RUNNING):
            read(job)
            if (job.heartbeat_at or job.started_at or job.created_at) < limit:
                stale.setdefault(job.kind, []).append(job.pk)
        return sum(
            self.filter(pk__in=ids, status=Job.Status.RUNNING).update(
                status=Job.Status.FAILED, message=interrupted_message(kind), finished_at=timezone.now()
            )
            for kind, ids in stale.items()
        )


    def prune(self) -> int:
        """Remove finished jobs older than JOBS_KEEP_DAYS, with the files they made; returns how many."""
        from django.core.files.storage import default_storage

        since = timezone.now() - timedelta(days=settings.JOBS_KEEP_DAYS)
        old = list(self.filter(created_at__lt=since).exclude(status__in=[Job.Status.QUEUED, Job.Status.RUNNING]))
        for job in old:
            name = (job.result or {}).get("file")
            if name and default_storage.exists(name):
                default_storage.delete(name)
        return self.filter(pk__in=[job.pk for job in old]).delete()[0]

    def interrupted(self) -> "JobQuerySet":
        """Jobs marked failed because their worker was killed (reap_stale)."""
        return self.filter(status=Job.Status.FAILED, message__in=[INTERRUPTED, *INTERRUPTED_BY_KIND.values()])


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "待機中"
        RUNNING = "running", "実行中"
        DONE = "done", "完了"
        FAILED = "failed", "失敗"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField("種類", max_length=50)
    title = models.CharField("処理", max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="依頼した職員", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="jobs",
    )
    status = models.CharField("状況", max_length=10, choices=Status, default=Status.QUEUED)
    stage = models.CharField("段階", max_length=100, blank=True)
    done = models.PositiveIntegerField("処理済み", default=0)
    total = models.PositiveIntegerField("全体", null=True, blank=True)
    message = models.TextField("理由", blank=True)
    result = models.JSONField("結果", null=True, blank=True)
    created_at = models.DateTimeField("依頼日時", default=timezone.now, db_index=True)
    started_at = models.DateTimeField("開始日時", null=True, blank=True)
    finished_at = models.DateTimeField("終了日時", null=True, blank=True)
    heartbeat_at = models.DateTimeField("最後の報告", null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = "処理"
        verbose_name_plural = "処理の状況"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.title}（{self.get_status_display()}）"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    def percent(self) -> int | None:
        """Whole percent done, or None while the total is not known yet."""
        if not self.total:
            return None
        return min(100, self.done * 100 // self.total)

    def read_progress(self) -> None:
        """Bring done/total/stage up to what the worker last reported (jobs/progress.py)."""
        if self.status == self.Status.RUNNING:
            read(self)

    def progress_text(self) -> str:
        """「確認中　1,200 / 2,000行（60%）」, as staff read it under the bar."""
        if self.status == self.Status.QUEUED:
            return "順番を待っています"
        if self.status == self.Status.FAILED:
            return "失敗しました"
        parts = [self.stage] if self.stage else []
        if self.total:
            parts.append(f"{self.done:,} / {self.total:,}（{self.percent()}%）")
        elif self.done:
            parts.append(f"{self.done:,}")
        return "　".join(parts) or self.get_status_display()

    # -- what the worker calls ------------------------------------------------

    def begin(self) -> None:
        now = timezone.now()
        self.status, self.started_at, self.heartbeat_at = self.Status.RUNNING, now, now
        Job.objects.filter(pk=self.pk).update(status=self.status, started_at=now, heartbeat_at=now)

    def succeed(self, result=None) -> None:
        self._end(self.Status.DONE, result=result)

    def fail(self, message: str) -> None:
        self._end(self.Status.FAILED, message=message)

    def _end(self, status, **fields) -> None:
        self.status, self.finished_at = status, timezone.now()
        for name, value in fields.items():
            setattr(self, name, value)
        Job.objects.filter(pk=self.pk).update(
            status=status, finished_at=self.finished_at, heartbeat_at=self.finished_at,
            done=self.done, total=self.total, stage=self.stage, **fields,
        )


class Schedule(models.Model):
    """When a periodic job (jobs/schedule.py) is next due, and the job last queued for it.

    Moved on by a conditional update, so of several workers ticking at once exactly one queues the job.
    """

    name = models.CharField("名前", max_length=50, primary_key=True)
    next_run_at = models.DateTimeField("次の実行")
    job = models.ForeignKey(Job, verbose_name="最後の処理", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+")

    class Meta:
        verbose_name = "定期的な処理"
        verbose_name_plural = "定期的な処理"

    def __str__(self):
        return self.name
