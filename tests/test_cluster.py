"""Several app servers behind one proxy behave as one site: two gunicorn servers with their own local
folders, one job worker, PostgreSQL and an S3 API server (moto, on loopback).

What a city meets in such a deployment: a document uploaded through one server is served by the
other; a PDF is ready soon after approval and no reader waits for it on either server; a resident's
rate limit counts on both; an import submitted on one server runs on the worker while its progress and
preview are read on the other. PostgreSQL only: SQLite is one machine's database.
"""

import csv
import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import dj_database_url
import psycopg2
import pytest
import requests

from tests.object_storage import free_port

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "cluster-pass-2026"
PLAN, MEETING, CITY = 1001, 1024, "352039"  # 山口市, from the fixtures
SERVER_URL = os.environ.get("DATABASE_URL", "")

pytestmark = pytest.mark.skipif(
    not SERVER_URL.startswith("postgres"), reason="a cluster shares a PostgreSQL server (CI's second run)"
)


def run(env, *args, timeout=300):
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def wait_until_listening(url, deadline):
    while True:
        try:
            requests.get(f"{url}/robots.txt", timeout=5)
            return
        except requests.RequestException:
            assert time.monotonic() < deadline, f"{url} did not start"
            time.sleep(0.2)


@pytest.fixture
def cluster(tmp_path, s3_server):
    config = dj_database_url.parse(SERVER_URL)
    name = f"reoffense_cluster_{os.getpid()}"
    admin = psycopg2.connect(dbname="postgres", user=config["USER"], host=config["HOST"], port=config["PORT"] or 5432,
                             password=config["PASSWORD"] or None)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    url = SERVER_URL.rsplit("/", 1)[0] + f"/{name}"
    unset = {"DEBUG", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "TASKS_BACKEND"}
    env = {key: value for key, value in os.environ.items() if key not in unset}
    env.update(
        DATABASE_URL=url, SECRET_KEY="cluster-test-secret-key-" + "x" * 30, SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0", STATIC_MANIFEST="0", WEB_CONCURRENCY="2", LOG_LEVEL="WARNING",
        ALLOWED_HOSTS="127.0.0.1", DEMO_PASSWORD=PASSWORD, **s3_server.environment(s3_server.new_bucket()),
    )
    run(env, "migrate", "-v0")
    run({**env, "DEBUG": "1"}, "setup_demo")
    processes, urls, folders = [], [], []
    for server in ("a", "b"):
        folder = tmp_path / server
        folder.mkdir()
        folders.append(folder)
        port = free_port()
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "reoffense_portal.wsgi", "-c", "gunicorn.conf.py",
             "-b", f"127.0.0.1:{port}"],
            cwd=ROOT, env={**env, "MEDIA_ROOT": str(folder / "media"), "JOBS_PROGRESS_DIR": str(folder / "jobs")},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ))
        urls.append(f"http://127.0.0.1:{port}")
    worker_folder = tmp_path / "worker"
    processes.append(subprocess.Popen(
        [sys.executable, "manage.py", "run_worker"], cwd=ROOT,
        env={**env, "MEDIA_ROOT": str(worker_folder / "media"), "JOBS_PROGRESS_DIR": str(worker_folder / "jobs")},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    ))
    deadline = time.monotonic() + 120
    for url in urls:
        wait_until_listening(url, deadline)
    yield {"urls": urls, "folders": folders, "env": env}
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(20)
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def csrf_token(session, url) -> str:
    page = session.get(url, timeout=10)
    assert page.status_code == 200, (url, page.status_code)
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def log_in(base, username) -> requests.Session:
    session = requests.Session()
    token = csrf_token(session, f"{base}/admin/login/")
    response = session.post(f"{base}/admin/login/", data={
        "csrfmiddlewaretoken": token, "username": username, "password": PASSWORD, "next": "/admin/",
    }, headers={"Referer": f"{base}/admin/login/"}, timeout=10)
    assert response.url.endswith("/admin/"), response.text[:500]
    return session


def post_form(session, base, path, data, files=None):
    token = session.cookies["csrftoken"]  # set at login; the form's own token is a masked copy of it
    return session.post(f"{base}{path}", data={"csrfmiddlewaretoken": token, **data}, files=files,
                        headers={"Referer": f"{base}{path}"}, timeout=30)


def follow_job(session, base, job) -> dict:
    """A job's status as its page's script reads it, until it ends."""
    deadline = time.monotonic() + 120
    while True:
        status = session.get(f"{base}/admin/jobs/job/{job}/status.json", timeout=10).json()
        if status["finished"]:
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.2)


def timed_get(url):
    started = time.perf_counter()
    response = requests.get(url, timeout=30)
    return response, time.perf_counter() - started


def test_two_app_servers_and_one_worker_serve_as_one_site(cluster):
    a, b = cluster["urls"]
    meeting = MEETING

    # An editor uploads a meeting material through server A and asks for approval; a publisher approves on B.
    editor = log_in(a, "yamaguchi-editor")
    pdf_bytes = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n" \
                b"trailer<</Root 1 0 R>>\n%%EOF\n"
    added = post_form(editor, a, "/admin/councils/meetingdocument/add/",
                      {"meeting": meeting, "kind": "material", "order": "9", "title": "クラスタ試験の資料"},
                      files={"file": ("cluster-material.pdf", pdf_bytes, "application/pdf")})
    assert added.status_code == 200 and "を追加しました" in added.text, added.text[:3000]
    submitted = post_form(editor, a, f"/admin/plans/plan/{PLAN}/submit/", {"comment": "資料を追加しました"})
    assert "承認を申請しました" in submitted.text
    publisher = log_in(b, "yamaguchi-publisher")
    pressed_at = time.perf_counter()
    approved = post_form(publisher, b, f"/admin/plans/plan/{PLAN}/decide/", {"decision": "approve"})
    approved_at = time.perf_counter()
    assert approved.status_code == 200 and "公開版を作成しています" in approved.text, approved.text[:3000]
    print(f"approval request: {approved_at - pressed_at:.2f} s")
    # The worker builds the version; the publisher's job page says so on either server.
    approval = re.search(r"/admin/jobs/job/([0-9a-f-]{36})/progress/", approved.url).group(1)
    assert follow_job(publisher, a, approval)["status"] == "done"
    print(f"approval to live: {time.perf_counter() - pressed_at:.1f} s")
    assert "として公開しました。" in publisher.get(f"{a}/admin/jobs/job/{approval}/progress/", timeout=10).text

    # The first PDF requests after approval: a short answer on both servers, never a wait while it is typeset.
    for server in (a, b):
        response, seconds = timed_get(f"{server}/plans/{PLAN}/summary.pdf")
        assert response.status_code in (200, 503) and seconds < 1, (server, response.status_code, seconds)
        if response.status_code == 503:
            assert "PDFを作成中です" in response.text and response.headers["Retry-After"]
    while True:
        response, seconds = timed_get(f"{b}/plans/{PLAN}/summary.pdf")
        if response.status_code == 200:
            break
        assert time.perf_counter() - approved_at < 120, "the worker did not typeset the PDF"
        time.sleep(0.5)
    print(f"approval to stored PDF: {time.perf_counter() - approved_at:.1f} s")
    assert response.content.startswith(b"%PDF-") and seconds < 1
    assert timed_get(f"{a}/plans/{PLAN}/summary.pdf")[0].content == response.content

    # The material uploaded through A is served by B, from the bucket: no server's own folder holds it.
    page = requests.get(f"{b}/meetings/{meeting}/", timeout=10).text
    document_path = re.search(r'href="(/meetings/documents/\d+/)"[^>]*>[^<]*クラスタ試験の資料', page).group(1)
    served = requests.get(f"{b}{document_path}", timeout=10)
    assert served.status_code == 200 and served.content == pdf_bytes
    assert not any(path.is_file() for folder in cluster["folders"] for path in folder.rglob("*.pdf"))

    # An import submitted on A is read and checked by the worker; B shows its progress and its preview, and
    # the confirmation on B writes the rows. The sheet is the city's programmes (exported from A) with a year
    # of progress each: the demo has no progress yet, and a sheet of headers alone is refused as empty.
    structure = post_form(editor, a, "/admin/measures/program/export/", {"resource": "0", "format": "0"})
    programmes = list(csv.DictReader(io.StringIO(structure.content.decode("utf-8-sig"))))
    assert len(programmes) > 10, structure.content[:500]
    sheet = io.StringIO()
    writer = csv.writer(sheet)
    writer.writerow(["団体コード", "計画名", "重点施策番号", "施策番号", "事業名", "年度", "実施状況", "支援件数"])
    for number, row in enumerate(programmes):
        writer.writerow([row["団体コード"], row["計画名"], row["重点施策番号"], row["施策番号"], row["事業名"],
                         "令和7年度", "実施", number])
    submitted = post_form(editor, a, "/admin/measures/programprogress/import/", {"resource": "0", "format": "0"},
                          files={"import_file": ("令和7年度の進捗.csv", sheet.getvalue().encode(), "text/csv")})
    preview = re.search(r"/admin/jobs/job/([0-9a-f-]{36})/progress/", submitted.url).group(1)
    status = follow_job(editor, b, preview)
    assert (status["status"], status["stage"]) == ("done", "確認済み"), status
    assert status["done"] == status["total"] == len(programmes)
    page = editor.get(f"{b}/admin/jobs/job/{preview}/progress/", timeout=10).text
    assert f"新規 {len(programmes)}件" in page and "取り込みを実行" in page
    confirmed = post_form(editor, b, "/admin/measures/programprogress/process_import/", {"preview": preview})
    applied = re.search(r"/admin/jobs/job/([0-9a-f-]{36})/progress/", confirmed.url).group(1)
    status = follow_job(editor, a, applied)
    assert (status["status"], status["stage"]) == ("done", "書き込み済み"), status
    assert "取り込みました" in editor.get(f"{a}/admin/jobs/job/{applied}/progress/", timeout=10).text

    # A resident's page survey: five an address per ten minutes across both servers, not five on each.
    answers = []
    for attempt in range(8):
        server = (a, b)[attempt % 2]
        resident = requests.Session()  # the page's form carries no token: its Origin says it is the portal's
        assert "csrftoken" not in resident.get(f"{server}/plans/{PLAN}/", timeout=10).cookies
        answers.append(resident.post(f"{server}/feedback/", data={
            "municipality": CITY, "plan": str(PLAN),
            "page_path": f"/plans/{PLAN}/", "page_title": "山口市の計画",
            "sufficiency": "sufficient", "clarity": "clear", "findability": "quick", "comment": f"試験の意見 {attempt}",
        }, headers={"Origin": server, "Referer": f"{server}/plans/{PLAN}/"}, allow_redirects=False, timeout=10).status_code)
    assert answers.count(302) == 5 and answers.count(429) == 3, answers
