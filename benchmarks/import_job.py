#!/usr/bin/env python
"""Imports as jobs, end to end: the submit's time, the jobs' times and the worker's peak memory.

    .venv/bin/python benchmarks/import_job.py [--sheet progress|structure] [--rows 10000 100000] [--workers 2]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_import_job .venv/bin/python benchmarks/import_job.py

Builds a throw-away database (SQLite in a temporary folder unless DATABASE_URL names one; a
PostgreSQL database of that name is created and dropped) with an editor of a city and its plan:
for --sheet progress (事業の年度ごとの進捗, the default) a plan of 10,000 programmes
(benchmarks/import_progress.py's shape); for --sheet structure (計画の構成) a plan with no
structure yet, 40 departments and 20 partners (benchmarks/import_structure.py's shape). It starts
gunicorn on 127.0.0.1 with production settings (DEBUG off, gunicorn.conf.py), and for each size of
sheet (CSV in CP932, as Excel saves it) starts a real worker (`manage.py run_worker`) and, over HTTP
as the editor's browser would:

- submit: posts the file on the import page (「プレビューを表示」) and times the answer, a redirect
  to the preview job's page;
- preview: polls the job's status.json (as the page's script does) until the job is done, and
  prints its time, the seconds of each stage, and the slowest status answer while it ran;
- apply: presses 「取り込みを実行」 (timed), then polls the import job the same way;
- the worker's peak resident memory (VmHWM from /proc), then stops the worker.

The sizes run one after another on the same plan: the second sheet's first 10,000 rows are the
first sheet's (unchanged, nothing written for them). A sheet of 100,000 rows is about 12 MB, more than
the default IMPORT_MAX_MB of 10: the run sets IMPORT_MAX_MB=20. Goals: every submit ≤ 1 s, the
status answers ≤ 1 s while a job runs, 100,000 rows previewed and imported within 5 minutes each,
the worker's peak memory ≤ 300 MB.
"""

import argparse
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HOST = "127.0.0.1"
PASSWORD = "bench-password-123"
YEARS = 10

from benchmarks import import_progress, import_structure  # noqa: E402
from benchmarks.national import database_config, recreate  # noqa: E402
from benchmarks.plan_page import environment, free_port, start_django, start_gunicorn  # noqa: E402

# --- HTTP as a browser --------------------------------------------------------------------------

class Browser:
    """One logged-in editor: its cookies, GET and POST over loopback, each answer timed."""

    def __init__(self, port: int, session_key: str):
        self.port = port
        self.cookies = {"sessionid": session_key}

    def request(self, method: str, url: str, body: bytes = b"", content_type: str = "") -> tuple[int, dict, bytes, float]:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=600)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if content_type:
            headers["Content-Type"] = content_type
        started = time.perf_counter()
        try:
            connection.request(method, url, body=body or None, headers=headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        elapsed = time.perf_counter() - started
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, dict(response.getheaders()), content, elapsed

    def get(self, url: str):
        return self.request("GET", url)

    def post(self, url: str, fields: dict, files: dict | None = None):
        """A multipart form, as a browser posts it, with the CSRF token of the last page."""
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in {"csrfmiddlewaretoken": self.cookies["csrftoken"], **fields}.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (file_name, data) in (files or {}).items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{file_name}"\r\n'
                "Content-Type: text/csv\r\n\r\n".encode() + data + b"\r\n"
            )
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request("POST", url, b"".join(parts), f"multipart/form-data; boundary={boundary}")


def job_id_of(location: str) -> str:
    return re.search(r"/admin/jobs/job/([0-9a-f-]{36})/progress/", urlsplit(location).path).group(1)


def watch(browser: Browser, job_id: str, every: float = 0.25) -> dict:
    """Poll the job's status.json until it ends: the stages in order with their seconds, the slowest answer."""
    stages, slowest, errors = [], 0.0, 0
    started = time.perf_counter()
    while True:
        status, _headers, content, elapsed = browser.get(f"/admin/jobs/job/{job_id}/status.json")
        slowest = max(slowest, elapsed)
        if status != 200:
            errors += 1
        else:
            answer = json.loads(content)
            now = time.perf_counter() - started
            if not stages or stages[-1][0] != answer["stage"]:
                stages.append([answer["stage"], now, now])
            stages[-1][2] = now
            if answer["finished"]:
                return {"stages": stages, "slowest": slowest, "errors": errors, "status": answer["status_label"]}
        time.sleep(every)


def times(job) -> str:
    """Seconds the job waited in the queue (the worker polls it every second) and ran."""
    waited = (job.started_at - job.created_at).total_seconds()
    ran = (job.finished_at - job.started_at).total_seconds()
    return f"{ran:7.1f} s (waited {waited:.1f} s)"


def stage_text(stages) -> str:
    durations = []
    for index, (stage, first_seen, _last_seen) in enumerate(stages):
        end = stages[index + 1][1] if index + 1 < len(stages) else stages[-1][2]
        durations.append(f"{stage or '待機'} {end - first_seen:.1f} s")
    return "、".join(durations)


# --- the run -------------------------------------------------------------------------------------

def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def session_for(user) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


SHEETS = {  # the admin pages of each sheet, and its file's name
    "progress": ("/admin/measures/programprogress/", "進捗.csv"),
    "structure": ("/admin/measures/program/", "計画の構成.csv"),
}
MAX_SECONDS = 300
MAX_MB = 300


def run_size(port: int, env: dict, browser: Browser, sheet: str, keys, rows: int) -> None:
    from reoffense_portal.machinery.jobs.models import Job

    admin_url, file_name = SHEETS[sheet]
    if sheet == "progress":
        data = import_progress.progress_sheet(keys, YEARS, rows)
    else:
        data = import_structure.structure_sheet(rows)
    worker = subprocess.Popen([sys.executable, "manage.py", "run_worker"], cwd=ROOT, env=env)
    try:
        status, _h, _c, _t = browser.get(f"{admin_url}import/")
        assert status == 200, status
        status, headers, _content, submit = browser.post(
            f"{admin_url}import/", {"resource": "0", "format": "0"},
            {"import_file": (file_name, data)},
        )
        assert status == 302, (status, _content[:2000])
        preview_id = job_id_of(headers["Location"])
        preview = watch(browser, preview_id)
        preview_job = Job.objects.get(pk=preview_id)
        print(f"\n{rows:,} rows, {len(data) / 1e6:.1f} MB CSV (CP932)")
        print(f"  submit            {submit * 1000:7.0f} ms   → {preview_job.title}")
        print(f"  preview job       {times(preview_job)}    "
              f"{preview['status']}: {(preview_job.result or {}).get('summary') or preview_job.message}")
        print(f"    stages: {stage_text(preview['stages'])}")
        print(f"    status.json while it ran: slowest {preview['slowest'] * 1000:.0f} ms, {preview['errors']} errors")
        if not (preview_job.result or {}).get("ready"):
            print(f"    not ready: {(preview_job.result or {}).get('messages', [])[:3]}")
            return
        status, _h, _c, _t = browser.get(headers["Location"])
        status, headers, _content, confirm = browser.post(
            f"{admin_url}process_import/", {"preview": preview_id, "confirm": "取り込みを実行"}
        )
        assert status == 302, status
        apply_id = job_id_of(headers["Location"])
        applied = watch(browser, apply_id)
        apply_job = Job.objects.get(pk=apply_id)
        print(f"  confirm           {confirm * 1000:7.0f} ms")
        print(f"  import job        {times(apply_job)}    "
              f"{applied['status']}: {(apply_job.result or {}).get('summary') or apply_job.message}")
        print(f"    stages: {stage_text(applied['stages'])}")
        print(f"    status.json while it ran: slowest {applied['slowest'] * 1000:.0f} ms, {applied['errors']} errors")
        peak = peak_memory_mb(worker.pid)
        ran = [(job.finished_at - job.started_at).total_seconds() for job in (preview_job, apply_job)]
        print(f"  worker peak memory (VmHWM) {peak:.0f} MB")
        print(f"  goals: each job ≤ {MAX_SECONDS} s {'met' if max(ran) <= MAX_SECONDS else 'NOT met'}, "
              f"submit ≤ 1 s {'met' if submit <= 1 else 'NOT met'}, "
              f"≤ {MAX_MB} MB {'met' if peak <= MAX_MB else 'NOT met'}")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheet", choices=sorted(SHEETS), default="progress")
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="import-job-bench-"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir}/bench.sqlite3"
    env = {
        **environment(database_url),
        "SECRET_KEY": "bench-" + uuid.uuid4().hex * 2,
        "MEDIA_ROOT": str(workdir / "media"),
        "JOBS_PROGRESS_DIR": str(workdir / "jobs"),
        "IMPORT_MAX_MB": "20",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
    }
    postgres = database_url.startswith("postgres")
    if postgres:
        config = database_config()
        recreate(config)
    start_django(env)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if args.sheet == "progress":
        user, keys = import_progress.build(-(-max(args.rows) // YEARS))
    else:
        user, keys = import_structure.build(), []
    print(f"{args.sheet} sheet; database: {'PostgreSQL' if postgres else 'SQLite'}; plan of {len(keys):,} programmes; "
          f"gunicorn with {args.workers} workers; load average {os.getloadavg()[0]:.1f}")
    from django.db import connections

    browser_session = session_for(user)
    connections.close_all()

    port = free_port()
    server = start_gunicorn("reoffense_portal.wsgi", port, env, workdir / "access.log", "--workers", str(args.workers))
    try:
        browser = Browser(port, browser_session)
        for _ in range(100):
            try:
                if browser.get("/admin/")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("gunicorn did not answer")
        for _ in range(4 * args.workers):  # every gunicorn worker past its first, slow request
            browser.get(f"{SHEETS[args.sheet][0]}import/")
        for rows in args.rows:
            run_size(port, env, browser, args.sheet, keys, rows)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        if postgres:
            connections.close_all()
            recreate(config, drop_only=True)
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
