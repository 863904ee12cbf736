"""和暦 and 年度 labels as Japanese municipal documents write them."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reoffense_portal.machinery import eras


@pytest.mark.parametrize(
    ("fiscal_year", "label"),
    [
        (
            2019,
            "令和元年度",
        ),  # began under 平成 (1 April 2019) but is named 令和元年度 by convention
        (2018, "平成30年度"),
        (2020, "令和2年度"),
        (2024, "令和6年度"),
        (1989, "平成元年度"),
        (1988, "昭和63年度"),
    ],
)
def test_fiscal_year_label(fiscal_year, label):
    assert eras.fiscal_year_label(fiscal_year) == label


def test_fiscal_year_full_label_gives_both_forms():
    assert eras.fiscal_year_full_label(2024) == "令和6年度（2024年度）"
    assert eras.fiscal_year_full_label(2019) == "令和元年度（2019年度）"
    assert eras.fiscal_year_full_label(2018) == "平成30年度（2018年度）"


def test_calendar_year_labels_say_nen_not_nendo():
    assert eras.year_label(2019) == "令和元年"
    assert eras.year_label(2015) == "平成27年"
    assert eras.year_full_label(2019) == "令和元年（2019年）"
    assert eras.era_year(2018) == "平成30"


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (datetime.date(2019, 4, 30), "平成31年4月30日"),
        (datetime.date(2019, 5, 1), "令和元年5月1日"),
        (datetime.date(2024, 12, 24), "令和6年12月24日"),
        (datetime.date(1989, 1, 7), "昭和64年1月7日"),
        (datetime.date(1989, 1, 8), "平成元年1月8日"),
    ],
)
def test_japanese_date_is_exact_at_era_boundaries(day, label):
    assert eras.japanese_date(day) == label


def test_japanese_month():
    assert eras.japanese_month(datetime.date(2021, 12, 1)) == "令和3年12月"
    assert eras.japanese_month(datetime.date(2026, 3, 31)) == "令和8年3月"


@pytest.mark.parametrize(
    ("day", "fiscal_year"),
    [
        (datetime.date(2025, 3, 31), 2024),
        (datetime.date(2025, 4, 1), 2025),
        (datetime.date(2024, 12, 24), 2024),
        (datetime.date(2020, 1, 1), 2019),
    ],
)
def test_fiscal_year_of(day, fiscal_year):
    assert eras.fiscal_year_of(day) == fiscal_year


@given(st.dates(min_value=datetime.date(1927, 1, 1), max_value=datetime.date(2100, 12, 31)))
def test_fiscal_year_of_any_day(day):
    fiscal_year = eras.fiscal_year_of(day)
    assert datetime.date(fiscal_year, 4, 1) <= day <= datetime.date(fiscal_year + 1, 3, 31)


def test_years_before_showa_are_refused():
    with pytest.raises(ValueError):
        eras.fiscal_year_label(1920)
    with pytest.raises(ValueError):
        eras.japanese_date(datetime.date(1926, 12, 24))


def test_fiscal_year_choices_newest_first():
    choices = eras.fiscal_year_choices(2017, 2020)
    assert choices == [
        (2020, "令和2年度（2020年度）"),
        (2019, "令和元年度（2019年度）"),
        (2018, "平成30年度（2018年度）"),
        (2017, "平成29年度（2017年度）"),
    ]


def test_wareki_template_filters():
    from django.template import Context, Template

    rendered = Template(
        "{% load wareki %}{{ fy|fiscal_year }}|{{ fy|fiscal_year_short }}|{{ day|wareki }}|{{ none|fiscal_year }}"
    ).render(Context({"fy": 2019, "day": datetime.date(2019, 5, 1), "none": None}))
    assert rendered == "令和元年度（2019年度）|令和元年度|令和元年5月1日|"


def test_fiscal_year_choices_follow_the_japanese_date(monkeypatch):
    # 1 April 2025 in Tokyo is still 31 March in UTC until 09:00: the new fiscal year must be offered.
    monkeypatch.setattr(eras.timezone, "localdate", lambda: datetime.date(2025, 4, 1))
    assert eras.fiscal_year_choices(2024)[0] == (2026, "令和8年度（2026年度）")
    assert [fy for fy, _ in eras.fiscal_year_choices(2024)] == [2026, 2025, 2024]
