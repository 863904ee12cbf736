#!/usr/bin/env python
"""Requests per second of the public plan page, beside a bare Django view, served by gunicorn.

    .venv/bin/python benchmarks/plan_page.py [--scale 10] [--seconds 3] [--rounds 3] [--workers 2] [--clients 4]
    .venv/bin/python benchmarks/plan_page.py --gzip   # every response gzipped by Django (GZipMiddleware)
    REDIS_URL=redis://127.0.0.1:6379/15 .venv/bin/python benchmarks/plan_page.py   # the production cache

Builds a throw-away SQLite database holding one plan `--scale` times the size
of Kumamoto's (tests/public_data.py: areas, measures, programmes with
departments and partners, KPI targets with five years of values, context
statistics, 課題, 策定経過, councils with members and meetings), starts
gunicorn on 127.0.0.1 with production settings (DEBUG off) and gunicorn.conf.py
(its access log to a file), and in the same
run measures, one after another:

- bare: a Django view that runs one query and returns a few bytes;
- plan page, uncached: the page cache bypassed (a query string, as for a link
  with ?utm_source=… or staff signed in): the plan is looked up (which also
  decides 404 for drafts) and the page around its heading rendered for every
  request; what lies below the heading (sections, contact, survey) stays
  rendered per data version (pagecache.cached_fragment), as it does in
  production until the data changes;
- uncached page, cold fragments: the same with the kept fragments dropped
  before every request, so each one fetches all the plan's rows and renders
  the whole page: the cost of the first request after any change to the data;
- cached: the plan page as anonymous readers get it (page cache, no query).

The SVG charts stay cached in every row, as they do in production.

The measurements take turns for --rounds rounds, and each share is the median
of the rounds' shares (a row against the bare view of the same round), so a
burst of other work on the machine moves both sides of a share alike. The load
average is printed before and after.

Goal: uncached ≥ 50 % and cached ≥ 90 % of the bare view's rate. Load comes
from threads in this process over loopback only; every loop is bounded by
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


def cold_plan_page(request, pk):
    """The plan page as the first request after a change gets it: no kept sections."""
    from plans.views import plan_detail

    from reoffense_portal import pagecache

    pagecache.fragments.clear()
    return plan_detail(request, pk)


def __getattr__(name):
    """`urlpatterns`, built on first use (after django.setup()), with the bench views beside the portal's."""
    if name == "urlpatterns":
        return [path("bench/bare/", bare), path("bench/cold/plans/<int:pk>/", cold_plan_page),
                path("", include("reoffense_portal.urls"))]
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


def build_database(env: dict, scale: int) -> int:
    start_django(env)
    from django.core.management import call_command

    from tests.public_data import build_plan, municipality

    call_command("migrate", verbosity=0)
    plan = build_plan(municipality(code="431001", name="熊本市", prefecture_code="430005", prefecture_name="熊本県"),
                      scale=scale)
    print(f"plan: {plan.priority_areas.count()} areas, "
          f"{sum(area.measures.count() for area in plan.priority_areas.all())} measures, "
          f"{plan.indicators.count()} indicators, {plan.councils.count()} councils ({scale}× Kumamoto's shape)")
    return plan.pk


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
        plan_id = build_database(env, args.scale)
        port = free_port()
        server = start_gunicorn("benchmarks.plan_page:wsgi_app()", port, env, Path(folder) / "access.log",
                                "--workers", str(args.workers), "--timeout", "120")
        try:
            wait_until_up(port, server)
            urls = {
                "bare view (one query)": "/bench/bare/",
                "uncached page, cold fragments": f"/bench/cold/plans/{plan_id}/?uncached=1",
                "plan page, uncached": f"/plans/{plan_id}/?uncached=1",
                "plan page, cached": f"/plans/{plan_id}/",
            }
            for url in urls.values():  # warm up every worker: charts drawn, page cached, templates loaded
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
    uncached, cold, cached = (shares[name] for name in
                              ("plan page, uncached", "uncached page, cold fragments", "plan page, cached"))
    print(f"goal uncached ≥ 50 %: {'met' if uncached >= 0.5 else 'NOT met'} "
          f"(with cold fragments: {'met' if cold >= 0.5 else 'NOT met'}); "
          f"goal cached ≥ 90 %: {'met' if cached >= 0.9 else 'NOT met'}")


if __name__ == "__main__":
    main()
