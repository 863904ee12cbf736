"""Japanese era (和暦) and fiscal year (年度): labels, and dates and years read as staff type them.

A fiscal year runs from 1 April to 31 March and is named after the year it
starts in. By administrative convention FY2019 is 令和元年度 although it
began under 平成, and calendar statistics for 2019 say 令和元年.
"""

import datetime
import re
from dataclasses import dataclass

from django.db import models
from django.utils import timezone

from reoffense_portal.machinery.text import normalised, shown

# (first day of the era, name), newest first.
ERAS = [
    (datetime.date(2019, 5, 1), "令和"),
    (datetime.date(1989, 1, 8), "平成"),
    (datetime.date(1926, 12, 25), "昭和"),
]


def fiscal_year_of(day: datetime.date) -> int:
    """The fiscal year a day belongs to (2025-03-31 is in FY2024)."""
    return day.year if day.month >= 4 else day.year - 1


def _era_of_year(year: int) -> tuple[str, int]:
    """The era a whole year is named after: the one in force at its end."""
    for start, name in ERAS:
        if year >= start.year:
            return name, year - start.year + 1
    raise ValueError(f"{year}年は昭和より前です")


def _number(n: int) -> str:
    return "元" if n == 1 else str(n)


def era_year(year: int) -> str:
    """2019 → 令和元, 2024 → 令和6, 2018 → 平成30."""
    name, n = _era_of_year(year)
    return f"{name}{_number(n)}"


def year_label(year: int) -> str:
    """A calendar year, as statistics say it: 令和元年."""
    return f"{era_year(year)}年"


def fiscal_year_label(fiscal_year: int) -> str:
    """令和6年度."""
    return f"{era_year(fiscal_year)}年度"


def fiscal_year_full_label(fiscal_year: int) -> str:
    """Both forms, as Japanese documents write them: 令和6年度（2024年度）."""
    return f"{fiscal_year_label(fiscal_year)}（{fiscal_year}年度）"


def year_full_label(year: int) -> str:
    """令和元年（2019年）."""
    return f"{year_label(year)}（{year}年）"


def japanese_date(day: datetime.date) -> str:
    """A day in 和暦, exact to the era boundary: 令和6年12月24日."""
    for start, name in ERAS:
        if day >= start:
            return f"{name}{_number(day.year - start.year + 1)}年{day.month}月{day.day}日"
    raise ValueError(f"{day}は昭和より前です")


def japanese_month(day: datetime.date) -> str:
    """令和3年12月."""
    return japanese_date(day).split("月")[0] + "月"


def fiscal_year_choices(first: int = 2017, last: int | None = None) -> list[tuple[int, str]]:
    """Choices for forms and filters, newest first."""
    last = last or fiscal_year_of(timezone.localdate()) + 1  # Japan's date, not the server's
    return [(fy, fiscal_year_full_label(fy)) for fy in range(last, first - 1, -1)]


# --- dates as precise as the source -------------------------------------------------------------


class DatePrecision(models.TextChoices):
    """How much of a date the source states. A month or a fiscal year is stored as its first day."""

    DAY = "day", "日"
    MONTH = "month", "月"
    FISCAL_YEAR = "fiscal_year", "年度"


def date_label(day: datetime.date, precision: str = DatePrecision.DAY) -> str:
    """令和6年4月1日, 令和5年12月 or 令和5年度: no more precise than the source."""
    if precision == DatePrecision.MONTH:
        return japanese_month(day)
    if precision == DatePrecision.FISCAL_YEAR:
        return fiscal_year_label(fiscal_year_of(day))
    return japanese_date(day)


def date_full_label(day: datetime.date, precision: str = DatePrecision.DAY) -> str:
    """令和6年4月1日（2024年4月1日）, 令和5年12月（2023年12月） or 令和5年度（2023年度）."""
    western = _western(day) if precision == DatePrecision.DAY else written_date(day, precision)
    return f"{date_label(day, precision)}（{western}）"


def written_date(day: datetime.date, precision: str = DatePrecision.DAY) -> str:
    """The date as forms and spreadsheets write it, and parse_date reads it back: 2024-04-01, 2023年12月, 2023年度."""
    if precision == DatePrecision.MONTH:
        return f"{day.year}年{day.month}月"
    if precision == DatePrecision.FISCAL_YEAR:
        return f"{fiscal_year_of(day)}年度"
    return day.isoformat()


@dataclass(frozen=True)
class TypedDate:
    """A date as typed: its (first) day and its precision."""

    day: datetime.date
    precision: str = DatePrecision.DAY


# --- reading what staff type (admin fields and spreadsheet cells alike) -----------------------------

ERA_NAMES = {"令和": "令和", "R": "令和", "平成": "平成", "H": "平成", "昭和": "昭和", "S": "昭和"}
ERA_STARTS = {name: start for start, name in ERAS}
ERA_LAST_YEAR = {"平成": 31, "昭和": 64}  # 令和 is open
YEAR_RANGE = (1950, 2100)

# A year written 2024, 令和6, R6 or 令和元 (groups: western year, era, era year).
_YEAR = r"(?:(\d{4})|(令和|平成|昭和|R|H|S)(\d{1,2}|元))"
_DAY = re.compile(_YEAR + r"[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:00:00(?::00)?)?", re.IGNORECASE)
_MONTH = re.compile(_YEAR + r"[-/.年](\d{1,2})月?", re.IGNORECASE)
_FISCAL_YEAR = re.compile(_YEAR + r"年度", re.IGNORECASE)

DATE_HINT = "日付は「2024/4/1」「令和6年4月1日」「R6.4.1」のように入力してください。"
PRECISE_DATE_HINT = DATE_HINT + "日が分からないときは「令和5年12月」、月も分からないときは「令和5年度」のように入力できます。"
PERIOD_HINT = (
    "日付は「2024/4/1」「令和6年4月1日」のように、月までなら「令和3年12月」、年度なら「令和6年度」のように入力してください。"
)
FISCAL_YEAR_HINT = "「2024」「令和6年度」「R6年度」のように入力してください"
CALENDAR_YEAR_HINT = "「2019」「令和元年」「R1」のように入力してください"


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _era_year(era: str, number: str) -> int:
    """The western year of 令和6 (2024); an era year that never was is refused."""
    name = ERA_NAMES[era.upper()]
    n = 1 if number == "元" else int(number)
    last = ERA_LAST_YEAR.get(name)
    if n < 1 or (last is not None and n > last):
        raise ValueError(f"{name}{number}年はありません（{name}は{last}年までです）" if last else f"{name}{number}年はありません")
    return ERA_STARTS[name].year + n - 1


def _year_of(match) -> tuple[int, str | None]:
    """The western year of a _YEAR match, and the era it was written in (None for 2024)."""
    western, era, number = match.group(1, 2, 3)
    if western:
        return int(western), None
    return _era_year(era, number), ERA_NAMES[era.upper()]


def _western(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _check_era(value, era: str, first: datetime.date, last: datetime.date) -> None:
    """令和1年4月1日 is before 令和 began (2019-05-01), 平成31年5月1日 after 平成 ended."""
    start = ERA_STARTS[era]
    following = [s for s in ERA_STARTS.values() if s > start]
    if last < start:
        raise ValueError(f"{shown(value)} は{era}の期間にない日付です（{era}は{_western(start)}からです）。")
    if following and first >= min(following):
        end = min(following) - datetime.timedelta(days=1)
        raise ValueError(f"{shown(value)} は{era}の期間にない日付です（{era}は{_western(end)}までです）。")


def parse_date(value, *, precise: bool = False) -> TypedDate | None:
    """2024-04-01, 2024/4/1, 2024年4月1日, 令和6年4月1日, R6.4.1, 令和元年5月1日, full-width digits, or a date cell.

    With `precise`, also a month or a fiscal year as the source states it (令和5年12月, 2023/12,
    令和5年度), as its first day with that precision. A value that cannot be read raises
    ValueError with a Japanese message that says what is accepted.
    """
    if _blank(value):
        return None
    if isinstance(value, datetime.datetime):
        return TypedDate(value.date())
    if isinstance(value, datetime.date):
        return TypedDate(value)
    text = normalised(value)
    hint = PRECISE_DATE_HINT if precise else DATE_HINT
    if m := _DAY.fullmatch(text):
        year, era = _year_of(m)
        try:
            first = last = datetime.date(year, int(m.group(4)), int(m.group(5)))
        except ValueError:
            raise ValueError(f"{shown(value)} は存在しない日付です。{hint}") from None
        precision = DatePrecision.DAY
    elif m := _MONTH.fullmatch(text):
        year, era = _year_of(m)
        month = int(m.group(4))
        if not 1 <= month <= 12:
            raise ValueError(f"{shown(value)} は存在しない月です。{hint}")
        first = datetime.date(year, month, 1)
        last = (first + datetime.timedelta(days=31)).replace(day=1) - datetime.timedelta(days=1)
        precision = DatePrecision.MONTH
    elif m := _FISCAL_YEAR.fullmatch(text):
        year, era = _year_of(m)
        era = None  # 令和元年度 is FY2019 by convention, although it began under 平成
        first, last = datetime.date(year, 4, 1), datetime.date(year + 1, 3, 31)
        precision = DatePrecision.FISCAL_YEAR
    else:
        raise ValueError(f"{shown(value)} を日付として読めません。{hint}")
    if precision != DatePrecision.DAY and not precise:
        raise ValueError(f"{shown(value)} は日まで入力してください。{DATE_HINT}")
    if era is not None:
        _check_era(value, era, first, last)
    if not YEAR_RANGE[0] <= first.year <= YEAR_RANGE[1]:
        raise ValueError(f"{shown(value)} は日付として範囲外です（{YEAR_RANGE[0]}年～{YEAR_RANGE[1]}年）。")
    return TypedDate(first, precision)


class PeriodBound(models.TextChoices):
    """Which end of a period (a plan's 計画期間) a typed month or fiscal year stands for."""

    START = "start", "開始"
    END = "end", "終了"


def parse_period_bound(value, bound: str) -> datetime.date | None:
    """A day of a period as plans state it: 令和6年度 as the start is 2024-04-01, 令和8年度 as the end 2027-03-31.

    A month stands for its first day as a start and its last day as an end (令和3年12月から令和8年3月まで
    is 2021-12-01 to 2026-03-31); a day is that day. The period is then exact: 「令和8年度まで」 means up to
    its last day, no guess. ValueError in Japanese for anything else.
    """
    try:
        typed = parse_date(value, precise=True)
    except ValueError as error:
        raise ValueError(str(error).replace(PRECISE_DATE_HINT, PERIOD_HINT)) from None
    if typed is None or typed.precision == DatePrecision.DAY or bound == PeriodBound.START:
        return None if typed is None else typed.day
    if typed.precision == DatePrecision.MONTH:
        return (typed.day + datetime.timedelta(days=31)).replace(day=1) - datetime.timedelta(days=1)
    return datetime.date(typed.day.year + 1, 3, 31)  # the fiscal year's last day


def parse_year(value, *, fiscal: bool) -> int | None:
    """2024 from 2024, 2024年度, 令和6年度, R6年度, 令和元年度, H30 …

    For a fiscal year (年度) a value written as a calendar year (“R6年”,
    “2024年”) is refused: statistics and targets distinguish 年 from 年度 and
    a guess would silently mix them up. Bare numbers and era years without a
    suffix (2024, R6, 令和6) are read as the column says.
    """
    if _blank(value):
        return None
    label = "年度" if fiscal else "年"
    hint = FISCAL_YEAR_HINT if fiscal else CALENDAR_YEAR_HINT
    if isinstance(value, bool) or isinstance(value, (datetime.date, datetime.time)):
        raise ValueError(f"{shown(value)} を{label}として読めません（{hint}）")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"{shown(value)} を{label}として読めません（{hint}）")
        value = int(value)
    m = re.fullmatch(_YEAR + r"(年度|年)?", normalised(value), flags=re.IGNORECASE)
    if not m:
        raise ValueError(f"{shown(value)} を{label}として読めません（{hint}）")
    if fiscal and m.group(4) == "年":
        raise ValueError(f"{shown(value)} を年度として読めません（「年」は暦年の書き方です。{FISCAL_YEAR_HINT}）")
    year, _era = _year_of(m)
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        raise ValueError(f"{shown(value)} は{label}として範囲外です（{YEAR_RANGE[0]}～{YEAR_RANGE[1]}）")
    return year
