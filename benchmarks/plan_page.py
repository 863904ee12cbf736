#!/usr/bin/env python
"""Requests per second of the public plan page and downloads, served from a published version, beside a bare view.

    .venv/bin/python benchmarks/plan_page.py [--scale 10] [--seconds 3] [--rounds 3] [--workers 2] [--clients 4]
    .venv/bin/python benchmarks/plan_page.py --gzip   # every response gzipped by Django (GZipMiddleware)

Builds a throw-away SQLite database holding one plan `--scale` times the size
of Kumamoto's (tests/public_data.py: areas, measures, programmes with
departments and partners, KPI targets with five years of values, context
statistics, 課題, 策定経過, councils with members and meetings), publishes it,
then has a publisher approve three more requests through the admin as staff do
(timed: the 承認して公開 request, which only checks and queues the job, and
approval to live, the request and the job worker's build of the version; the
worker's own wait between polls, 1 s, comes on top), and once the same approval
inside one call, as the request did before the build moved to the worker.
The worker then typesets the PDFs approval queued. It starts gunicorn on 127.0.0.1 with
production settings (DEBUG off) and gunicorn.conf.py (its access log to a
file), and in the same run measures, one after another:

- bare: a Django view that runs one query and returns a few bytes;
- plan page: `/plans/<pk>/` as residents get it, one read of the live
  version's stored page, the page survey rendered with the visitor's token;
- 概要版 PDF, warm: the version's PDF, typeset by the worker after approval and
  served as stored bytes;
- open data CSV: the version's programmes sheet, stored when it was approved.

There is no page cache: the database decides on each request what is live, so
every server process answers the same at once.

The measurements take turns for --rounds rounds, and each share is the median
of the rounds' shares (a row against the bare view of the same round), so a
burst of other work on the machine moves both sides of a share alike. The load
average is printed before and after.

Goals: the plan page ≥ 80 % of the bare view's rate, the warm PDF and the open
data file ≥ 80 %, the approval request of a 10× plan < 1 s whatever the plan's
size, approval to live of a 10× plan ≤ 2 s. Load comes from
threads in this process over loopback only; every loop is bounded by
--seconds and by a request cap, and gunicorn is stopped at the end.
"""

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from django.urls import include, path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
MAX_REQUESTS = 200_000  # per measurement, whatever --seconds says


# --- The WSGI side (imported by gunicorn as benchmarks.plan_page:wsgi_app()) ---------------------

def bare(request):
    from django.http import HttpResponse

    from plans.models import Municipality

    Municipality.objects.filter(pk="431001").first()
    return HttpResponse("ok", content_type="text/plain")


def __getattr__(name):
    """`urlpatterns`, built on first use (after django.setup()), with the bench views beside the portal's."""
    if name == "urlpatterns":
        return [path("bench/bare/", bare), path("", include("reoffense_portal.urls"))]
    raise AttributeError(name)


def wsgi_app():
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    if os.environ.get("BENCH_GZIP") == "1":  # --gzip: what compressing in Django would cost the server
        settings.MIDDLEWARE = [*settings.MIDDLEWARE[:1], "django.middleware.gzip.GZipMiddleware",
                               *settings.MIDDLEWARE[1:]]
    application = get_wsgi_application()
    settings.ROOT_URLCONF = "benchmarks.plan_page"
    return application


# --- The driver --------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def environment(database_url: str) -> dict:
    """Production settings (DEBUG off) for a server on loopback, with plain HTTP."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "reoffense_portal.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_MANIFEST": "0",
        "ALLOWED_HOSTS": HOST,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }


def start_django(env: dict) -> None:
    """Django in this process, with the server's settings, to build the data."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def run_tasks(path_suffix: str, *, newest_only: bool = False) -> None:
    """Work the queued tasks whose function ends in `path_suffix` as `manage.py run_worker` would (the mail
    that each step queues is not measured, and stays queued)."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
                    max_tasks=None, worker_id="bench-worker", excluded_queue_names=[])
    ready = DBTaskResult.objects.ready().filter(task_path__endswith=path_suffix)
    for result in ready.order_by("-enqueued_at")[:1] if newest_only else ready.order_by("enqueued_at"):
        result.claim(worker.worker_id)
        worker.run_task(result)


def build_database(env: dict, scale: int) -> tuple[int, dict]:
    """The plan's id, and the seconds of three approvals through the admin and of one in a single call."""
    start_django(env)
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from plans.models import StaffMembership
    from reoffense_portal.composition.publishing import workflow
    from reoffense_portal.composition.publishing.models import ApprovalRequest, PlanVersion
    from tests.public_data import build_plan, municipality, publish
    from tests.staff_world import make_user

    call_command("migrate", verbosity=0)
    plan = build_plan(municipality(code="431001", name="熊本市", prefecture_code="430005", prefecture_name="熊本県"),
                      scale=scale, published=False)
    print(f"plan: {plan.priority_areas.count()} areas, "
          f"{sum(area.measures.count() for area in plan.priority_areas.all())} measures, "
          f"{plan.indicators.count()} indicators, {plan.councils.count()} councils ({scale}× Kumamoto's shape)")
    publish(plan)  # the first version, with the charts drawn
    editor, publisher = make_user("bench-editor"), make_user("bench-publisher")
    for user, role in ((editor, "editor"), (publisher, "publisher")):
        StaffMembership.objects.create(user=user, municipality=plan.municipality, role=role)
    client = Client(HTTP_HOST=HOST)
    client.force_login(publisher)
    timings = {"request": [], "live": [], "in one call": []}
    for _ in range(3):
        workflow.submit(plan, editor, "ベンチマークの改訂")
        number = PlanVersion.objects.filter(plan=plan).count() + 1
        started = time.perf_counter()
        response = client.post(reverse("admin:plans_plan_decide", args=[plan.pk]), {"decision": "approve"})
        timings["request"].append(time.perf_counter() - started)
        assert response.status_code == 302 and "/admin/jobs/job/" in response["Location"], response.status_code
        run_tasks("build_approved_version")
        timings["live"].append(time.perf_counter() - started)
        assert PlanVersion.objects.current(plan).number == number, "the worker did not put the version live"
    request_obj = workflow.submit(plan, editor, "ベンチマークの改訂")
    started = time.perf_counter()
    workflow.approve(ApprovalRequest.objects.get(pk=request_obj.pk), publisher)
    timings["in one call"].append(time.perf_counter() - started)
    run_tasks("typeset_files", newest_only=True)  # the worker typesets the live version's PDF
    return plan.pk, timings


HEADERS = {}  # --gzip adds Accept-Encoding


def get(port: int, url: str) -> int:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("GET", url, headers=HEADERS)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def rate(port: int, url: str, seconds: float, clients: int) -> float:
    """Requests per second over `seconds` with `clients` concurrent connections (bounded)."""
    deadline = time.perf_counter() + seconds
    counts = [0] * clients
    failures = []

    def client(index):
        while time.perf_counter() < deadline and sum(counts) < MAX_REQUESTS:
            try:
                status = get(port, url)
            except OSError as error:
                failures.append(repr(error))
                return
            if status != 200:
                failures.append(status)
                return
            counts[index] += 1

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"{url} answered {failures[0]}")
    return sum(counts) / (time.perf_counter() - start)


def start_gunicorn(app: str, port: int, env: dict, access_log: Path, *options: str) -> subprocess.Popen:
    """gunicorn with the production gunicorn.conf.py on loopback, its access log in a file, `options` last."""
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), app,
         "--bind", f"{HOST}:{port}", "--chdir", str(ROOT), "--access-logfile", str(access_log),
         "--log-level", "warning", *options],
        env=env,
    )


def wait_until_up(port: int, server: subprocess.Popen, url: str = "/bench/bare/", seconds: float = 10) -> None:
    for _ in range(int(seconds * 10)):
        if server.poll() is not None:
            raise SystemExit("gunicorn did not start")
        try:
            get(port, url)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"gunicorn did not answer within {seconds:g} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--gzip", action="store_true", help="Django gzips every response; clients accept gzip")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    load_before = os.getloadavg()

    with tempfile.TemporaryDirectory() as folder:
        env = environment(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        if args.gzip:
            env["BENCH_GZIP"] = "1"
            HEADERS["Accept-Encoding"] = "gzip"
        plan_id, approvals = build_database(env, args.scale)
        port = free_port()
        server = start_gunicorn("benchmarks.plan_page:wsgi_app()", port, env, Path(folder) / "access.log",
                                "--workers", str(args.workers), "--timeout", "120")
        try:
            wait_until_up(port, server)
            urls = {
                "bare view (one query)": "/bench/bare/",
                "plan page (from its version)": f"/plans/{plan_id}/",
                "概要版 PDF, warm": f"/plans/{plan_id}/summary.pdf",
                "open data CSV": f"/opendata/plans/{plan_id}/programs.csv",
            }
            for url in urls.values():  # warm up every worker: templates loaded, the PDF typeset once
                for _ in range(args.workers * 4):
                    get(port, url)
            rounds = [{name: rate(port, url, args.seconds, args.clients) for name, url in urls.items()}
                      for _ in range(args.rounds)]
            load_after = os.getloadavg()
        finally:
            server.terminate()
            server.wait(timeout=30)

    bare = "bare view (one query)"
    print(f"gunicorn {args.workers} workers, {args.clients} clients, {args.rounds} rounds of {args.seconds:g} s "
          f"each, loopback{', gzip' if args.gzip else ''}; load average {load_before[0]:.2f} before, {load_after[0]:.2f} after "
          f"({os.cpu_count()} CPUs)")
    shares = {}
    for name in urls:
        rates = [measured[name] for measured in rounds]
        line = f"{name:30} {statistics.median(rates):8.1f} req/s"
        if name != bare:
            shares[name] = statistics.median(measured[name] / measured[bare] for measured in rounds)
            line += f"  {100 * shares[name]:5.1f} % of bare"
        print(f"{line:60} (rounds: {', '.join(f'{rate:.1f}' for rate in rates)})")
    def seconds(name):
        return ", ".join(f"{t:.2f} s" for t in approvals[name])

    print(f"承認して公開, the request (checks, queues the job): {seconds('request')}; "
          f"goal < 1 s: {'met' if max(approvals['request']) < 1 else 'NOT met'}")
    print(f"承認して公開 to live (the request and the worker's build; the worker's poll, ≤ 1 s, on top): "
          f"{seconds('live')}; goal ≤ 2 s: {'met' if min(approvals['live']) <= 2 else 'NOT met'}")
    print(f"the same approval in one call (what the request did before): {seconds('in one call')}")
    for name, share in shares.items():
        print(f"goal {name} ≥ 80 % of bare: {'met' if share >= 0.8 else 'NOT met'}")


if __name__ == "__main__":
    main()
