"""Cells as people type them in Excel, read into one canonical value each.

「1,500,000」「1/2」「○」「14時」 become 1500000, 0.5, True and 14:00; dates
and years (「令和6年度」「R6年度」「令和6年5月20日」) are read by the one
Japanese date parser, reoffense_portal.machinery.eras, as in the admin's fields. A value
that cannot be read raises ValueError with a Japanese message, which the
resource turns into one naming the row and the column.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

from reoffense_portal.machinery.numbers import figure_text
from reoffense_portal.machinery.text import normalised, plain_text, shown


def blank(value) -> bool:
    """An empty cell: nothing, or only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def parse_time(value) -> datetime.time | None:
    """14:00, 14:30:00, 14時, 14時30分, or an Excel time cell."""
    if blank(value):
        return None
    if isinstance(value, datetime.datetime):
        return value.time()
    if isinstance(value, datetime.time):
        return value
    text = normalised(value)
    m = re.fullmatch(r"(\d{1,2})(?::(\d{2})(?::(\d{2}))?|時(?:(\d{1,2})分)?)", text)
    if m:
        hour, minute = int(m.group(1)), int(m.group(2) or m.group(4) or 0)
        if hour < 24 and minute < 60:
            return datetime.time(hour, minute)
    raise ValueError(f"{shown(value)} を時刻として読めません（「14:00」のように入力してください）")


def parse_decimal(value, *, rate: bool = False) -> Decimal | None:
    """1,107 / 44.8% / 0.5 — and for a rate also 1/2 or 50%."""
    if blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{shown(value)} を数値として読めません")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        number = Decimal(repr(value))
    else:
        text, unit = figure_text(value)  # 「1,107」「44.8%」「49,653件」; 「1,2,3」 refused
        percent = unit == "%"
        m = re.fullmatch(r"(\d+)/(\d+)", text) if rate else None
        try:
            if m:
                if int(m.group(2)) == 0:
                    raise InvalidOperation
                number = Decimal(m.group(1)) / Decimal(m.group(2))
            else:
                if not re.fullmatch(r"-?\d+(\.\d+)?", text):
                    raise InvalidOperation
                number = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{shown(value)} を数値として読めません") from None
        if percent and rate:
            number = number / 100
    if not number.is_finite():
        raise ValueError(f"{shown(value)} を数値として読めません")
    if abs(number) >= Decimal(10) ** 15:
        raise ValueError(f"{shown(value)} は大きすぎます")
    if rate:
        if not 0 <= number <= 1:
            raise ValueError(f"{shown(value)} は0から1の間で入力してください（1/2 なら「1/2」「0.5」「50%」）")
        number = number.quantize(Decimal("0.001"))
    return number


def parse_integer(value, *, maximum: int, example: str = "12") -> int | None:
    """1500000 from 1,500,000 / 1500000円 / 1.5E6 in an Excel cell; never negative.

    `example` is the column's own kind of value, shown in the error (「3」 for a number, 「1500000」 for yen).
    """
    if blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{shown(value)} を整数として読めません")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"{shown(value)} は整数ではありません")
        number = int(value)
    elif isinstance(value, int):
        number = value
    else:
        text, unit = figure_text(value)  # 「1,500,000円」「１２件」; 「1,2,3」 refused
        text += "%" if unit == "%" else ""  # a percentage is no count
        if not re.fullmatch(r"-?\d+", text):
            raise ValueError(f"{shown(value)} を整数として読めません（「{example}」のように数字で入力してください）")
        if len(text) > 20:
            raise ValueError(f"{shown(value)} は大きすぎます（{maximum:,}まで）")
        number = int(text)
    if number < 0:
        raise ValueError(f"{shown(value)} は0以上の整数で入力してください")
    if number > maximum:
        raise ValueError(f"{shown(value)} は大きすぎます（{maximum:,}まで）")
    return number


TRUE_WORDS = {"○", "〇", "◯", "●", "はい", "有", "あり", "既存", "1", "true", "yes", "y"}
FALSE_WORDS = {"", "×", "✕", "-", "いいえ", "無", "なし", "新規", "0", "false", "no", "n"}


def parse_bool(value) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = normalised(value).lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(f"{shown(value)} を読めません（該当するときは「○」、しないときは空欄にしてください）")


def clean_text(value, multiline: bool = True) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        value = value.isoformat()
    return plain_text(str(value), multiline=multiline).strip()


NAME_SEPARATORS = re.compile(r"[、,，;；\n]")


def split_names(value) -> list[str]:
    names = []
    for part in NAME_SEPARATORS.split(clean_text(value)):
        part = part.strip()
        if part and part not in names:
            names.append(part)
    return names
