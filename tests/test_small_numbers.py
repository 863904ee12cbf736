# ruff: noqa: F811 (pytest fixtures imported from tests.import_export_factories)
"""Small-number protection: a count about people below SMALL_NUMBER_THRESHOLD never reaches residents
exactly (page, 概要版, JSON, CSV), while staff keep the exact numbers (staff PDFs and exports)."""

import csv
import io
import json
import re
from decimal import Decimal

import pytest
from django.test import override_settings
from pypdf import PdfReader

from measures.models import ProgramProgress
from measures.resources import ProgramProgressResource
from plans.models import Indicator, IndicatorValue
from plans.resources import IndicatorValueResource
from tests.import_export_factories import editor, kumamoto, superuser  # noqa: F401
from tests.job_queue import staff_pdf
from tests.public_data import publish

pytestmark = pytest.mark.django_db


def squeezed_pdf(data: bytes) -> str:
    return re.sub(r"\s+", "", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def page_text(client, url) -> str:
    html = client.get(url).content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def small(kumamoto):
    """熊本市 reports 2 young offenders in 令和5年 (a statistic), 1 supported person, and a KPI with 2人 latest."""
    statistic = Indicator.objects.create(
        plan=kumamoto.plan, kind=Indicator.Kind.STATISTIC, name="刑法犯少年の再犯者数", unit="人",
        period_kind=Indicator.PeriodKind.CALENDAR, baseline_year=2019, baseline_value=Decimal(7),
    )
    IndicatorValue.objects.create(indicator=statistic, year=2023, value=Decimal(2), prefecture_value=Decimal(1),
                                  national_value=Decimal(4000))
    rate = Indicator.objects.create(plan=kumamoto.plan, kind=Indicator.Kind.STATISTIC, name="再犯者率", unit="%",
                                    period_kind=Indicator.PeriodKind.CALENDAR)
    IndicatorValue.objects.create(indicator=rate, year=2023, value=Decimal("1.5"))
    target = Indicator.objects.create(
        plan=kumamoto.plan, name="支援につながらなかった人数", unit="人", direction=Indicator.Direction.LOWER,
        period_kind=Indicator.PeriodKind.CALENDAR, baseline_year=2019, baseline_value=Decimal(10), target_value=Decimal(0), target_year=2027,
    )
    IndicatorValue.objects.create(indicator=target, year=2023, value=Decimal(2))
    kumamoto.progress.support_count = 1
    kumamoto.progress.save()
    publish(kumamoto.plan)
    return kumamoto


def test_the_plan_page_shows_small_counts_as_fewer_than_three(client, small):
    text = page_text(client, f"/plans/{small.plan.pk}/")
    assert "令和5年 3人未満 3人未満 4,000人" in text  # the city's and the prefecture's small counts, the nation's not
    assert "1.5%" in text  # rates are not counts of people
    assert "基準値 令和元年 10人" in text  # not small: shown exactly
    assert "「3人未満」などの表示は、個人が特定されることのないよう、人に関する3未満の数値を伏せたものです。" in text
    # The KPI's rate would give its latest value away: only the masked figures are shown, in words and chart.
    assert "達成率は少数のため掲載していません（基準値10人→最新3人未満／目標0人以下）" in text
    assert "目標まで残り2人" not in text
    html = client.get(f"/plans/{small.plan.pk}/").content.decode()
    assert 'aria-label="支援につながらなかった人数の推移：基準値 令和元年 10人。令和5年 3人未満。' in html
    assert re.search(r">\s*2人\s*<", html) is None


def test_the_public_summary_pdf_masks_them(client, small, run_jobs):
    run_jobs()
    text = squeezed_pdf(client.get(f"/plans/{small.plan.pk}/summary.pdf").getvalue())
    assert "刑法犯少年の再犯者数令和5年3人未満3人未満" in text
    assert "「3人未満」などの表示は" in text
    assert "令和5年2人" not in text


def test_the_open_data_json_writes_fewer_than_three_where_the_number_would_be(client, small):
    data = json.loads(client.get(f"/opendata/plans/{small.plan.pk}.json").getvalue())
    assert data["small_numbers"]["threshold"] == 3
    values = {i["name"]: i["values"] for i in data["indicators"]}
    assert values["刑法犯少年の再犯者数"] == [{
        "year": 2023, "label": "令和5年", "value": "3人未満", "prefecture_value": "3人未満",
        "national_value": 4000, "note": "",
    }]
    assert values["再犯者率"][0]["value"] == 1.5
    progress = data["areas"][0]["measures"][0]["programs"][0]["progress"][0]
    assert progress["support_count"] == "3件未満"


def csv_rows(client, plan, dataset):
    content = client.get(f"/opendata/plans/{plan.pk}/{dataset}.csv").getvalue().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(content)))


def test_the_open_data_csv_files_mask_them_too(client, small):
    values = {r["指標名"]: r for r in csv_rows(client, small.plan, "indicator-values")}
    assert (values["刑法犯少年の再犯者数"]["値"], values["刑法犯少年の再犯者数"]["都道府県の値"]) == ("3人未満", "3人未満")
    assert values["刑法犯少年の再犯者数"]["全国の値"] == "4000"
    assert values["再犯者率"]["値"] == "1.5"
    assert csv_rows(client, small.plan, "progress")[0]["支援件数"] == "3件未満"


def test_staff_exports_keep_the_exact_numbers(small, editor):
    values = IndicatorValueResource(user=editor).export(queryset=IndicatorValue.objects.all())
    row = next(r for r in values.dict if r["指標名"] == "刑法犯少年の再犯者数")
    assert (row["値"], row["都道府県の値"]) == (2, 1)
    progress = ProgramProgressResource(user=editor).export(queryset=ProgramProgress.objects.all())
    assert progress.dict[0]["支援件数"] == 1


def test_staff_pdfs_keep_the_exact_numbers(client, small, superuser):
    client.force_login(superuser)
    summary = squeezed_pdf(staff_pdf(client, f"/admin/summaries/plans/{small.plan.pk}/summary.pdf").getvalue())
    assert "刑法犯少年の再犯者数令和5年2人1人" in summary and "3人未満" not in summary
    small.meeting.reviewed_fiscal_year = 2024
    small.meeting.save()
    report = squeezed_pdf(staff_pdf(client, f"/admin/summaries/meetings/{small.meeting.pk}/report.pdf").content)
    assert "支援件数：1件" in report and "最新2人" in report


def test_the_data_policy_states_the_threshold_and_the_rule(client, db):
    text = page_text(client, "/accessibility/")
    assert "数値の掲載について（少数の秘匿）" in text
    assert "人に関する数値が3未満（0を含む）のときは" in text and "「3人未満」「3件未満」" in text
    with override_settings(SMALL_NUMBER_THRESHOLD=5):
        assert "人に関する数値が5未満（0を含む）のときは" in page_text(client, "/accessibility/")


@override_settings(SMALL_NUMBER_THRESHOLD=10)
def test_the_threshold_is_a_setting(client, kumamoto):
    kumamoto.progress.support_count = 9
    kumamoto.progress.save()
    publish(kumamoto.plan)
    rows = csv_rows(client, kumamoto.plan, "progress")
    assert rows[0]["支援件数"] == "10件未満"
