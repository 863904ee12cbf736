"""A resident on a slow phone connection gets a plan's page within the 200 KB goal for public pages, even a
plan the size of each of benchmarks/national.py's: 6 areas × 5 measures × 4 programmes, two of each measure's
programmes reported in five fiscal years, 10 KPIs with 10 yearly values each drawn as a chart.

The size is asserted here; the time (≤ 150 ms) is measured by the benchmark.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache

from measures.models import Measure, PriorityArea, Program, ProgramProgress
from plans.models import Department, Indicator, IndicatorValue, Plan
from tests.public_data import municipality, publish

pytestmark = pytest.mark.django_db

PUBLIC_PAGE_GOAL_KB = 200
AREAS, MEASURES, PROGRAMMES, INDICATORS, VALUES = 6, 5, 4, 10, 10
REPORTING_PROGRAMMES = 2
INDICATOR_NAMES = [
    "刑法犯検挙人員中の再犯者数", "協力雇用主数", "保護司の充足率", "更生保護女性会の会員数",
    "社会を明るくする運動の参加者数", "就労支援の利用者数", "住居支援の件数", "薬物乱用防止教室の開催数",
    "地域生活定着支援の件数", "再犯防止に関する研修の受講者数",
]


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


@pytest.fixture
def national_sized_plan():
    """A published plan shaped like each plan of the national benchmark."""
    city = municipality()
    department = Department.objects.create(municipality=city, name="地域福祉課")
    plan = Plan.objects.create(
        municipality=city, title="山口市再犯防止推進計画", period_start=datetime.date(2021, 4, 1),
        period_end=datetime.date(2026, 3, 31), department=department,
        basic_policy="犯罪をした人等が地域社会で孤立しないよう支援します。",
    )
    areas = PriorityArea.objects.bulk_create(
        PriorityArea(plan=plan, number=a, title=f"重点施策{a}") for a in range(1, AREAS + 1)
    )
    measures = Measure.objects.bulk_create(
        Measure(area=area, number=m, title=f"施策{area.number}-{m}") for area in areas for m in range(1, MEASURES + 1)
    )
    programmes = Program.objects.bulk_create(
        Program(area=measure.area, measure=measure, order=p, is_existing=p <= REPORTING_PROGRAMMES,
                name=f"就労支援事業（{measure.title}-{p}）", description="対象者への相談・支援を行います。")
        for measure in measures for p in range(1, PROGRAMMES + 1)
    )
    Program.departments.through.objects.bulk_create(
        Program.departments.through(program=programme, department=department) for programme in programmes
    )
    statuses = list(ProgramProgress.Status)
    ProgramProgress.objects.bulk_create(
        ProgramProgress(program=programme, fiscal_year=year, status=statuses[(programme.pk + year) % 4],
                        results=f"{year}年度は相談{programme.pk % 40}件に対応しました。",
                        support_count=programme.pk % 40, budget=(programme.pk % 30 + 1) * 100_000)
        for programme in programmes if programme.order <= REPORTING_PROGRAMMES for year in range(2021, 2026)
    )
    indicators = Indicator.objects.bulk_create(
        Indicator(plan=plan, order=n, name=name, unit="人",
                  direction=Indicator.Direction.LOWER if n == 1 else Indicator.Direction.HIGHER,
                  period_kind=Indicator.PeriodKind.CALENDAR, baseline_year=2019, baseline_value=Decimal(100), target_year=2025, target_value=Decimal(80))
        for n, name in enumerate(INDICATOR_NAMES[:INDICATORS], start=1)
    )
    IndicatorValue.objects.bulk_create(
        IndicatorValue(indicator=indicator, year=year, value=Decimal(100 - (year - 2014) - indicator.order))
        for indicator in indicators for year in range(2015, 2015 + VALUES)
    )
    publish(plan)
    return plan


def test_a_national_sized_plan_page_stays_within_the_public_page_goal(client, national_sized_plan):
    response = client.get(national_sized_plan.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('<svg role="img"') == INDICATORS + AREAS  # every KPI's chart and every area's 実施率 chart
    assert page.count("<table") >= INDICATORS + 1  # beside them the same figures as tables
    assert len(response.content) / 1024 <= PUBLIC_PAGE_GOAL_KB
