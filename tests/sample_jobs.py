"""Jobs used by tests/test_jobs.py: a task must be importable by its module path."""

import threading

from reoffense_portal.machinery.jobs.queue import JobError, job_task


@job_task
def count_rows(job, total: int):
    for done in range(1, total + 1):
        job.report(done, total, "確認中")
    return {"rows": total}


@job_task
def refuse(job):
    raise JobError("3行目の「年度」を読み取れません。何も保存されていません。")


@job_task
def crash(job):
    raise RuntimeError("a bug")


HEARTBEAT_HEARD = threading.Event()


@job_task
def long_quiet_step(job):
    """Reports once, then works without reporting until the job's heartbeat has written (or 5 s)."""
    job.report(1, 2, "保存")
    if not HEARTBEAT_HEARD.wait(5):
        raise JobError("心拍がありませんでした。")
    return {"quiet": True}
