#!/usr/bin/env python
"""Many residents at once: public pages, open data and the 概要版 PDF, from gunicorn on PostgreSQL.

    .venv/bin/python benchmarks/load.py [--clients 50] [--seconds 60] [--workers N]
        [--database-url postgres://postgres@127.0.0.1:5432/reoffense_portal_bench]
    REDIS_URL=redis://127.0.0.1:6379/15 .venv/bin/python benchmarks/load.py   # one cache for every worker

Creates the database (a name ending in _bench, on this machine only; dropped
first if it is there and dropped again at the end), migrates it and loads the
seeded cities (fixtures: 山口市, 熊本市, the national 重点課題). Starts gunicorn
with gunicorn.conf.py and production settings (DEBUG off) on 127.0.0.1, waits
for /health/, requests every URL 2 × workers times to warm the caches, then
lets --clients threads request the mix below over loopback for --seconds,
each on a new connection, as a resident's browser behind a proxy would:

    home 2, municipality 2, plan 4, council 1, meeting 1, open data CSV 1, 概要版 PDF 1

(weights; the URLs of every published plan of the seed, looked up by name).
Prints requests/s, p50 and p99 per kind and overall, the errors (any status
but 200, or no answer) and whether the goal holds: 0 errors and p99 ≤ 1 s for
the cached pages (home, municipality, plan, council, meeting). The load comes
from this process, so on a small machine the clients take CPU from the server.
Bounded: --seconds, a request cap, 30 s per request; gunicorn is stopped and
the database dropped at the end.
"""

import argparse
import itertools
import math
import os
import random
import runpy
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import dj_database_url
import psycopg2
from plan_page import ROOT, environment, free_port, get, start_django, start_gunicorn, wait_until_up
from psycopg2 import sql

MAX_REQUESTS = 500_000
WEIGHTS = {"home": 2, "municipality": 2, "plan": 4, "council": 1, "meeting": 1, "csv": 1, "pdf": 1}
CACHED = ("home", "municipality", "plan", "council", "meeting")
GOAL_P99 = 1.0
LOOPBACK = ("127.0.0.1", "localhost", "::1")


# --- the database --------------------------------------------------------------------------------

def server_connection(config: dict):
    connection = psycopg2.connect(
        dbname="postgres", user=config["USER"], password=config["PASSWORD"] or None,
        host=config["HOST"], port=config["PORT"] or 5432,
    )
    connection.autocommit = True
    return connection


def recreate_database(url: str, *, drop_only: bool = False) -> None:
    config = dj_database_url.parse(url)
    if config["ENGINE"] != "django.db.backends.postgresql" or config["HOST"] not in LOOPBACK:
        raise SystemExit("--database-url must be a PostgreSQL database on 127.0.0.1")
    if not config["NAME"].endswith("_bench"):
        raise SystemExit(f"the database is dropped and created again: its name must end in _bench, not {config['NAME']!r}")
    connection = server_connection(config)
    try:
        with connection.cursor() as cursor:
            name = sql.Identifier(config["NAME"])
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            if not drop_only:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(name))
    finally:
        connection.close()


def load_seed(env: dict) -> list[tuple[str, str]]:
    """Migrate, load the seeded cities and return the mix as (kind, URL), each kind repeated by its weight."""
    start_django(env)
    from django.core.management import call_command
    from django.db import connections
    from django.urls import reverse

    from councils.models import Council, Meeting
    from plans.models import Plan
    from reoffense_portal.management.commands.setup_demo import publish_seeded_plans

    call_command("migrate", verbosity=0)
    call_command("loaddata", "national_priorities", "yamaguchi", "kumamoto", verbosity=0)
    publish_seeded_plans()
    plans = list(Plan.objects.filter(versions__isnull=False).distinct().order_by("pk"))
    urls = defaultdict(list)
    urls["home"].append(reverse("public:home"))
    for plan in plans:
        urls["municipality"].append(reverse("public:municipality", args=[plan.municipality_id]))
        urls["plan"].append(reverse("public:plan", args=[plan.pk]))
        urls["csv"].append(reverse("public:plan_csv", args=[plan.pk, "programs"]))
        urls["pdf"].append(reverse("public:plan_summary", args=[plan.pk]))
    for council in Council.objects.filter(plan__in=plans).order_by("pk"):
        urls["council"].append(reverse("public:council", args=[council.pk]))
    for meeting in Meeting.objects.filter(council__plan__in=plans).order_by("pk"):
        urls["meeting"].append(reverse("public:meeting", args=[meeting.pk]))
    connections.close_all()
    print(f"seed: {len(plans)} published plans; " + ", ".join(f"{kind} {len(urls[kind])}" for kind in WEIGHTS))
    mix = [(kind, url) for kind, weight in WEIGHTS.items() for url in urls[kind] for _ in range(weight)]
    random.Random(2026).shuffle(mix)
    return mix


# --- the load ------------------------------------------------------------------------------------

def run_clients(port: int, mix: list, clients: int, seconds: float) -> tuple[dict, dict, float]:
    """Latencies by kind, errors by kind and reason, and the elapsed time."""
    latencies = defaultdict(list)
    errors = defaultdict(lambda: defaultdict(int))
    requests = itertools.count()
    deadline = time.perf_counter() + seconds

    def client(index: int) -> None:
        for kind, url in itertools.islice(itertools.cycle(mix), index * 7 % len(mix), None):
            if time.perf_counter() >= deadline or next(requests) >= MAX_REQUESTS:
                return
            start = time.perf_counter()
            try:
                status = get(port, url)
            except OSError as error:
                errors[kind][type(error).__name__] += 1
                continue
            latencies[kind].append(time.perf_counter() - start)
            if status != 200:
                errors[kind][str(status)] += 1

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.perf_counter() - start


def percentile(sorted_values: list, share: float) -> float:
    return sorted_values[max(0, math.ceil(share * len(sorted_values)) - 1)]


def report(latencies: dict, errors: dict, elapsed: float) -> None:
    print(f"{'kind':14} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    rows = [(kind, latencies[kind], errors[kind]) for kind in WEIGHTS]
    every_error = defaultdict(int)
    for reasons in errors.values():
        for reason, count in reasons.items():
            every_error[reason] += count
    rows.append(("all", [value for values in latencies.values() for value in values], every_error))
    for kind, values, reasons in rows:
        values = sorted(values)
        p50, p99 = (f"{1000 * percentile(values, q):8.0f}" if values else f"{'-':>8}" for q in (0.5, 0.99))
        detail = f"  ({', '.join(f'{reason}: {count}' for reason, count in reasons.items())})" if reasons else ""
        print(f"{kind:14} {len(values):9d} {len(values) / elapsed:8.1f} {p50} {p99} {sum(reasons.values()):7d}{detail}")
    error_count = sum(every_error.values())
    worst = max((percentile(sorted(latencies[kind]), 0.99) for kind in CACHED if latencies[kind]), default=0)
    print(f"goal 0 errors: {'met' if error_count == 0 else 'NOT met'} ({error_count}); "
          f"goal p99 ≤ {GOAL_P99:g} s on cached pages: {'met' if worst <= GOAL_P99 else 'NOT met'} "
          f"(worst {1000 * worst:.0f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py's)")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/reoffense_portal_bench")
    args = parser.parse_args()

    recreate_database(args.database_url)
    try:
        with tempfile.TemporaryDirectory() as folder:
            env = environment(args.database_url)
            for name in ("MEDIA_ROOT", "STATIC_ROOT"):  # empty: static files come from the finders
                env[name] = str(Path(folder) / name.lower())
                Path(env[name]).mkdir()
            if args.workers:
                env["WEB_CONCURRENCY"] = str(args.workers)
            mix = load_seed(env)
            workers = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["workers"]
            port = free_port()
            access_log = Path(folder) / "access.log"
            server = start_gunicorn("reoffense_portal.wsgi", port, env, access_log)
            try:
                wait_until_up(port, server, "/health/", seconds=60)
                for url in dict.fromkeys(url for _, url in mix):  # every URL, 2 × workers times
                    for _ in range(2 * workers):
                        get(port, url)
                warm_up_lines = sum(1 for _ in access_log.open())
                load_before = os.getloadavg()
                latencies, errors, elapsed = run_clients(port, mix, args.clients, args.seconds)
                load_after = os.getloadavg()
            finally:
                server.terminate()
                server.wait(timeout=60)
            logged = sum(1 for _ in access_log.open()) - warm_up_lines
    finally:
        recreate_database(args.database_url, drop_only=True)

    cache = "Redis (REDIS_URL)" if os.environ.get("REDIS_URL") else "per-worker memory (no REDIS_URL)"
    requests = sum(len(values) for values in latencies.values())
    print(f"gunicorn {workers} workers (gunicorn.conf.py), {args.clients} clients for {elapsed:.1f} s over "
          f"loopback, PostgreSQL, cache: {cache}; load average {load_before[0]:.2f} before, "
          f"{load_after[0]:.2f} after ({os.cpu_count()} CPUs); access log: {logged} lines for {requests} answers")
    report(latencies, errors, elapsed)


if __name__ == "__main__":
    main()
