"""The portal's job worker: `manage.py run_worker` beside the web servers (one or more of them).

It first removes jobs older than JOBS_KEEP_DAYS with their files and marks jobs whose worker was
killed as failed (JobQuerySet.reap_stale), then works the queue: the database queue by default, RQ
when TASKS_BACKEND=rq. Beside it, a thread ticks the clock once a minute (jobs/schedule.py): it marks
jobs of killed workers failed and queues the periodic jobs that are due (reminders, the scheduled
go-live follow-up, mail to try again), each by exactly one of however many workers run.
"""

import logging
import threading

from django.conf import settings
from django.core.management import BaseCommand, call_command
from django.db import connections

from reoffense_portal.machinery.jobs import schedule
from reoffense_portal.machinery.jobs.models import Job

logger = logging.getLogger(__name__)


class Clock(threading.Thread):
    """Calls schedule.tick() every TICK_SECONDS until stopped; a failed tick (a locked SQLite) waits for the next."""

    def __init__(self):
        super().__init__(name="job-schedule", daemon=True)
        self.stopped = threading.Event()

    def run(self) -> None:
        while True:
            try:
                schedule.tick()
            except Exception:
                logger.exception("The job schedule's tick failed; trying again in a minute")
            finally:
                connections.close_all()  # this thread's own connection
            if self.stopped.wait(schedule.TICK_SECONDS):
                return


class Command(BaseCommand):
    help = "ジョブ（取り込み・PDFの作成・バックアップ・お知らせメールなど）を実行する作業プロセスを起動します。"

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="待っているジョブをすべて実行したら終了します。")

    def handle(self, *args, batch=False, **options):
        Job.objects.prune()
        reaped = Job.objects.reap_stale()
        if reaped:
            self.stderr.write(f"中断されていたジョブ {reaped}件を失敗として記録しました。")
        if batch:
            schedule.tick()  # once: what is due now is worked below
        else:
            Clock().start()
        if settings.TASKS_BACKEND == "rq":
            call_command("rqworker", "default", burst=batch, with_scheduler=False)
        else:
            call_command("db_worker", queue_name="*", batch=batch, reload=False, startup_delay=not batch, interval=1)
