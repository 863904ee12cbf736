"""Japanese era (和暦) and fiscal year (年度) labels.

A fiscal year runs from 1 April to 31 March and is named after the year it
starts in. By administrative convention FY2019 is 令和元年度 although it
began under 平成, and calendar statistics for 2019 say 令和元年.
"""

import datetime

from django.utils import timezone

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
