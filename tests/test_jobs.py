"""Long work as jobs: staff start it, watch its progress, and read how it ended, in Japanese."""

from datetime import timedelta

import pytest
from django.utils import timezone

from reoffense_portal.machinery.jobs import progress
from reoffense_portal.machinery.jobs.models import INTERRUPTED, Job
from reoffense_portal.machinery.jobs.queue import UNEXPECTED, start_job
from tests import sample_jobs
from tests.staff_world import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    user = make_user("job-editor", is_staff=True)
    client.force_login(user)
    return user


def test_a_started_job_waits_in_the_queue_until_the_worker_runs_it(client, editor, run_jobs):
    job = start_job(sample_jobs.count_rows, 3, kind="sample", title="行の確認", owner=editor)
    page = client.get(f"/admin/jobs/job/{job.pk}/progress/")
    assert "順番を待っています" in page.text
    assert 'src="/static/js/job-progress.js"' in page.text

    assert run_jobs() == 1
    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.result) == ("done", 3, 3, {"rows": 3})
    page = client.get(f"/admin/jobs/job/{job.pk}/progress/")
    assert "行の確認が終わりました。" in page.text
    assert "job-progress.js" not in page.text


def test_a_refused_job_says_why_in_japanese(client, editor, run_jobs):
    job = start_job(sample_jobs.refuse, kind="sample", title="取組・事業の取り込み", owner=editor)
    run_jobs()
    page = client.get(f"/admin/jobs/job/{job.pk}/progress/")
    assert "取組・事業の取り込みは失敗しました。" in page.text
    assert "3行目の「年度」を読み取れません。何も保存されていません。" in page.text


def test_a_job_that_crashes_fails_with_a_general_japanese_reason(client, editor, run_jobs):
    job = start_job(sample_jobs.crash, kind="sample", title="行の確認", owner=editor)
    run_jobs()
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.message == UNEXPECTED
    assert "a bug" not in client.get(f"/admin/jobs/job/{job.pk}/progress/").text


# Progress is written on a connection of its own (PostgreSQL), which sees committed rows only, as in production.
@pytest.mark.django_db(transaction=True)
def test_a_running_job_shows_what_its_worker_last_reported(client, editor):
    job = start_job(sample_jobs.count_rows, 2000, kind="sample", title="行の確認", owner=editor)
    job.begin()
    progress.write(job.pk, 1200, 2000, "確認中")
    status = client.get(f"/admin/jobs/job/{job.pk}/status.json").json()
    assert status["finished"] is False
    assert (status["done"], status["total"], status["text"]) == (1200, 2000, "確認中　1,200 / 2,000（60%）")
    page = client.get(f"/admin/jobs/job/{job.pk}/progress/")
    assert 'max="2000" value="1200"' in page.text


def test_a_job_whose_worker_was_killed_is_marked_failed_with_a_reason(client, editor):
    job = start_job(sample_jobs.count_rows, 10, kind="sample", title="行の確認", owner=editor)
    job.begin()
    Job.objects.filter(pk=job.pk).update(
        started_at=timezone.now() - timedelta(minutes=10), heartbeat_at=timezone.now() - timedelta(minutes=10)
    )
    page = client.get(f"/admin/jobs/job/{job.pk}/progress/")
    assert INTERRUPTED in page.text
    job.refresh_from_db()
    assert job.status == "failed"


def test_staff_see_only_their_own_jobs(client, editor):
    other = make_user("other-editor", is_staff=True)
    own = start_job(sample_jobs.count_rows, 1, kind="sample", title="自分の取り込み", owner=editor)
    theirs = start_job(sample_jobs.count_rows, 1, kind="sample", title="他人の取り込み", owner=other)
    listing = client.get("/admin/jobs/job/")
    assert "自分の取り込み" in listing.text
    assert "他人の取り込み" not in listing.text
    assert client.get(f"/admin/jobs/job/{theirs.pk}/progress/").status_code == 404
    assert client.get(f"/admin/jobs/job/{own.pk}/status.json").status_code == 200


# Progress is written on a connection of its own (PostgreSQL), which sees committed rows only, as in production.
@pytest.mark.django_db(transaction=True)
def test_watching_a_running_job_writes_nothing_to_the_database(client, editor):
    """On SQLite an import holds the one writer for its whole transaction: the bar's polls must not wait for it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    job = start_job(sample_jobs.count_rows, 2000, kind="sample", title="行の確認", owner=editor)
    job.begin()
    progress.write(job.pk, 1200, 2000, "確認中")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/admin/jobs/job/{job.pk}/progress/").status_code == 200
        assert client.get(f"/admin/jobs/job/{job.pk}/status.json").json()["done"] == 1200
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []


def test_a_job_busy_in_one_long_silent_step_keeps_its_heartbeat(client, editor, run_jobs, settings, monkeypatch):
    """Saving 100,000 rows at once reports nothing for a while: the job must not be taken for a killed one."""
    import threading

    settings.JOBS_STALE_SECONDS = 0.2
    beats = []
    write = progress.write

    def heard(job_id, done, total, stage):
        write(job_id, done, total, stage)
        if threading.current_thread().name == "job-heartbeat":
            beats.append((done, total, stage))
            sample_jobs.HEARTBEAT_HEARD.set()

    monkeypatch.setattr(progress, "write", heard)
    sample_jobs.HEARTBEAT_HEARD.clear()
    job = start_job(sample_jobs.long_quiet_step, kind="sample", title="行の保存", owner=editor)
    run_jobs()
    job.refresh_from_db()
    assert (job.status, job.result) == ("done", {"quiet": True})
    assert beats[0] == (1, 2, "保存")
