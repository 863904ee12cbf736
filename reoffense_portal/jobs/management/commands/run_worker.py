"""The portal's job worker: `manage.py run_worker` beside the web servers (one or more of them).

It first removes jobs older than JOBS_KEEP_DAYS with their files and marks jobs whose worker was
killed as failed (JobQuerySet.reap_stale), then works the
queue: the database queue by default, RQ when TASKS_BACKEND=rq.
"""

from django.conf import settings
from django.core.management import BaseCommand, call_command

from reoffense_portal.jobs.models import Job


class Command(BaseCommand):
    help = "ジョブ（取り込み・PDFの作成・バックアップなど）を実行する作業プロセスを起動します。"

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="待っているジョブをすべて実行したら終了します。")

    def handle(self, *args, batch=False, **options):
        Job.objects.prune()
        reaped = Job.objects.reap_stale()
        if reaped:
            self.stderr.write(f"中断されていたジョブ {reaped}件を失敗として記録しました。")
        if settings.TASKS_BACKEND == "rq":
            call_command("rqworker", "default", burst=batch, with_scheduler=False)
        else:
            call_command("db_worker", queue_name="*", batch=batch, reload=False, startup_delay=not batch, interval=1)
