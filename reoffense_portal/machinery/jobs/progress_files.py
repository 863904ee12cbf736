"""On SQLite, a running job's progress is a small file per job in JOBS_PROGRESS_DIR (jobs/progress.py says why).

Read by the job itself (models.Job.read_progress) and written by its worker (progress.write): kept
apart from both so neither imports the other.
"""

import json
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone


def uses_files() -> bool:
    return connection.vendor == "sqlite"


def path_of(job_id) -> Path:
    return Path(settings.JOBS_PROGRESS_DIR) / f"{job_id}.json"


def read(job) -> None:
    """Bring a running job's done/total/stage/heartbeat up to what its worker last reported."""
    if not uses_files():
        return
    try:
        payload = json.loads(path_of(job.pk).read_text())
    except (OSError, ValueError):
        return
    job.done, job.total, job.stage = payload["done"], payload["total"], payload["stage"]
    job.heartbeat_at = max(filter(None, [job.heartbeat_at, timezone.datetime.fromisoformat(payload["at"])]))


def forget(job_id) -> None:
    if uses_files():
        path_of(job_id).unlink(missing_ok=True)
