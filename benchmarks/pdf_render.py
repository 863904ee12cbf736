#!/usr/bin/env python
"""Cold and warm render times of the PDF summaries, for a plan five times Kumamoto's size.

    .venv/bin/python benchmarks/pdf_render.py [--scale 5] [--repeat 5]

Builds a throw-away SQLite database from the Kumamoto fixture, multiplies the
plan (areas, measures, programmes, KPIs with five years of values, statistics,
課題, council members) by --scale, then times:

- first: the first render in a fresh process (starts the PDF worker server, draws the charts);
- cold: PDF cache empty, charts cached (what a staff user sees after an edit);
- cold, no caches: PDF and chart caches both empty;
- warm: the PDF served from the cache (queries, HTML, hash, cache read).

Goal on the project's machines: cold ≤ 1.5 s, warm ≤ 50 ms.
"""

import argparse
import io
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KUMAMOTO_PLAN = 2001


def timed(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def enlarge(plan, scale: int) -> None:
    """Copy the plan's parts so there are `scale` times as many, as another city's bigger plan would have."""
    from decimal import Decimal

    from councils.models import Council, CouncilMember
    from measures.models import Measure, PriorityArea, Program
    from plans.models import Challenge, Department, Indicator, IndicatorValue, Organization

    departments = [
        Department.objects.get_or_create(municipality=plan.municipality, name=name)[0]
        for name in (
            "生活安全課",
            "福祉課",
            "住宅課",
            "こども政策課",
            "雇用政策課",
            "健康づくり推進課",
        )
    ]
    areas = list(plan.priority_areas.prefetch_related("national_priorities", "programs"))
    for copy in range(2, scale + 1):
        for area in areas:
            number = area.number + (copy - 1) * len(areas)
            new_area = PriorityArea.objects.create(
                plan=plan,
                number=number,
                title=f"{area.title}（その{copy}）",
                description=area.description,
                page_from=(area.page_from or 20) + 60 * (copy - 1),
                page_to=(area.page_to or 25) + 60 * (copy - 1),
            )
            new_area.national_priorities.set(area.national_priorities.all())
            new_measures = {
                measure.pk: Measure.objects.create(
                    area=new_area,
                    number=measure.number,
                    title=measure.title,
                    description=measure.description,
                )
                for measure in area.measures.all()
            }
            for program in area.programs.all():
                new_program = Program.objects.create(
                    area=new_area,
                    measure=new_measures.get(program.measure_id),
                    order=program.order,
                    name=program.name,
                    description=program.description,
                )
                new_program.departments.set(
                    [departments[(number + program.order) % len(departments)]]
                )
    for program in Program.objects.of_plan(plan).filter(departments=None):
        program.departments.set([departments[program.pk % len(departments)]])

    indicators = list(plan.indicators.all())
    target = next(i for i in indicators if i.kind == Indicator.Kind.TARGET)
    for year, value in zip(range(2015, 2019), (612, 598, 585, 571), strict=True):
        IndicatorValue.objects.get_or_create(
            indicator=target, year=year, defaults={"value": Decimal(value)}
        )
    for copy in range(2, scale + 1):
        for indicator in indicators:
            new = Indicator.objects.create(
                plan=plan,
                kind=indicator.kind,
                order=indicator.order + 10 * copy,
                name=f"{indicator.name}（その{copy}）",
                unit=indicator.unit,
                direction=indicator.direction,
                period_kind=indicator.period_kind,
                baseline_year=indicator.baseline_year,
                baseline_value=indicator.baseline_value,
                target_value=indicator.target_value,
                target_text=indicator.target_text,
                source=indicator.source,
            )
            if new.kind == Indicator.Kind.TARGET:
                for year in range(2015, 2020):
                    IndicatorValue.objects.create(
                        indicator=new, year=year, value=Decimal(600 - 7 * (year - 2015) + copy)
                    )
    challenges = list(plan.challenges.all())
    for copy in range(2, scale + 1):
        for challenge in challenges:
            Challenge.objects.create(
                plan=plan, order=challenge.order + 10 * copy, text=challenge.text
            )
    council = Council.objects.get(plan=plan, kind=Council.Kind.LIAISON)
    for n in range(1, 6 * scale + 1):
        organization = Organization.objects.create(
            municipality=plan.municipality,
            name=f"関係団体{n}",
            sector=Organization.Sector.NONPROFIT,
        )
        CouncilMember.objects.create(council=council, organization=organization, order=n)


def meeting_with_progress(plan):
    from councils.models import AgendaItem, Council, Meeting
    from measures.models import Program, ProgramProgress

    council = Council.objects.get(plan=plan, kind=Council.Kind.LIAISON)
    meeting = Meeting.objects.create(council=council, fiscal_year=2024, sequence=1)
    AgendaItem.objects.create(meeting=meeting, order=1, title="令和5年度の取組状況について")
    statuses = [
        ProgramProgress.Status.IMPLEMENTED,
        ProgramProgress.Status.PARTIAL,
        ProgramProgress.Status.NOT_IMPLEMENTED,
    ]
    for program in Program.objects.of_plan(plan):
        ProgramProgress.objects.create(
            program=program,
            fiscal_year=2023,
            status=statuses[program.pk % 3],
            results="関係機関と連携して実施し、対象者への情報提供を行った。",
            support_count=program.pk % 40,
        )
    return meeting


HEADER = f"{'document':<20}{'pages':>6}{'first':>8}{'cold (CPU)':>16}{'no caches':>11}{'HTML':>10}{'warm':>10}"


class WorkerTimes(logging.Handler):
    """Collects the worker CPU time typesetting logs with each render."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.cpu: list[float] = []

    def emit(self, record):
        if record.msg.startswith("PDF typeset"):
            self.cpu.append(record.args[1])


def measure(label: str, make, repeat: int) -> tuple[str, float]:
    """One line of the table for the document `make()` builds, and the median CPU seconds of its cold renders."""
    from django.core.cache import cache
    from pypdf import PdfReader

    from reoffense_portal.composition.summaries.typesetting import forget_typeset

    worker = WorkerTimes()
    typesetting_logger = logging.getLogger("reoffense_portal.composition.summaries.typesetting")
    typesetting_logger.setLevel(logging.INFO)
    typesetting_logger.propagate = False
    typesetting_logger.addHandler(worker)

    cache.clear()
    forget_typeset()
    first = timed(lambda: make().pdf(), 1)[0]

    def cold():
        document = make()
        cache.delete(document.cache_key)
        forget_typeset()  # the process's own last PDFs, too
        document.pdf()

    def no_caches():
        cache.clear()
        forget_typeset()
        make().pdf()

    worker.cpu.clear()
    cold_times = timed(cold, repeat)
    cold_cpu = statistics.median(worker.cpu)
    bare_times = timed(no_caches, repeat)
    html_times = timed(lambda: make().html, 20)
    warm_times = timed(lambda: make().pdf(), 50)
    pages = len(PdfReader(io.BytesIO(make().pdf())).pages)
    typesetting_logger.removeHandler(worker)
    return (
        f"{label:<18}{pages:>6}{first:>8.2f}"
        f"{statistics.median(cold_times):>9.2f} ({cold_cpu:.2f})"
        f"{statistics.median(bare_times):>11.2f}"
        f"{statistics.median(html_times) * 1000:>8.1f}ms"
        f"{statistics.median(warm_times) * 1000:>8.1f}ms"
    ), cold_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", type=int, default=5, help="how many times Kumamoto's plan (default 5)"
    )
    parser.add_argument("--repeat", type=int, default=5, help="cold renders to time (default 5)")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="pdf-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reoffense_portal.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)

    import django

    django.setup()
    from django.core.management import call_command

    from councils.models import Meeting
    from measures.models import Program
    from plans.models import Plan
    from reoffense_portal.composition.summaries.documents import MeetingReport, PlanSummary

    call_command("migrate", verbosity=0)
    call_command("loaddata", "national_priorities", "kumamoto", verbosity=0)
    enlarge(Plan.objects.get(pk=KUMAMOTO_PLAN), args.scale)
    plan = Plan.objects.select_related("municipality__prefecture", "department").get(
        pk=KUMAMOTO_PLAN
    )
    meeting = meeting_with_progress(plan)
    meeting = Meeting.objects.select_related(
        "council__plan__municipality__prefecture", "council__plan__department"
    ).get(pk=meeting.pk)

    print(
        f"Plan: {plan.title} ×{args.scale} — {plan.priority_areas.count()} areas, "
        f"{Program.objects.of_plan(plan).count()} programmes, {plan.indicators.count()} indicators"
    )
    print(HEADER)
    summary_line, summary_cpu = measure("plan summary 概要版", lambda: PlanSummary(plan, draft=False), args.repeat)
    print(summary_line)
    print(measure("meeting report", lambda: MeetingReport(meeting, draft=False), args.repeat)[0])
    print(
        "Seconds, medians. first: fresh process; cold: PDF cache empty, charts cached "
        "(in brackets the worker's CPU time); no caches: charts drawn too; "
        "HTML: queries and templates; warm: served from the PDF cache."
    )
    print(f"goal: the {args.scale}× 概要版 typeset in ≤ 1.5 s of CPU (median of the cold renders): {summary_cpu:.2f} s, "
          f"{'met' if summary_cpu <= 1.5 else 'NOT met'}; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":  # the PDF worker processes import this module as __mp_main__
    main()
