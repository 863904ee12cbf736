"""Starting jobs and running them: the one door between the portal's long work and the task queue.

    @job_task
    def import_rows(job, upload_name, ...):
        job.report(0, total, "読み込み")
        ...
        return {"created": 12}          # kept as job.result for the job's page

    job = start_job(import_rows, "spreadsheet_name", kind="import", title="取組・事業の取り込み", owner=user)

The task receives the job; `JobError("…")` ends it as failed with that Japanese reason. Any other
exception also ends it as failed, with a general Japanese reason, and is logged with its traceback.
A task that writes in one transaction may call `job.succeed(result)` as the last step inside it, so
that the job is done exactly when its rows are (a worker killed before the commit leaves neither).
"""

import functools
import logging

from django.db import transaction
from django_tasks import task

from .models import Job
from .progress import Heartbeat, Reporter
from .progress_files import forget

logger = logging.getLogger(__name__)

UNEXPECTED = "予期しないエラーのため処理できませんでした。何も保存されていません。時間をおいてもう一度実行し、続くときは管理者に連絡してください。"


class JobError(Exception):
    """A job's expected failure; its text is what the user reads."""


def job_task(function=None, **task_options):
    """Make `function(job, *args)` a task of the queue that keeps its Job up to date."""

    def decorate(function):
        @functools.wraps(function)
        def run(job_id: str, *args, **kwargs):
            job = Job.objects.filter(pk=job_id).first()
            if job is None or job.finished:
                return None  # removed, or already run by a retry of the queue
            job.begin()
            job.report = Reporter(job)
            try:
                with Heartbeat(job):
                    result = function(job, *args, **kwargs)
            except JobError as error:
                job.fail(str(error))
                return None
            except Exception:
                logger.exception("Job %s (%s) failed", job.pk, job.kind)
                job.fail(UNEXPECTED)
                raise
            else:
                if not job.finished:  # a task may end its job itself, in the transaction of its writes
                    job.succeed(result)
                return None
            finally:
                forget(job.pk)  # after the row says how the job ended, so the bar never reads a blank in between

        return task(**task_options)(run)

    return decorate(function) if function is not None else decorate


def start_job(job_task, *args, kind: str, title: str, owner=None, total: int | None = None, **kwargs) -> Job:
    """Record a job and queue its work, both or neither: with the database queue in the same transaction."""
    job = Job.objects.create(kind=kind, title=title, owner=owner, total=total)
    enqueue(job_task, str(job.pk), *args, **kwargs)
    return job


def enqueue(task_, *args, **kwargs) -> None:
    """Queue a task with the caller's transaction: the database queue writes in it, another queue after commit."""
    if type(task_.get_backend()).__module__.startswith("django_tasks_db"):
        task_.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(functools.partial(task_.enqueue, *args, **kwargs))
