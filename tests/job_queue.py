"""Running the database queue's waiting tasks inside a test, as the worker would.

`manage.py run_worker --batch` closes the database connection between tasks, which would end a
test's transaction; this runs the same tasks with the worker's own `run_task`, one by one.
"""

from django.http import HttpResponse
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult


def run_queued_tasks(limit: int = 100) -> int:
    """Run every waiting task (and those they queue), oldest first; returns how many ran."""
    worker = Worker(
        queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
        max_tasks=None, worker_id="test-worker", excluded_queue_names=[],
    )
    ran = 0
    while ran < limit:
        result = DBTaskResult.objects.ready().order_by("enqueued_at").first()
        if result is None:
            return ran
        result.claim(worker.worker_id)
        worker.run_task(result)
        ran += 1
    raise AssertionError(f"more than {limit} tasks were queued: does a task queue itself again?")


def staff_pdf(client, url: str):
    """What a member of staff gets by following a PDF link of the admin: the job's page, then its file.

    Returns the download's response; the job's page must have said the PDF is ready.
    """
    started = client.get(url)
    assert started.status_code == 302, started.status_code
    job_page = started["Location"]
    assert "/admin/jobs/job/" in job_page
    run_queued_tasks()
    page = client.get(job_page)
    assert "PDFができました。" in page.text, page.text
    download = client.get(job_page.replace("/progress/", "/download/"))
    response = HttpResponse(download.getvalue(), status=download.status_code)  # read whole, like a browser
    for header, value in download.items():
        response[header] = value
    return response
