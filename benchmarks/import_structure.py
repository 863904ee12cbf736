#!/usr/bin/env python
"""Rows a second of the 計画の構成 import (one row per programme, with departments and partners by name).

    .venv/bin/python benchmarks/import_structure.py [--rows 10000] [--rounds 3]
    .venv/bin/python benchmarks/import_structure.py --against ../other-checkout   # that code's figures beside these

Each round runs in a fresh process on a throw-away SQLite database: one city with 40 departments
and 20 partner organisations, an editor of that city (not a superuser: the scoped path), and a plan
with no structure yet. The sheet (CSV in CP932, as Excel saves it) names 5 areas × 4 measures and
rows/20 programmes in each, every row with one or two 担当課 and up to two 連携団体. In order:

- read: the file parsed into rows (the floor of any import; the round's measure of the machine);
- preview new / apply new: the dry run and the confirmed import of a sheet whose every row is new;
- preview changed / apply changed: the same sheet with a third of the rows changed (概要, 担当課);
- unchanged: the changed sheet confirmed again (every row unchanged, nothing written).

Printed: the median rows a second of each step over the rounds, and its median share of the same
round's read (a busy machine slows both alike), the process's peak memory and the history rows the
programmes got. With --against, rounds
of the other checkout (its own code, this script) alternate with this one's, and both are printed.
Goal: every preview and apply ≥ 1,000 rows a second.
"""

import argparse
import csv
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPARTMENTS = 40
PARTNERS = 20
STEPS = ("read", "preview new", "apply new", "preview changed", "apply changed", "unchanged")
GOAL = 1_000


def build():
    import datetime

    from django.contrib.auth import get_user_model

    from plans.models import Department, Municipality, Organization, Plan, StaffMembership

    prefecture = Municipality.objects.create(code="430005", name="熊本県", kind=Municipality.Kind.PREFECTURE)
    city = Municipality.objects.create(code="431001", name="熊本市", kind=Municipality.Kind.CITY, prefecture=prefecture)
    Plan.objects.create(
        municipality=city, title="熊本市再犯防止推進計画", period_start=datetime.date(2020, 4, 1),
        period_end=datetime.date(2030, 3, 31),
    )
    Department.objects.bulk_create(Department(municipality=city, name=f"第{i}課") for i in range(DEPARTMENTS))
    Organization.objects.bulk_create(
        Organization(municipality=city, name=f"団体{i}", sector=Organization.Sector.NONPROFIT) for i in range(PARTNERS)
    )
    user = get_user_model().objects.create_user("bench-editor", password="bench-password-123")
    StaffMembership.objects.create(user=user, municipality=city)
    return get_user_model().objects.get(pk=user.pk)


HEADER = ["団体コード", "計画名", "重点施策番号", "重点施策名", "施策番号", "施策名", "事業名", "事業の概要",
          "担当課", "連携団体", "既存事業", "直接支援の類型", "順番"]


def structure_sheet(rows: int, changed: bool = False) -> bytes:
    """rows programmes; `changed`: every third row with another 概要 and another second 担当課."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    per_measure = -(-rows // 20)
    written = 0
    for a in range(1, 6):
        for m in range(1, 5):
            for p in range(1, per_measure + 1):
                if written == rows:
                    break
                i = written
                edit = changed and i % 3 == 0
                departments = [f"第{i % DEPARTMENTS}課"]
                if i % 2 or edit:
                    departments.append(f"第{(i + (7 if edit else 1)) % DEPARTMENTS}課")
                partners = [f"団体{(i + k) % PARTNERS}" for k in range(i % 3)]
                writer.writerow([
                    "431001", "熊本市再犯防止推進計画", a, f"重点施策{a}の取組", m, f"施策{a}-{m}",
                    f"事業{a}-{m}-{p}", f"事業{a}-{m}-{p}の概要{'（見直し）' if edit else ''}。相談{i % 40}件に対応します。",
                    "、".join(departments), "、".join(partners), "○" if i % 4 else "", "", p,
                ])
                written += 1
    return out.getvalue().encode("cp932")


def one_round(rows: int) -> dict:
    """One round in this process, on a new database: seconds of every step, peak memory."""
    workdir = tempfile.mkdtemp(prefix="structure-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reoffense_portal.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from measures.models import Program
    from measures.resources import PlanStructureResource
    from reoffense_portal.machinery.spreadsheets.files import read_spreadsheet

    user = build()
    new, changed = structure_sheet(rows), structure_sheet(rows, changed=True)
    seconds = {}

    start = time.perf_counter()
    read_spreadsheet(new)
    seconds["read"] = time.perf_counter() - start

    def run(step, data, dry_run, expected):
        start = time.perf_counter()
        dataset = read_spreadsheet(data)
        result = PlanStructureResource(user=user).import_data(dataset, dry_run=dry_run, user=user, file_name="bench.csv")
        seconds[step] = time.perf_counter() - start
        assert not result.has_problems(), result.messages()[:5]
        totals = {kind: count for kind, count in result.totals.items() if count}
        assert totals == expected, (step, totals)

    third = len(range(0, rows, 3))
    run("preview new", new, True, {"new": rows})
    run("apply new", new, False, {"new": rows})
    run("preview changed", changed, True, {"update": third, "skip": rows - third})
    run("apply changed", changed, False, {"update": third, "skip": rows - third})
    run("unchanged", changed, False, {"skip": rows})
    assert Program.objects.count() == rows
    return {"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "history": Program.history.count()}


def measure(code: Path, rows: int) -> dict:
    """One round in a fresh process running `code`'s portal with this script."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    env.pop("DATABASE_URL", None)
    output = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--once", "--rows", str(rows), "--code", str(code)],
        env=env, cwd=code, check=True, stdout=subprocess.PIPE, text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def report(name: str, rounds: list[dict], rows: int) -> None:
    print(f"\n{name}: {len(rounds)} rounds, peak memory {max(r['peak_mb'] for r in rounds):.0f} MB, "
          f"{rounds[0]['history']:,} history rows of programmes")
    for step in STEPS:
        rates = [rows / r["seconds"][step] for r in rounds]
        share = statistics.median(r["seconds"]["read"] / r["seconds"][step] for r in rounds)
        goal = "" if step in ("read", "unchanged") else ("  goal met" if statistics.median(rates) >= GOAL else "  goal NOT met")
        print(f"  {step:16} {statistics.median(rates):9,.0f} rows/s  {100 * share:6.1f} % of read"
              f"  (rounds: {', '.join(f'{rate:,.0f}' for rate in rates)}){goal}")


def main():
    global ROOT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--against", type=Path, help="another checkout of the portal, measured in alternate rounds")
    parser.add_argument("--once", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--code", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.once:
        ROOT = (args.code or ROOT).resolve()
        print(json.dumps(one_round(args.rows)))
        return

    codes = {"this checkout": ROOT}
    if args.against:
        codes[f"against {args.against}"] = args.against.resolve()
    print(f"{args.rows:,} rows; load average {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
    measured = {name: [] for name in codes}
    for _ in range(args.rounds):
        for name, code in codes.items():
            measured[name].append(measure(code, args.rows))
    for name, rounds in measured.items():
        report(name, rounds, args.rows)
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
