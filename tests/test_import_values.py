"""Cells as people type them in Excel: fiscal years, dates, times, numbers, rates, ○."""

import datetime
from decimal import Decimal

import pytest

from reoffense_portal.machinery.eras import DatePrecision, TypedDate, parse_date, parse_year
from reoffense_portal.machinery.spreadsheets.cells import parse_bool, parse_decimal, parse_integer, parse_time


@pytest.mark.parametrize("typed, fiscal_year", [
    ("2024", 2024), (2024, 2024), (2024.0, 2024), ("２０２４", 2024), ("2024年度", 2024), ("令和6年度", 2024),
    ("令和６年度", 2024), ("令和6", 2024), ("R6", 2024), ("r6年度", 2024), ("Ｒ６年度", 2024), ("令和元年度", 2019),
    ("R1", 2019), ("平成31年度", 2019), ("H30年度", 2018), ("平成30", 2018), (" 令和 7 年度 ", 2025),
])
def test_fiscal_years_written_the_usual_ways(typed, fiscal_year):
    assert parse_year(typed, fiscal=True) == fiscal_year


@pytest.mark.parametrize("typed, message", [
    ("R6年", "“R6年” を年度として読めません（「年」は暦年の書き方です。"),
    ("2024年", "“2024年” を年度として読めません（「年」は暦年の書き方です。"),
    ("令和6年", "“令和6年” を年度として読めません（「年」は暦年の書き方です。"),
    ("FY2024", "“FY2024” を年度として読めません"),
    ("平成35年度", "平成35年はありません（平成は31年までです）"),
    ("昭和70年度", "昭和70年はありません（昭和は64年までです）"),
    ("令和0年度", "令和0年はありません"),
    ("1900", "“1900” は年度として範囲外です"),
    ("12345", "“12345” を年度として読めません"),
    (2024.5, "“2024.5” を年度として読めません"),
    (datetime.date(2024, 4, 1), "“2024-04-01” を年度として読めません"),
])
def test_fiscal_years_that_cannot_be_read_are_explained(typed, message):
    with pytest.raises(ValueError) as error:
        parse_year(typed, fiscal=True)
    assert str(error.value).startswith(message)


def test_a_calendar_year_column_takes_both_suffixes():
    assert parse_year("令和元年", fiscal=False) == 2019
    assert parse_year("R5年度", fiscal=False) == 2023
    assert parse_year("", fiscal=False) is None


@pytest.mark.parametrize("typed", ["2024-05-20", "2024/5/20", "2024.5.20", "2024年5月20日", "令和6年5月20日",
                                   "R6.5.20", "Ｒ６．５．２０", datetime.datetime(2024, 5, 20), datetime.date(2024, 5, 20)])
def test_dates(typed):
    assert parse_date(typed) == TypedDate(datetime.date(2024, 5, 20), DatePrecision.DAY)


@pytest.mark.parametrize("typed, message", [
    ("平成31年5月1日", "は平成の期間にない日付です"),  # 令和 began on 1 May 2019
    ("令和1年4月30日", "は令和の期間にない日付です"),
    ("2024/2/30", "は存在しない日付です"),
    ("45432", "を日付として読めません"),
    ("来週", "を日付として読めません"),
])
def test_dates_from_the_wrong_era_or_that_do_not_exist_are_refused(typed, message):
    with pytest.raises(ValueError, match=message):
        parse_date(typed)


def test_times():
    assert parse_time("14:00") == parse_time("14時") == parse_time("１４：００") == datetime.time(14)
    assert parse_time("9時30分") == datetime.time(9, 30)
    with pytest.raises(ValueError, match="を時刻として読めません"):
        parse_time("25:00")


def test_integers_with_separators_and_units_and_limits():
    assert parse_integer("1,500,000円", maximum=10**12) == 1500000
    assert parse_integer("１２件", maximum=100) == 12
    assert parse_integer(1500000.0, maximum=10**12) == 1500000
    with pytest.raises(ValueError, match="0以上"):
        parse_integer("-1", maximum=100)
    with pytest.raises(ValueError, match="大きすぎます"):
        parse_integer("9" * 40, maximum=2**31 - 1)
    with pytest.raises(ValueError, match="整数ではありません"):
        parse_integer(1.5, maximum=100)


def test_rates_as_fractions_percentages_or_decimals():
    assert parse_decimal("1/2", rate=True) == parse_decimal("50%", rate=True) == parse_decimal(0.5, rate=True) == Decimal("0.5")
    assert parse_decimal("2/3", rate=True) == Decimal("0.667")
    for bad in ("1/0", "2", "-0.5", "NaN", "inf"):
        with pytest.raises(ValueError):
            parse_decimal(bad, rate=True)


def test_decimals_keep_their_sign_and_refuse_the_absurd():
    assert parse_decimal("-3.5") == Decimal("-3.5")
    assert parse_decimal("1,107") == Decimal("1107")
    with pytest.raises(ValueError, match="大きすぎます"):
        parse_decimal("1" * 30)


def test_checkmarks():
    assert parse_bool("○") and parse_bool("〇") and parse_bool("はい") and parse_bool(True)
    assert not parse_bool("") and not parse_bool(None) and not parse_bool("×")
    with pytest.raises(ValueError, match="「○」"):
        parse_bool("たぶん")


@pytest.mark.parametrize("typed, first_day, precision", [
    ("令和5年12月", datetime.date(2023, 12, 1), DatePrecision.MONTH),
    ("2023/12", datetime.date(2023, 12, 1), DatePrecision.MONTH),
    ("R5.12", datetime.date(2023, 12, 1), DatePrecision.MONTH),
    ("令和元年5月", datetime.date(2019, 5, 1), DatePrecision.MONTH),
    ("令和5年度", datetime.date(2023, 4, 1), DatePrecision.FISCAL_YEAR),
    ("２０２３年度", datetime.date(2023, 4, 1), DatePrecision.FISCAL_YEAR),
    ("令和元年度", datetime.date(2019, 4, 1), DatePrecision.FISCAL_YEAR),  # by convention, though begun under 平成
])
def test_a_date_as_precise_as_the_source(typed, first_day, precision):
    assert parse_date(typed, precise=True) == TypedDate(first_day, precision)


@pytest.mark.parametrize("typed, message", [
    ("令和元年4月", "“令和元年4月” は令和の期間にない日付です（令和は2019年5月1日からです）。"),
    ("平成31年5月", "“平成31年5月” は平成の期間にない日付です（平成は2019年4月30日までです）。"),
    ("2023/13", "“2023/13” は存在しない月です。"),
])
def test_months_that_never_were_are_refused(typed, message):
    with pytest.raises(ValueError) as error:
        parse_date(typed, precise=True)
    assert str(error.value).startswith(message)


def test_a_date_column_without_precision_wants_the_day():
    with pytest.raises(ValueError, match="“令和5年12月” は日まで入力してください。日付は「2024/4/1」"):
        parse_date("令和5年12月")
