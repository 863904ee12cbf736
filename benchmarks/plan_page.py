#!/usr/bin/env python
"""Requests per second of the public plan page and downloads, served from a published version, beside a bare view.

    .venv/bin/python benchmarks/plan_page.py [--scale 10] [--seconds 2] [--rounds 5] [--workers 2] [--clients 4]
    .venv/bin/python benchmarks/plan_page.py --wrk    # the load from wrk (apt install wrk), not Python threads

Builds a throw-away SQLite database holding one plan `--scale` times the size
of Kumamoto's (tests/public_data.py: areas, measures, programmes with
departments and partners, KPI targets with five years of values, context
statistics, 課題, 策定経過, councils with members and meetings), publishes it,
then has a publisher approve --approvals more requests through the admin as staff do
(timed: the 承認して公開 request, which only checks and queues the job, and
approval to live: from the press to the version being live, the request and the
job worker's build; the worker's own wait between polls, 1 s, comes on top), and
once the same approval inside one call, as the request did before the build moved
to the worker. The worker then typesets the PDFs approval queued. It adds the
nation's 1,788 municipalities, each with a live version (bulk-created rows copying
the plan's, which is all that 策定状況 reads), for /prefectures/status.json.

It starts gunicorn on 127.0.0.1 with production settings (DEBUG off) and
gunicorn.conf.py (its access log to a file), twice: with CONN_MAX_AGE=0 (one
database connection per request, the default) and with CONN_MAX_AGE=60 (each
worker keeps its connection: what the README recommends for production). Each
time, for --rounds rounds, it measures in turn (A B A B …) the bare view and
one of the others:

- bare: a Django view that runs one query and returns a few bytes;
- plan page: `/plans/<pk>/` as residents get it, one indexed read of the live
  version's stored page, sent as it is (no render, no cookie), gzipped as
  every browser asks (Accept-Encoding); once more uncompressed, as curl asks;
- 概要版 PDF, open data CSV and JSON: the version's files, typeset or written at
  approval, read once from the file storage and then sent from each server
  process's memory (CSV and JSON gzipped at approval).

Every request but the uncompressed page's carries a browser's Accept-Encoding.
On a machine of two or more CPUs, gunicorn runs on all but the last and the
clients on the last (--shared-cpus: everything on all of them): a client reading
a 366 KB PDF on the server's CPUs would count its own work as the server's.

A share is the median over the rounds of a row's rate divided by the bare view's
measured just before it, so a burst of other work on the machine moves both sides
of a share alike; the goal is judged on that median, never on the best round.
status.json is timed with one client, every page of it, --rounds × 5 requests.
The load average is printed before and after.

Goals: the plan page, the PDF, the CSV and the JSON ≥ 100 % of the bare view with
CONN_MAX_AGE=60 and ≥ 80 % with CONN_MAX_AGE=0; the approval request of a 10× plan
< 1 s and approval to live ≤ 2 s (medians of --approvals runs); status.json ≤ 150 ms
and ≤ 200 KB per request (its slowest page's median). Load comes from threads in
this process (or wrk) over loopback only; every loop is bounded by --seconds and by a
request cap, and gunicorn is stopped at the end.
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
        "PDF_RENDER_TIMEOUT": "120",  # a shared, busy machine: the 10× 概要版 is typeset once, before measuring
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


def build_database(env: dict, scale: int, approvals: int) -> tuple[int, dict]:
    """The plan's id, and the seconds of `approvals` approvals through the admin and of one in a single call."""
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
    for _ in range(approvals):
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
    add_the_nation(plan)
    return plan.pk, timings


NATION = 1788  # municipalities with a plan, as benchmarks/national.py has them


def add_the_nation(plan) -> None:
    """The 47 prefectures and 1,788 municipalities, each with a live version: bulk-created rows that copy the
    plan's live version, which is all /prefectures/status.json reads of them."""
    import datetime

    from django.core.management import call_command
    from django.utils import timezone

    from plans.models import Municipality, Plan
    from reoffense_portal.composition.publishing.models import PlanVersion

    call_command("loaddata", "prefectures", verbosity=0)
    prefectures = list(Municipality.objects.filter(kind=Municipality.Kind.PREFECTURE).order_by("code"))
    cities = [
        Municipality(code=f"{prefectures[n % 47].code[:2]}{n // 47 + 1:03d}9", name=f"試験{n}市",
                     kind=Municipality.Kind.CITY, prefecture=prefectures[n % 47])
        for n in range(NATION)
    ]
    taken = set(Municipality.objects.filter(pk__in=[city.code for city in cities]).values_list("code", flat=True))
    assert not taken, taken
    Municipality.objects.bulk_create(cities)
    live = PlanVersion.objects.current(plan)
    since = timezone.now() - datetime.timedelta(days=1)
    plans = Plan.objects.bulk_create(  # each city its own plan, as in life (and for the planner's choices)
        Plan(municipality=city, title=f"{city.name}再犯防止推進計画", period_start=plan.period_start,
             period_end=plan.period_end)
        for city in cities
    )
    PlanVersion.objects.bulk_create(
        PlanVersion(plan=city_plan, municipality=city_plan.municipality, number=1, title=city_plan.title,
                    period_start=live.period_start, period_end=live.period_end, approved_at=since, live_from=since,
                    card=live.card, rows={})
        for city_plan in plans
    )


BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd"}  # what Chrome, Firefox and Safari send
WRK = False  # --wrk: load from wrk instead of this process's threads


def get(port: int, url: str, headers: dict | None = None) -> int:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("GET", url, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def rate(port: int, url: str, seconds: float, clients: int, headers: dict | None = None) -> float:
    """Requests per second over `seconds` with `clients` concurrent connections (bounded)."""
    if WRK:
        return wrk_rate(port, url, seconds, clients, headers or {})
    deadline = time.perf_counter() + seconds
    counts = [0] * clients
    failures = []

    def client(index):
        while time.perf_counter() < deadline and sum(counts) < MAX_REQUESTS:
            try:
                status = get(port, url, headers)
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


def wrk_rate(port: int, url: str, seconds: float, clients: int, headers: dict) -> float:
    """The same with wrk (Debian's package), a client in C: reading a 270 KB page in Python threads takes
    CPU from the server's two cores, which the bare view's few bytes do not."""
    options = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
    result = subprocess.run(["wrk", "-t1", f"-c{clients}", f"-d{max(1, round(seconds))}s", *options,
                             f"http://{HOST}:{port}{url}"], capture_output=True, text=True, check=True)
    if "Non-2xx" in result.stdout or "Socket errors" in result.stdout:
        raise SystemExit(f"{url}: {result.stdout}")
    return float(next(line.split()[1] for line in result.stdout.splitlines() if line.startswith("Requests/sec")))


def split_cpus(shared: bool) -> tuple[set, set] | None:
    """The server's CPUs and the clients': the last CPU for the clients, so that reading a 366 KB PDF in the
    client is not counted as the server's work: residents' browsers run elsewhere."""
    cpus = sorted(os.sched_getaffinity(0))
    if shared or len(cpus) < 2:
        return None
    return set(cpus[:-1]), {cpus[-1]}


SERVER_CPUS: set | None = None  # set by main() from split_cpus()


def start_gunicorn(app: str, port: int, env: dict, access_log: Path, *options: str) -> subprocess.Popen:
    """gunicorn with the production gunicorn.conf.py on loopback, its access log in a file, `options` last."""
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), app,
         "--bind", f"{HOST}:{port}", "--chdir", str(ROOT), "--access-logfile", str(access_log),
         "--log-level", "warning", *options],
        env=env, preexec_fn=(lambda: os.sched_setaffinity(0, SERVER_CPUS)) if SERVER_CPUS else None,
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


def shares(port: int, targets: dict, args) -> tuple[dict, dict]:
    """Per target, the rates and the ratios to the bare view measured just before it, round after round."""
    rates = {name: [] for name in ["bare view (one query)", *targets]}
    ratios = {name: [] for name in targets}
    for _ in range(args.rounds):
        for name, (url, headers) in targets.items():  # A B A B …: the bare view, then one of the others
            bare_rate = rate(port, "/bench/bare/", args.seconds, args.clients, headers)
            target_rate = rate(port, url, args.seconds, args.clients, headers)
            rates["bare view (one query)"].append(bare_rate)
            rates[name].append(target_rate)
            ratios[name].append(target_rate / bare_rate)
    return rates, ratios


def status_json_times(port: int, repeat: int) -> list[tuple[int, float, int]]:
    """Every page of /prefectures/status.json: (page, median ms, bytes), one request at a time."""
    import json

    measured, page = [], 1
    while page:
        url = f"/prefectures/status.json?page={page}"
        times, body = [], b""
        for _ in range(repeat):
            connection = http.client.HTTPConnection(HOST, port, timeout=30)
            started = time.perf_counter()
            connection.request("GET", url)
            body = connection.getresponse().read()
            times.append(time.perf_counter() - started)
            connection.close()
        measured.append((page, 1000 * statistics.median(times), len(body)))
        data = json.loads(body)
        page = page + 1 if data.get("next") else None
    return measured


def serve_and_measure(env: dict, folder: str, targets: dict, args, conn_max_age: int) -> dict:
    port = free_port()
    server = start_gunicorn("benchmarks.plan_page:wsgi_app()", port, {**env, "CONN_MAX_AGE": str(conn_max_age)},
                            Path(folder) / f"access-{conn_max_age}.log", "--workers", str(args.workers),
                            "--timeout", "120")
    try:
        wait_until_up(port, server)
        for url, headers in [("/bench/bare/", {}), *targets.values()]:  # warm up every worker
            for _ in range(args.workers * 4):
                get(port, url, headers)
        rates, ratios = shares(port, targets, args)
        return {"rates": rates, "ratios": ratios, "status": status_json_times(port, args.rounds * 5)}
    finally:
        server.terminate()
        server.wait(timeout=30)


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def report(conn_max_age: int, measured: dict, goal: float) -> None:
    print(f"CONN_MAX_AGE={conn_max_age}:")
    for name, rates in measured["rates"].items():
        line = f"  {name:28} {statistics.median(rates):8.1f} req/s"
        if name in measured["ratios"]:
            share = statistics.median(measured["ratios"][name])
            middle = statistics.quantiles(measured["ratios"][name], n=4) if len(rates) > 1 else [share, share, share]
            line += (f"  {100 * share:5.1f} % of bare (middle half {100 * middle[0]:.0f}–{100 * middle[2]:.0f} %)"
                     f"  goal ≥ {100 * goal:.0f} %: {met(share >= goal)}")
        print(line)
    for page, ms, size in measured["status"]:
        print(f"  /prefectures/status.json?page={page}: {ms:.1f} ms, {size / 1000:.0f} KB  "
              f"goal ≤ 150 ms and ≤ 200 KB: {met(ms <= 150 and size <= 200_000)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=2.0, help="per measurement and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--approvals", type=int, default=5, help="approvals through the admin to time")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--wrk", action="store_true", help="load from wrk (apt install wrk) instead of Python threads")
    parser.add_argument("--shared-cpus", action="store_true", help="server and clients on the same CPUs")
    args = parser.parse_args()
    global WRK, SERVER_CPUS
    WRK = args.wrk
    load_before = os.getloadavg()

    with tempfile.TemporaryDirectory() as folder:
        env = environment(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        env["MEDIA_ROOT"] = str(Path(folder) / "media")
        plan_id, approvals = build_database(env, args.scale, args.approvals)
        cpus = split_cpus(args.shared_cpus)
        if cpus:
            SERVER_CPUS = cpus[0]
            os.sched_setaffinity(0, cpus[1])  # this process's client threads, and wrk, which inherits it
        targets = {
            "plan page (stored bytes)": (f"/plans/{plan_id}/", BROWSER),
            "plan page, uncompressed": (f"/plans/{plan_id}/", {}),
            "概要版 PDF": (f"/plans/{plan_id}/summary.pdf", BROWSER),
            "open data CSV": (f"/opendata/plans/{plan_id}/programs.csv", BROWSER),
            "open data JSON": (f"/opendata/plans/{plan_id}.json", BROWSER),
        }
        measured = {age: serve_and_measure(env, folder, targets, args, age) for age in (0, 60)}
        load_after = os.getloadavg()

    where = (f"server on CPU {','.join(map(str, sorted(cpus[0])))}, clients on CPU {min(cpus[1])}" if cpus
             else "server and clients on the same CPUs")
    print(f"gunicorn {args.workers} workers, {args.clients} clients{' (wrk)' if args.wrk else ''}, {args.rounds} rounds of {args.seconds:g} s "
          f"per row, loopback, {where}; load average {load_before[0]:.2f} before, "
          f"{load_after[0]:.2f} after ({os.cpu_count()} CPUs)")
    report(60, measured[60], 1.0)
    report(0, measured[0], 0.8)
    bare_gain = statistics.median(measured[60]["rates"]["bare view (one query)"]) / statistics.median(
        measured[0]["rates"]["bare view (one query)"])
    print(f"persistent connections: the bare view at {100 * bare_gain:.0f} % of its rate with CONN_MAX_AGE=0")

    def seconds(name):
        return ", ".join(f"{t:.2f} s" for t in approvals[name])

    request, live = statistics.median(approvals["request"]), statistics.median(approvals["live"])
    print(f"承認して公開, the request (checks, queues the job): {seconds('request')}; median {request:.2f} s, "
          f"goal < 1 s: {met(request < 1)}")
    print(f"承認して公開 to live (the press, the request and the worker's build; the worker's poll, ≤ 1 s, on top): "
          f"{seconds('live')}; median {live:.2f} s, goal ≤ 2 s: {met(live <= 2)}")
    print(f"the same approval in one call (what the request did before): {seconds('in one call')}")


if __name__ == "__main__":
    main()
