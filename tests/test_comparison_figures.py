"""The prefecture's and the nation's figures beside a city's statistic are facts of their own.

A plan prints 「熊本県 8,360人」 beside the city's figure, often with no year: staff enter it on the indicator's
page (比較の値) with its time as the source states it, and residents read it beside the city's figure on
the page, as a column of the 概要版's table and in the open data — never as loose notes in 備考.
"""

import csv
import io
import json
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader

from plans.models import Indicator, IndicatorComparison
from tests.job_queue import run_queued_tasks, staff_pdf
from tests.public_data import publish
from tests.staff_world import change_url, form_data, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def city():
    city_a, _ = make_world()
    return city_a


@pytest.fixture
def statistic(city):
    """熊本市's 刑法犯認知件数 as a source gives it: one figure 「令和2年国勢調査時点」 and no yearly values."""
    return Indicator.objects.create(
        plan=city.plan, kind=Indicator.Kind.STATISTIC, name="刑法犯認知件数", unit="件",
        baseline_value=Decimal(5210), as_of_text="令和4年", source="熊本県警察",
    )


def page_text(client, url) -> str:
    html = re.sub(r"<svg\b.*?</svg>", "", client.get(url).content.decode(), flags=re.DOTALL)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_staff_enter_a_prefecture_figure_without_a_year_on_the_indicators_page(client, city, statistic):
    client.force_login(city.editor)
    data = form_data(client, statistic)
    data.update({
        "comparisons-TOTAL_FORMS": "2",
        "comparisons-0-scope": "prefecture", "comparisons-0-value": "8360", "comparisons-0-as_of_text": "",
        "comparisons-0-year": "", "comparisons-0-label": "",
        "comparisons-1-scope": "other", "comparisons-1-label": "", "comparisons-1-value": "12",
        "comparisons-1-as_of_text": "", "comparisons-1-year": "",
    })
    response = client.post(change_url(statistic), data)
    assert response.status_code == 200  # 「その他」 needs the name of what is compared
    assert "比較の対象が「その他」のときは、対象の名前を入力してください。" in response.content.decode()
    data.update({"comparisons-1-label": "中核市の平均", "comparisons-1-year": "令和3年"})
    response = client.post(change_url(statistic), data)
    assert response.status_code == 302
    prefecture, other = statistic.comparisons.all()
    assert (prefecture.subject, prefecture.value, prefecture.year, prefecture.when_label) == (
        "熊本県", Decimal(8360), None, ""
    )
    assert (other.subject, other.year) == ("中核市の平均", 2021)


def test_residents_read_the_figures_beside_the_citys_on_the_page_the_pdf_and_the_open_data(client, city, statistic):
    IndicatorComparison.objects.create(indicator=statistic, scope="prefecture", value=Decimal(8360),
                                       as_of_text="令和4年")
    IndicatorComparison.objects.create(indicator=statistic, scope="nation", value=Decimal(601331))
    IndicatorComparison.objects.create(indicator=statistic, scope="other", label="中核市の平均", value=2,
                                       year=2022)  # a small count: masked for residents like the city's own
    publish(city.plan)

    text = page_text(client, city.plan.get_absolute_url())
    assert ("刑法犯認知件数の比較（単位：件） 対象 値 時点 熊本市 5,210件 令和4年 熊本県 8,360件 令和4年 "
            "全国 601,331件 記載なし 中核市の平均 3件未満 令和4") in text
    assert "2件" not in text

    run_queued_tasks()  # the job worker typesets the 概要版 approval queued
    pdf = client.get(f"/plans/{city.plan.pk}/summary.pdf")
    pdf_text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.getvalue())).pages))
    # The 主な統計 table: a column per subject; a figure of another time than the row's says its own.
    assert "項目時点熊本市熊本県全国中核市の平均出典" in pdf_text
    assert "刑法犯認知件数令和4年5,210件8,360件601,331件（時点の記載なし）3件未満（令和4）熊本県警察" in pdf_text

    data = json.loads(client.get(f"/opendata/plans/{city.plan.pk}.json").getvalue())
    [indicator] = [i for i in data["indicators"] if i["name"] == "刑法犯認知件数"]
    assert indicator["comparisons"] == [
        {"scope": "都道府県", "subject": "熊本県", "value": 8360, "as_of": "令和4年", "year": None, "label": "令和4年"},
        {"scope": "全国", "subject": "全国", "value": 601331, "as_of": "", "year": None, "label": ""},
        {"scope": "その他", "subject": "中核市の平均", "value": "3件未満", "as_of": "", "year": 2022,
         "label": "令和4"},
    ]
    rows = list(csv.DictReader(io.StringIO(
        client.get(f"/opendata/plans/{city.plan.pk}/indicator-comparisons.csv").getvalue().decode("utf-8-sig")
    )))
    assert [(r["指標名"], r["対象の名前"], r["値"], r["単位"], r["時点"], r["年（年度）"]) for r in rows] == [
        ("刑法犯認知件数", "熊本県", "8360", "件", "令和4年", ""),
        ("刑法犯認知件数", "全国", "601331", "件", "", ""),
        ("刑法犯認知件数", "中核市の平均", "3件未満", "件", "", "2022"),
    ]


def test_staff_pdfs_keep_the_exact_comparison_figure(client, city, statistic):
    IndicatorComparison.objects.create(indicator=statistic, scope="prefecture", value=Decimal(2), as_of_text="令和4年")
    client.force_login(city.editor)
    pdf = staff_pdf(client, f"/admin/summaries/plans/{city.plan.pk}/summary.pdf")
    pdf_text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.getvalue())).pages))
    assert "刑法犯認知件数令和4年5,210件2件熊本県警察" in pdf_text


def test_a_prefecture_figure_entered_both_as_the_years_value_and_as_a_comparison_is_printed_once(client, city):
    """Staff put 熊本県's 8,360件 of 令和4年 on the yearly row (都道府県の値) and again under 比較の値: one fact."""
    statistic = Indicator.objects.create(plan=city.plan, kind=Indicator.Kind.STATISTIC, name="刑法犯認知件数",
                                         unit="件", period_kind=Indicator.PeriodKind.CALENDAR, source="熊本県警察")
    statistic.values.create(year=2022, value=Decimal(5210), prefecture_value=Decimal(8360))
    IndicatorComparison.objects.create(indicator=statistic, scope="prefecture", value=Decimal(8360), year=2022)
    IndicatorComparison.objects.create(indicator=statistic, scope="nation", value=Decimal(601331),
                                       as_of_text="令和4年")  # a figure of its own: only here
    publish(city.plan)

    text = page_text(client, city.plan.get_absolute_url())
    assert "令和4年 5,210件 8,360件 －" in text  # the yearly table
    assert ("刑法犯認知件数の比較（単位：件） 対象 値 時点 熊本市 5,210件 令和4年 全国 601,331件 令和4年 ") in text
    assert text.count("8,360件") == 1

    run_queued_tasks()
    pdf = client.get(f"/plans/{city.plan.pk}/summary.pdf")
    pdf_text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.getvalue())).pages))
    assert "刑法犯認知件数令和4年5,210件8,360件601,331件熊本県警察" in pdf_text

    data = json.loads(client.get(f"/opendata/plans/{city.plan.pk}.json").getvalue())
    [indicator] = [i for i in data["indicators"] if i["name"] == "刑法犯認知件数"]
    assert [c["subject"] for c in indicator["comparisons"]] == ["全国"]
    assert indicator["values"][0]["prefecture_value"] == 8360
    rows = list(csv.DictReader(io.StringIO(
        client.get(f"/opendata/plans/{city.plan.pk}/indicator-comparisons.csv").getvalue().decode("utf-8-sig")
    )))
    assert [r["対象の名前"] for r in rows] == ["全国"]


def test_the_indicators_page_says_where_a_prefecture_figure_without_a_year_goes(client, city, statistic):
    client.force_login(city.editor)
    for url in (change_url(statistic), change_url(city.value)):
        page = client.get(url).content.decode()
        assert "都道府県の同じ年の値です。市の値と並べて年ごとの表に載ります。年の記載がない値や時点の違う値は" \
               "「比較の値」に入力します（両方に同じ値を入力しても、表示は1回です）。" in page
