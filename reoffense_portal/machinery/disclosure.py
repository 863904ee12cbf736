"""Small-number protection: counts about people below `SMALL_NUMBER_THRESHOLD` are never published exactly.

A count is about people when it is a programme's 支援件数 or a value of an
indicator counted in persons, cases or households (`PEOPLE_UNITS`). Residents
read such a count below the threshold, zero included, as 「3人未満」 (in its own
unit) on the public pages, the public 概要版 and the open data. Staff screens,
staff PDFs and staff exports keep the exact numbers. Targets are goals, not
counts of anyone, and are always shown. The rule is stated to residents on the
accessibility and data policy page.
"""

from decimal import Decimal

from django.conf import settings

# Units that count people (or what happened to them): 人, 名, 件, 世帯. Rates (%) and counts of
# organisations (社, 団体) are never masked.
PEOPLE_UNITS = frozenset({"人", "名", "件", "世帯"})
SUPPORT_COUNT_UNIT = "件"


def threshold() -> int:
    return settings.SMALL_NUMBER_THRESHOLD


def is_small_count(value: Decimal | int | None, unit: str) -> bool:
    """Whether a published value must be masked: a count about people below the threshold."""
    return value is not None and unit in PEOPLE_UNITS and value < threshold()


def small_count_label(unit: str) -> str:
    """3人未満 (for the unit of the count)."""
    return f"{threshold()}{unit}未満"


def rule_text() -> str:
    """The rule as the data policy page states it."""
    limit = threshold()
    return (
        f"個人が特定されることのないよう、人数・件数・世帯数など人に関する数値が{limit}未満"
        f"（0を含む）のときは、ページ・概要版（PDF）・オープンデータのいずれでも正確な数値を掲載せず、"
        f"「{limit}人未満」「{limit}件未満」のように表示します。率（%）、団体数、目標値は対象外です。"
    )


def note() -> str:
    """What a masked figure means, printed beside it."""
    return (
        f"「{small_count_label('人')}」などの表示は、個人が特定されることのないよう、"
        f"人に関する{threshold()}未満の数値を伏せたものです。"
    )
