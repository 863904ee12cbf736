"""Figures as staff type them, read one way in the admin's number boxes and in imported cells.

「49,653」「49,653件」「４９，６５３」「1,500,000円」「44.8%」 are the numbers 49653, 1500000 and 44.8:
full-width digits and commas (NFKC), a comma every three digits, and a count's or money's unit at
the end. A comma anywhere else (「1,2,3」「4,96,53」) could mean several numbers or a mistyped one, so
it is refused with a message that says how to write it, never read as 123.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from reoffense_portal.machinery.text import normalised, shown

# What staff write after a figure: counts (件・人・回・名・社・団体・世帯・か所), yen, a percentage.
UNIT = re.compile(r"(件|人|回|名|社|団体|世帯|か所|箇所|ヶ所|カ所|円|%)$")
GROUPED = re.compile(r"-?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?")
DIGITS_AND_COMMAS = re.compile(r"-?[0-9,]+(\.[0-9]+)?")
PLAIN = re.compile(r"-?[0-9]+(\.[0-9]+)?")
# Minus signs as typed or pasted: the mathematical minus, and the long sound mark typed for one.
MINUS = str.maketrans({"−": "-", "ー": "-", "‐": "-", "–": "-"})

EXAMPLE = "「49,653」「49653件」のように数字で入力してください"


class NumberError(ValueError):
    """A figure that cannot be read; the message is for staff, in Japanese."""


def figure_text(value) -> tuple[str, str]:
    """The figure's digits as Python reads them (「-1234.5」) and the unit it was typed with (「件」, 「%」, "").

    Raises NumberError for commas that are no thousands separators. Anything else that is no number
    comes back as it is (without spaces), for the caller to refuse in its own words.
    """
    text = normalised(value).translate(MINUS)
    found = UNIT.search(text)
    unit = found.group(1) if found and text[: found.start()] else ""
    text = text[: len(text) - len(unit)]
    if DIGITS_AND_COMMAS.fullmatch(text) and "," in text:
        if not GROUPED.fullmatch(text):
            raise NumberError(
                f"{shown(value)} は数値として読めません。カンマは3桁ごとの区切りにだけ使います"
                "（例：49,653）。いくつかの数値なら、一つずつ入力してください。"
            )
        text = text.replace(",", "")
    return text, unit


def read_number(value, *, integer: bool = False) -> Decimal | None:
    """A typed figure as a Decimal (None when blank); NumberError, in Japanese, when it cannot be read.

    `integer`: a count or an amount of yen, refused with a fraction (「12.5」).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        number = Decimal(value)
    else:
        text, _unit = figure_text(value)
        if not PLAIN.fullmatch(text):
            raise NumberError(f"{shown(value)} は数値として読めません（{EXAMPLE}）。")
        try:
            number = Decimal(text)
        except InvalidOperation:  # pragma: no cover — PLAIN admits only what Decimal reads
            raise NumberError(f"{shown(value)} は数値として読めません（{EXAMPLE}）。") from None
    if integer and number != number.to_integral_value():
        raise NumberError(f"{shown(value)} は整数で入力してください（小数は入力できません）。")
    return number


def figure_label(value: int | Decimal, *, grouped: bool = True) -> str:
    """A figure written back as staff type it: grouped by three, no trailing zeros (49,653; 44.8; 0.5).

    Years, numbers and orders (2024, 第3回) are never grouped: `grouped=False`.
    """
    return format(Decimal(value).normalize(), ",f" if grouped else "f")
