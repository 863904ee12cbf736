#!/usr/bin/env python
"""Time and peak memory of importing 10,000 yearly-progress rows.

    .venv/bin/python benchmarks/import_progress.py [--rows 10000] [--years 10]

Builds a throw-away SQLite database with one plan of rows/years programmes
(5 areas × 4 measures × n programmes), writes the progress sheet as Excel
saves it (CSV in CP932, values typed like 「令和6年度」「1,500,000」「1/2」),
and as an editor of that municipality (not a superuser: the scoped path)
runs, one after another:

- preview: the dry run the admin shows before confirming (writes nothing);
- import: the confirmed import (every row new, each recorded in the history);
- again: the same file once more (every row unchanged, nothing written);
- export: the 10,000 rows written back as CSV and as XLSX.

Each step's wall time is printed, then the peak resident memory of the
whole process (Django, the database and the parsed file included).
Goal on the project's machines: import ≤ 10 s and ≤ 300 MB.
"""

import argparse
import csv
import io
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build(programmes: int):
    import datetime

    from django.contrib.auth import get_user_model

    from measures.models import Measure, PriorityArea, Program
    from plans.models import Municipality, Plan, StaffMembership

    prefecture = Municipality.objects.create(code="430005", name="熊本県", kind=Municipality.Kind.PREFECTURE)
    city = Municipality.objects.create(code="431001", name="熊本市", kind=Municipality.Kind.CITY, prefecture=prefecture)
    plan = Plan.objects.create(
        municipality=city, title="熊本市再犯防止推進計画", period_start=datetime.date(2020, 4, 1),
        period_end=datetime.date(2030, 3, 31),
    )
    per_measure = max(1, programmes // 20)
    keys = []
    for a in range(1, 6):
        area = PriorityArea.objects.create(plan=plan, number=a, title=f"重点施策{a}")
        for m in range(1, 5):
            measure = Measure.objects.create(area=area, number=m, title=f"施策{a}-{m}")
            Program.objects.bulk_create(
                Program(area=area, measure=measure, name=f"事業{a}-{m}-{p}", order=p) for p in range(1, per_measure + 1)
            )
            keys += [(a, m, f"事業{a}-{m}-{p}") for p in range(1, per_measure + 1)]
    user = get_user_model().objects.create_user("bench-editor", password="bench-password-123")
    StaffMembership.objects.create(user=user, municipality=city)
    return get_user_model().objects.get(pk=user.pk), keys


def progress_sheet(keys, years: int, rows: int) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["団体コード", "計画名", "重点施策番号", "施策番号", "事業名", "年度", "実施状況", "実績・成果",
                     "支援件数", "予算額（円）", "決算額（円）", "補助率"])
    statuses = ["実施", "一部実施", "未実施", "検討中"]
    written = 0
    for year in range(2020, 2020 + years):
        for i, (a, m, name) in enumerate(keys):
            if written == rows:
                break
            writer.writerow([
                "431001", "熊本市再犯防止推進計画", a, m, name, f"令和{year - 2018}年度", statuses[i % 4],
                f"{name}の{year}年度の実績。相談{i % 40}件に対応しました。", i % 40,
                f"{(i % 30 + 1) * 100_000:,}", (i % 30 + 1) * 90_000, "1/2" if i % 3 == 0 else "",
            ])
            written += 1
    return out.getvalue().encode("cp932")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--years", type=int, default=10)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="import-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reoffense_portal.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from measures.models import ProgramProgress
    from measures.resources import ProgramProgressResource
    from reoffense_portal.machinery.spreadsheets.files import read_spreadsheet

    user, keys = build(-(-args.rows // args.years))
    data = progress_sheet(keys, args.years, args.rows)
    print(f"file: {args.rows:,} rows, {len(data) / 1e6:.1f} MB CSV (CP932), {len(keys)} programmes × {args.years} years")

    def run(dry_run):
        start = time.perf_counter()
        dataset = read_spreadsheet(data)
        result = ProgramProgressResource(user=user).import_data(dataset, dry_run=dry_run, user=user,
                                                                 file_name="bench.csv")
        elapsed = time.perf_counter() - start
        assert not result.has_problems(), result.messages()[:5]
        return elapsed, result

    for label, dry_run in (("preview (dry run)", True), ("import", False), ("again (unchanged)", False)):
        elapsed, result = run(dry_run)
        print(f"{label:18} {elapsed:6.2f} s   {result.summary()}   {args.rows / elapsed:,.0f} rows/s")
    from reoffense_portal.machinery.spreadsheets.files import CSVFormat, XLSXFormat

    for fmt in (CSVFormat, XLSXFormat):
        start = time.perf_counter()
        exported = fmt().export_data(ProgramProgressResource(user=user).export())
        elapsed = time.perf_counter() - start
        print(f"export {fmt().get_title():11} {elapsed:6.2f} s   {len(exported) / 1e6:.1f} MB")
    assert ProgramProgress.objects.count() == args.rows
    assert ProgramProgress.history.count() == args.rows, "unchanged rows record no history"
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (RSS of the whole process): {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
