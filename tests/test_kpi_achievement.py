# ruff: noqa: F811 (pytest fixtures imported from tests.import_export_factories)
"""達成率: how far each KPI has come from its baseline toward its target, in both directions and every
period kind, as residents read it on the plan page, in the 概要版 and in the open data."""

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from pypdf import PdfReader

from plans.models import Indicator, IndicatorValue
from reoffense_portal.machinery.charts import indicator_chart_svg
from tests.import_export_factories import kumamoto  # noqa: F401
from tests.public_data import publish

pytestmark = pytest.mark.django_db


def kpi(plan, *, direction="lower", baseline=564, target=450, values=None, name="再犯者数", unit="人", **fields):
    fields = {"baseline_year": 2019, "target_year": 2025, "period_kind": Indicator.PeriodKind.CALENDAR, **fields}
    indicator = Indicator.objects.create(
        plan=plan, name=name, unit=unit, direction=direction, baseline_value=baseline, target_value=target, **fields
    )
    for year, value in (values or {}).items():
        IndicatorValue.objects.create(indicator=indicator, year=year, value=value)
    return indicator


def page_text(client, url) -> str:
    html = client.get(url).content.decode()
    html = re.sub(r"<svg\b.*?</svg>", "", html, flags=re.DOTALL)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ------------------------------------------------------------------ the model


def test_lower_is_better_reads_as_the_share_of_the_way_from_baseline_to_target(kumamoto):
    indicator = kpi(kumamoto.plan, values={2019: 564, 2022: 500})
    assert indicator.progress().percent == Decimal("56.1")  # (564 − 500) / (564 − 450) = 0.5614…
    assert indicator.achievement_text() == "達成率 56.1%（基準値564人→最新500人／目標450人以下）"


def test_higher_is_better_is_the_mirror(kumamoto):
    indicator = kpi(kumamoto.plan, direction="higher", baseline=10, target=20, values={2023: 17},
                    name="協力雇用主数", unit="社")
    assert indicator.achievement_text() == "達成率 70.0%（基準値10社→最新17社／目標20社以上）"


@pytest.mark.parametrize("direction, baseline, target, latest", [("lower", 564, 450, 440), ("higher", 10, 20, 25)])
def test_past_the_target_is_capped_at_100_percent_and_says_so(kumamoto, direction, baseline, target, latest):
    indicator = kpi(kumamoto.plan, direction=direction, baseline=baseline, target=target, values={2023: latest})
    assert indicator.progress().ratio > 1
    assert indicator.achievement_text().startswith("達成率 100.0%・目標を達成（")


@pytest.mark.parametrize("direction, baseline, target, latest", [("lower", 564, 450, 600), ("higher", 10, 20, 8)])
def test_moving_the_wrong_way_is_0_percent_and_says_so(kumamoto, direction, baseline, target, latest):
    indicator = kpi(kumamoto.plan, direction=direction, baseline=baseline, target=target, values={2023: latest})
    assert indicator.progress().ratio < 0
    assert indicator.achievement_text().startswith("達成率 0.0%・基準値より悪化（")


def test_almost_there_is_not_rounded_up_to_100_percent(kumamoto):
    indicator = kpi(kumamoto.plan, baseline=1000, target=0, unit="%", values={2023: Decimal("0.4")})
    assert indicator.progress().ratio == Decimal("0.9996")  # 99.96 % would round to 100.0
    assert indicator.achievement_text().startswith("達成率 99.9%（")


@pytest.mark.parametrize("baseline, target, latest, shown", [
    (892, 714, 800, "51.7"),  # 92 / 178 = 51.685…%: cut, it read 「51%」
    (1000, 0, 142, "85.8"),  # 858 / 1000 = 85.8%: cut, it read 「85%」
    (2000, 0, 967, "51.7"),  # 1033 / 2000 = 51.65% exactly: half up, where float rounding and half-even give 51.6
    (2000, 0, 969, "51.6"),  # 51.55% exactly: half up to 51.6
])
def test_the_rate_is_rounded_half_up_to_one_decimal_place_as_public_bodies_round(
    kumamoto, baseline, target, latest, shown
):
    indicator = kpi(kumamoto.plan, baseline=baseline, target=target, values={2023: latest})
    assert str(indicator.progress().percent) == shown
    assert indicator.achievement_text().startswith(f"達成率 {shown}%（")


def test_a_target_without_a_direction_has_no_bound_and_its_rate_follows_the_baseline(kumamoto):
    # 「実施率を100%にする」: the source states no 「以上」, so none is printed; the rate goes from 80% toward 100%.
    indicator = kpi(kumamoto.plan, direction="", name="実施率", unit="%", baseline=80, target=100,
                    values={2023: 90})
    indicator.full_clean()  # a target needs no direction
    assert indicator.target_label == "100%"
    assert indicator.achievement_text() == "達成率 50.0%（基準値80%→最新90%／目標100%）"
    without_a_baseline = kpi(kumamoto.plan, direction="", name="相談件数", baseline=None, target=100,
                             values={2023: 90})
    assert without_a_baseline.progress() is None and without_a_baseline.progress_text() == ""


def test_no_rate_without_a_baseline_or_a_value_after_it(kumamoto):
    assert kpi(kumamoto.plan, name="a", baseline=None, values={2023: 500}).achievement_text() == ""
    only_the_baseline = kpi(kumamoto.plan, name="b", values={2019: 564})
    assert only_the_baseline.achievement_text() == ""
    assert only_the_baseline.progress_text() == "目標まで残り114人"


def test_a_calendar_baseline_with_a_fiscal_year_target_labels_each_in_its_own_kind(kumamoto):
    # 「令和2年 120人 → 令和8年度末 100人以下」: police statistics by calendar year, a target by the end of a 年度.
    indicator = kpi(kumamoto.plan, baseline=120, baseline_year=2020, target=100, target_year=2026,
                    target_period_kind=Indicator.PeriodKind.FISCAL, values={2023: 110})
    assert indicator.baseline_label == "令和2年 120人"
    assert indicator.target_period_label() == "令和8年度末"
    assert indicator.values.get().period_label == "令和5年"
    assert indicator.achievement_text() == "達成率 50.0%（基準値120人→最新110人／目標100人以下）"


def test_the_target_year_follows_the_indicator_unless_told_otherwise(kumamoto):
    calendar = kpi(kumamoto.plan, name="a")
    fiscal = kpi(kumamoto.plan, name="b", period_kind=Indicator.PeriodKind.FISCAL)
    assert (calendar.target_period_label(), fiscal.target_period_label()) == ("令和7年", "令和7年度末")


def test_multi_year_averages_are_labelled_and_rated_by_their_last_year(kumamoto):
    indicator = kpi(kumamoto.plan, baseline=Decimal("30.0"), target=Decimal("20.0"), unit="%",
                    period_kind=Indicator.PeriodKind.AVERAGE, average_years=5, target_year=2027,
                    values={2022: Decimal("26.0")})
    assert indicator.baseline_label == "平成27年～令和元年平均 30%"
    assert indicator.target_period_label() == "令和5年～令和9年平均"
    assert indicator.achievement_text() == "達成率 40.0%（基準値30%→最新26%／目標20%以下）"


# ------------------------------------------------------------------ the chart


def test_the_chart_plots_the_baseline_every_value_and_the_target_at_its_year(kumamoto):
    indicator = kpi(kumamoto.plan, baseline=120, baseline_year=2020, target=100, target_year=2026,
                    target_period_kind=Indicator.PeriodKind.FISCAL, values={2022: 115, 2023: 110})
    svg = indicator_chart_svg(indicator)
    label = re.search(r'aria-label="([^"]*)"', svg).group(1)
    assert label == "再犯者数の推移：基準値 令和2年 120人。令和4年 115人、令和5年 110人。目標 令和8年度末 100人以下"
    # Ticks under the baseline, each value and the target, and the legend names the baseline and the target.
    for text in ("令和2年", "令和4年", "令和5年", "令和8年度末", "基準値（令和2年）", "目標 令和8年度末 100人以下"):
        assert f">{text}<" in svg, text


def test_the_chart_is_the_same_svg_whatever_prefixes_other_libraries_gave_elementtree(kumamoto, monkeypatch):
    """WeasyPrint, openpyxl and others register XML prefixes process-wide: the page's chart must stay an
    <svg> a browser draws, never an <ns0:svg> or <svg:svg>."""
    indicator = kpi(kumamoto.plan, values={2022: 500})
    monkeypatch.setitem(ET._namespace_map, "http://www.w3.org/2000/svg", "svg")
    monkeypatch.setitem(ET._namespace_map, "http://www.w3.org/1999/xlink", "ns9")
    svg = indicator_chart_svg(indicator)
    assert svg.startswith('<svg role="img" aria-label="再犯者数の推移：基準値 令和元年 564人。令和4年 500人。')
    assert svg.endswith("</svg>") and 'xmlns="http://www.w3.org/2000/svg"' in svg
    assert re.search(r'<use xlink:href="#m\w+"', svg), "the markers drawn from their <defs>"


# ------------------------------------------------------------------ what residents read


@pytest.fixture
def published_kpi(kumamoto):
    """熊本市's KPI (基準値 令和元年 564人, 目標 450人以下) with 500人 in 令和4年, and a mixed-kind KPI."""
    kumamoto.indicator.delete()
    kpi(kumamoto.plan, values={2022: 500}, target_year=None)
    kpi(kumamoto.plan, name="20歳未満の再犯者数", baseline=120, baseline_year=2020, target=100, target_year=2026,
        target_period_kind=Indicator.PeriodKind.FISCAL, values={2023: 110})
    publish(kumamoto.plan)
    return kumamoto.plan


def test_the_plan_page_says_the_rate_in_words_and_numbers(client, published_kpi):
    text = page_text(client, f"/plans/{published_kpi.pk}/")
    assert "達成率 56.1%（基準値564人→最新500人／目標450人以下） 目標まで残り50人" in text
    assert "小数第2位を四捨五入して小数第1位まで示します" in text  # the rule, where the rate is shown
    assert "目標値 令和8年度末 100人以下" in text and "令和8年 100人以下" not in text
    assert "基準値（令和2年） 120人" in text  # the baseline row of the table, not entered as a yearly value


def test_the_public_summary_pdf_prints_the_rate(client, published_kpi, run_jobs):
    run_jobs()
    response = client.get(f"/plans/{published_kpi.pk}/summary.pdf")
    text = re.sub(r"\s+", "", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.getvalue())).pages))
    assert "達成率56.1%（基準値564人→最新500人／目標450人以下）" in text
    assert "小数第2位を四捨五入" in text
    assert "（目標年：令和8年度末）" in text


def test_the_open_data_carries_the_rate_and_the_target_year_label(client, published_kpi):
    data = json.loads(client.get(f"/opendata/plans/{published_kpi.pk}.json").getvalue())
    by_name = {i["name"]: i for i in data["indicators"]}
    assert by_name["再犯者数"]["achievement"] == "達成率 56.1%（基準値564人→最新500人／目標450人以下）"
    assert by_name["再犯者数"]["achievement_percent"] == 56.1
    assert "小数第2位を四捨五入" in data["achievement_rule"]
    assert by_name["20歳未満の再犯者数"]["target"]["period_label"] == "令和8年度末"
    rows = list(csv.DictReader(io.StringIO(
        client.get(f"/opendata/plans/{published_kpi.pk}/indicators.csv").getvalue().decode("utf-8-sig")
    )))
    row = next(r for r in rows if r["指標名"] == "20歳未満の再犯者数")
    assert (row["目標年の表記"], row["達成率"], row["達成率（%）"]) == (
        "令和8年度末", "達成率 50.0%（基準値120人→最新110人／目標100人以下）", "50"
    )
    assert next(r for r in rows if r["指標名"] == "再犯者数")["達成率（%）"] == "56.1"


def test_the_accessibility_page_explains_the_rounding(client, db):
    text = page_text(client, "/accessibility/")
    assert "達成率の計算と端数の処理" in text and "51.7%" in text and "小数第2位を四捨五入" in text
