# ruff: noqa: F811 (pytest fixtures imported from tests.import_export_factories)
"""Imports off the web request: the file is stored and checked by a job, whose page staff watch and come back to.

Users met a bare 500 after 30 seconds when a 計画の構成 file of 2,000 rows was previewed in the
request. Now the request only stores the file; the worker reads, checks and writes the rows,
reporting how far it has got.
"""

import os
import re
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from measures.models import Program, ProgramProgress
from measures.resources import ProgramProgressResource
from reoffense_portal.machinery.jobs import progress
from reoffense_portal.machinery.jobs.models import INTERRUPTED, Job
from reoffense_portal.machinery.spreadsheets import files as spreadsheet_files
from reoffense_portal.machinery.spreadsheets import import_jobs
from tests.import_export_factories import (  # noqa: F401 (fixtures)
    confirm_import,
    csv_bytes,
    editor,
    kumamoto,
    preview_import,
    staff,
    submit_import,
)

pytestmark = pytest.mark.django_db

PROGRESS = "measures_programprogress"
STRUCTURE = "measures_program"
HEADER = ["団体コード", "計画名", "重点施策番号", "施策番号", "事業名", "年度", "実施状況"]
PLAN = "熊本市再犯防止推進計画"


def progress_row(name="協力雇用主の拡大", fiscal_year="令和7年度"):
    return ["431001", PLAN, "1", "1", name, fiscal_year, "実施"]


@pytest.fixture
def logged_in(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def thousand_programmes(kumamoto):
    """A plan of 1,000 programmes under one measure: a progress sheet of three years is 3,000 rows."""
    Program.objects.bulk_create(
        Program(area=kumamoto.area, measure=kumamoto.measure, name=f"事業{i:04d}", order=i + 10) for i in range(1000)
    )
    rows = [HEADER] + [progress_row(f"事業{i:04d}", f"{year}年度") for year in (2025, 2026, 2027) for i in range(1000)]
    return csv_bytes(rows)


@pytest.fixture
def every_report(monkeypatch):
    """Every progress report written at once (not every half second), and recorded as (done, total, stage)."""
    reports = []
    write = progress.write

    def recording_write(job_id, done, total, stage):
        write(job_id, done, total, stage)
        reports.append((done, total, stage))

    monkeypatch.setattr(progress, "REPORT_EVERY", 0)
    monkeypatch.setattr(progress, "write", recording_write)
    return reports


def stored_uploads():
    try:
        return default_storage.listdir(import_jobs.UPLOAD_FOLDER)[1]
    except FileNotFoundError:
        return []


def test_the_submit_stores_the_file_and_reads_no_row_whatever_its_size(logged_in, thousand_programmes, monkeypatch):
    reads = []
    build = spreadsheet_files._build_dataset
    monkeypatch.setattr(spreadsheet_files, "_build_dataset", lambda *args: reads.append(1) or build(*args))

    with CaptureQueriesContext(connection) as small:
        submit_import(logged_in, PROGRESS, csv_bytes([HEADER, progress_row()]))
    start = time.perf_counter()
    with CaptureQueriesContext(connection) as large:
        response = submit_import(logged_in, PROGRESS, thousand_programmes)
    elapsed = time.perf_counter() - start

    assert response.status_code == 302
    job = Job.objects.get(pk=response.url.split("/")[-3])
    assert response.url == reverse("admin:jobs_job_progress", args=[job.pk])
    assert (job.status, job.owner.username, job.title) == ("queued", "kumamoto-editor", "年度の進捗の取り込みのプレビュー（進捗.csv）")
    assert reads == [], "the request read rows"
    assert len(large) == len(small) <= 12
    assert elapsed < 1
    with default_storage.open(job.result["import"]["file"]) as stored:
        assert stored.read() == thousand_programmes

    from tests.job_queue import run_queued_tasks

    run_queued_tasks()
    assert len(reads) == 2, "each job read its own file once"
    page = logged_in.get(response.url).content.decode()
    assert "新規 3000件、変更 0件、変更なし 0件" in page
    assert page.count('<tr class="new">') == import_jobs.PREVIEW_ROWS
    assert "ほかに新規の行が2,000行あります（表示は最初の1,000行まで）。" in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page) and ' style="' not in page, "strict CSP: no inline code"


# Progress is written on a connection of its own (PostgreSQL), which sees committed rows only, as in production.
@pytest.mark.django_db(transaction=True)
def test_the_bar_moves_through_reading_checking_and_writing(logged_in, kumamoto, every_report, monkeypatch):
    rows = [HEADER] + [progress_row(name, f"{year}年度") for name in ("協力雇用主の拡大", "就労相談") for year in (2025, 2026)]
    seen_while_running = []
    record = progress.write

    def look_at_the_page(job_id, done, total, stage):
        record(job_id, done, total, stage)
        if (done, stage) == (2, "確認"):
            seen_while_running.append(logged_in.get(reverse("admin:jobs_job_status", args=[job_id])).json())

    monkeypatch.setattr(progress, "write", look_at_the_page)
    preview = preview_import(logged_in, PROGRESS, csv_bytes(rows))

    assert [report for report in every_report if report[2] == "読み込み"] == [(n, None, "読み込み") for n in (1, 2, 3, 4)]
    assert [report for report in every_report if report[2] == "確認"] == [(n, 4, "確認") for n in (1, 2, 3, 4)]
    [status] = seen_while_running
    assert (status["finished"], status["done"], status["total"], status["text"]) == (False, 2, 4, "確認　2 / 4（50%）")
    assert preview.context["job"].progress_text() == "確認済み　4 / 4（100%）"

    every_report.clear()
    confirm_import(logged_in, PROGRESS, preview)
    stages = [stage for _done, _total, stage in every_report]
    assert stages == ["読み込み"] * 4 + ["書き込み"] * 4 + ["記録"]
    assert every_report[-2] == (4, 4, "書き込み")


class Killed(BaseException):
    """What a worker killed mid-way amounts to for the code it ran: nothing after this line runs."""


def test_a_worker_killed_while_writing_leaves_nothing_written_and_the_job_failed_with_a_reason(
    logged_in, kumamoto, every_report, monkeypatch
):
    header = ["団体コード", "計画名", "重点施策番号", "重点施策名", "施策番号", "施策名", "事業名", "事業の概要"]
    rows = [header] + [
        ["431001", PLAN, "1", "就労・住居の確保", "1", "就労の確保", name, "新しい概要です。"]
        for name in ("協力雇用主の拡大", "就労相談")
    ]
    preview = preview_import(logged_in, STRUCTURE, csv_bytes(rows))
    assert "新規 0件、変更 2件、変更なし 0件" in preview.content.decode()
    history_before = Program.history.count()
    record = progress.write

    def kill_once_the_rows_are_written(job_id, done, total, stage):
        """Rows are saved in batches: killed after they were, before the staff log and the commit."""
        record(job_id, done, total, stage)
        if stage == "記録":
            assert Program.objects.get(pk=kumamoto.program.pk).description == "新しい概要です。", "rows were written"
            raise Killed

    monkeypatch.setattr(progress, "write", kill_once_the_rows_are_written)
    page = confirm_import(logged_in, STRUCTURE, preview)

    assert Program.objects.filter(description="新しい概要です。").count() == 0
    assert Program.history.count() == history_before
    job = page.context["job"]
    assert job.status == "running", "nobody was left to mark it"
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=10))
    page = logged_in.get(reverse("admin:jobs_job_progress", args=[job.pk])).content.decode()
    assert INTERRUPTED in page
    assert reverse("admin:measures_program_import") in page, "a way back to choosing the file"


def test_someone_elses_import_is_not_found(client, logged_in, kumamoto):
    preview = preview_import(logged_in, PROGRESS, csv_bytes([HEADER, progress_row()]))
    job = preview.context["job"]
    colleague = staff("kumamoto-colleague", kumamoto.city)
    client.force_login(colleague)

    assert client.get(reverse("admin:jobs_job_progress", args=[job.pk])).status_code == 404
    assert client.get(reverse("admin:jobs_job_status", args=[job.pk])).status_code == 404
    assert "年度の進捗の取り込み" not in client.get(reverse("admin:jobs_job_changelist")).content.decode()
    response = client.post(reverse(f"admin:{PROGRESS}_process_import"), {"preview": job.pk})
    assert response.status_code == 404
    assert not ProgramProgress.objects.filter(fiscal_year=2025).exists()
    assert Job.objects.filter(kind=import_jobs.APPLY_KIND).count() == 0


def test_a_preview_is_confirmed_only_on_its_own_models_page(logged_in, kumamoto):
    preview = preview_import(logged_in, PROGRESS, csv_bytes([HEADER, progress_row()]))
    response = logged_in.post(reverse("admin:councils_meeting_process_import"), {"preview": preview.context["job"].pk})
    assert response.status_code == 404


def test_the_import_checks_the_users_permission_again_when_it_runs(logged_in, editor, kumamoto):
    from tests.job_queue import run_queued_tasks

    preview = preview_import(logged_in, PROGRESS, csv_bytes([HEADER, progress_row()]))
    response = logged_in.post(reverse(f"admin:{PROGRESS}_process_import"), {"preview": preview.context["job"].pk})
    editor.groups.clear()
    editor.user_permissions.add(*Permission.objects.filter(codename__in=["view_programprogress"]))
    run_queued_tasks()

    page = logged_in.get(response.url)
    assert page.context["job"].status == "failed"
    assert "この取り込みを行う権限がありません。何も保存されていません。" in page.content.decode()
    assert not ProgramProgress.objects.filter(fiscal_year=2025).exists()
    assert stored_uploads() == []


def test_fields_the_confirmation_adds_reach_the_resource(logged_in, kumamoto, monkeypatch):
    given = []
    original = ProgramProgressResource.__init__

    def recording_init(self, *args, **kwargs):
        given.append(kwargs)
        original(self, *args, **kwargs)

    monkeypatch.setattr(ProgramProgressResource, "__init__", recording_init)
    preview = preview_import(logged_in, PROGRESS, csv_bytes([HEADER, progress_row()]))
    confirm_import(logged_in, PROGRESS, preview, create_new=["重点施策1", "重点施策2"], user="admin", open_data="1")

    preview_kwargs, apply_kwargs = given
    assert preview_kwargs["user"].username == apply_kwargs["user"].username == "kumamoto-editor"
    assert apply_kwargs["create_new"] == ["重点施策1", "重点施策2"]
    assert "open_data" not in apply_kwargs
    assert ProgramProgress.objects.filter(fiscal_year=2025).exists()


def test_problems_beyond_the_shown_ones_are_counted(logged_in, kumamoto, monkeypatch):
    monkeypatch.setattr(import_jobs, "PREVIEW_MESSAGES", 2)
    rows = [HEADER] + [progress_row(fiscal_year="R6年")] * 5
    page = preview_import(logged_in, PROGRESS, csv_bytes(rows)).content.decode()
    assert "取り込めない行があります（5行）" in page
    assert page.count("を年度として読めません") == 2
    assert "ほかに3件の誤りがあります（表示は最初の2件まで）。" in page


def test_files_of_previews_never_confirmed_are_removed_once_their_jobs_leave_the_list(logged_in, kumamoto, settings):
    old = default_storage.save(f"{import_jobs.UPLOAD_FOLDER}/old.csv", ContentFile(b"x"))
    recent = default_storage.save(f"{import_jobs.UPLOAD_FOLDER}/recent.csv", ContentFile(b"x"))
    days_ago = time.time() - (settings.JOBS_KEEP_DAYS + 1) * 86400
    os.utime(default_storage.path(old), (days_ago, days_ago))

    preview_import(logged_in, PROGRESS, csv_bytes([HEADER, progress_row()]))

    assert not default_storage.exists(old)
    assert default_storage.exists(recent)


def test_a_structure_file_of_1200_programmes_is_written_with_departments_history_and_the_admin_log(
    logged_in, kumamoto, editor
):
    """Rows are saved in batches: each programme still gets its 担当課・連携団体, one history row holding them,
    and the admin's log names it, also past the first 1,000 rows whose preview cells are kept."""
    from django.contrib.admin.models import ADDITION, LogEntry

    header = ["団体コード", "計画名", "重点施策番号", "重点施策名", "施策番号", "施策名", "事業名", "担当課", "連携団体"]
    rows = [header] + [
        ["431001", PLAN, "1", "就労・住居の確保", "1", "就労の確保", f"新事業{i:04d}",
         "生活安全課、経済政策課" if i % 2 else "生活安全課", "保護司会" if i % 3 == 0 else ""]
        for i in range(1200)
    ]
    preview = preview_import(logged_in, STRUCTURE, csv_bytes(rows), name="計画の構成.csv")
    assert "新規 1200件、変更 0件、変更なし 0件" in preview.content.decode()
    assert "生活安全課、経済政策課" in preview.content.decode(), "the preview shows the departments a row sets"
    confirm_import(logged_in, STRUCTURE, preview)

    last = Program.objects.get(name="新事業1199")
    assert sorted(d.name for d in last.departments.all()) == ["生活安全課", "経済政策課"]
    assert [o.name for o in Program.objects.get(name="新事業1197").partners.all()] == ["保護司会"]
    record = last.history.get()
    assert (record.history_type, record.history_user, record.history_change_reason) == (
        "+", editor, "ファイルから取り込み（計画の構成.csv）"
    )
    assert sorted(row.department.name for row in record.departments.all()) == ["生活安全課", "経済政策課"]
    entries = LogEntry.objects.filter(user=editor, action_flag=ADDITION, content_type__model="program")
    assert entries.count() == 1200
    assert entries.get(object_id=str(last.pk)).object_repr == "新事業1199"
