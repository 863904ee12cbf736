"""Where a running job reports how far it has got, so that every process can read it at once.

An import checks and writes its rows inside one transaction (all or nothing), so progress written
through that transaction's connection would stay invisible until the end. It is written where the
transaction does not reach:

- on PostgreSQL, into the job's row through a connection of its own (a short-lived thread);
- on SQLite, whose one writer holds the whole file until it commits, into a small file in
  JOBS_PROGRESS_DIR: SQLite means one machine, so every process reads the same folder.
"""

import json
import os
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from .models import Job
from .progress_files import path_of, uses_files

REPORT_EVERY = 0.5  # seconds between two writes of the same job's progress


def write(job_id, done: int, total: int | None, stage: str) -> None:
    """Record the progress now, visible to other processes even inside an open transaction."""
    now = timezone.now()
    if uses_files():
        folder = Path(settings.JOBS_PROGRESS_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        payload = {"done": done, "total": total, "stage": stage, "at": now.isoformat()}
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(handle, "w") as file:
            json.dump(payload, file)
        os.replace(temporary, path_of(job_id))
        return

    def update():
        try:
            Job.objects.filter(pk=job_id).update(done=done, total=total, stage=stage, heartbeat_at=now)
        finally:
            connections.close_all()

    if connection.in_atomic_block:
        thread = threading.Thread(target=update, name="job-progress")
        thread.start()
        thread.join()
    else:
        Job.objects.filter(pk=job_id).update(done=done, total=total, stage=stage, heartbeat_at=now)


class Heartbeat:
    """While a job runs, a thread of its own writes its last progress again every JOBS_STALE_SECONDS / 4.

    A job busy in one long step that reports nothing (saving 100,000 rows at once, their history) is
    then never taken for one whose worker was killed: only a dead worker stops the beat.
    """

    def __init__(self, job):
        self.job = job
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.beat, name="job-heartbeat", daemon=True)

    def beat(self) -> None:
        try:
            while not self.stopped.wait(settings.JOBS_STALE_SECONDS / 4):
                write(self.job.pk, self.job.done, self.job.total, self.job.stage)
        finally:
            connections.close_all()  # this thread's own connection

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stopped.set()
        self.thread.join()


class Reporter:
    """Called as `report(done, total, stage)` by a job's work, often; writes at most every REPORT_EVERY seconds."""

    def __init__(self, job):
        self.job = job
        self.last = 0.0

    def __call__(self, done: int, total: int | None = None, stage: str | None = None) -> None:
        job = self.job
        changed_stage = stage is not None and stage != job.stage
        job.done = done
        if total is not None:
            job.total = total
        if stage is not None:
            job.stage = stage
        now = time.monotonic()
        if changed_stage or now - self.last >= REPORT_EVERY or (job.total and done >= job.total):
            self.last = now
            write(job.pk, job.done, job.total, job.stage)
