# ruff: noqa: F811 (pytest fixtures imported from tests.import_export_factories)
"""Exported cells never run as formulas; numbers stay numbers."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
import tablib
from hypothesis import given, settings
from hypothesis import strategies as st

from plans.resources import IndicatorValueResource
from reoffense_portal.machinery.spreadsheets.files import (
    CSVFormat,
    XLSXFormat,
    neutralise,
    read_spreadsheet,
    restore,
    write_csv,
    write_xlsx,
)
from tests.import_export_factories import editor, kumamoto, run_import  # noqa: F401 (fixtures)

DANGEROUS = ["=HYPERLINK(\"http://example.com\")", "+81-3-1234", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd", "'=already quoted"]


def test_formula_cells_get_an_apostrophe_in_csv_and_numbers_do_not():
    dataset = tablib.Dataset(headers=["文字", "数"])
    for text in DANGEROUS:
        dataset.append([text, Decimal("-3.5")])
    dataset.append(["普通の文字", -12])
    rows = list(csv.reader(io.StringIO(write_csv(dataset).decode("utf-8-sig"))))[1:]
    for text, number in rows[: len(DANGEROUS)]:
        assert text.startswith("'"), text
        assert number == "-3.5"
    assert rows[-1] == ["普通の文字", "-12"]


def test_formula_cells_are_plain_strings_in_xlsx_and_numbers_stay_numeric():
    dataset = tablib.Dataset(headers=["文字", "数"])
    for text in DANGEROUS:
        dataset.append([text, Decimal("-3.5")])
    sheet = openpyxl.load_workbook(io.BytesIO(write_xlsx(dataset))).active
    for row, original in zip(sheet.iter_rows(min_row=2), DANGEROUS, strict=True):
        text, number = row
        # XML turns a carriage return into a line feed; either way it is text, not a formula.
        assert text.data_type == "s" and text.value in (original, original.replace("\r", "\n"))
        assert text.quotePrefix == (original[0] in "=+-@\t\r")
        assert number.data_type == "n" and number.value == -3.5


def test_exported_indicator_values_neutralise_notes_but_keep_negative_values_numeric(kumamoto, editor):
    kumamoto.value.value = Decimal("-3.50")
    kumamoto.value.note = "=cmd|' /C calc'!A0"
    kumamoto.value.save()
    dataset = IndicatorValueResource(user=editor).export()
    text = CSVFormat().export_data(dataset).decode("utf-8-sig")
    assert ",-3.5,,,'=cmd|' /C calc'!A0" in text
    sheet = openpyxl.load_workbook(io.BytesIO(XLSXFormat().export_data(dataset))).active
    header = [c.value for c in sheet[1]]
    cells = dict(zip(header, sheet[2], strict=True))
    assert cells["値"].data_type == "n" and cells["値"].value == -3.5
    assert cells["備考"].data_type == "s" and cells["備考"].value == "=cmd|' /C calc'!A0"
    # …and the neutralised files import back to exactly what was stored.
    for data in (CSVFormat().export_data(dataset), XLSXFormat().export_data(dataset)):
        result = run_import(IndicatorValueResource, data, editor)
        assert [r.import_type for r in result.rows] == ["skip"], result.messages()


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("=+-@\t\r'a1 あ")), max_size=6))
def test_neutralise_is_undone_exactly_by_restore(text):
    assert restore(neutralise(text)) == text
    safe = neutralise(text)
    assert not safe or safe[0] not in "=+-@\t\r"


@pytest.mark.parametrize("text", ["普通", "'引用", "a=b", "２０２４"])
def test_ordinary_text_is_left_alone(text):
    assert neutralise(text) == text == restore(text)


def test_csv_cells_survive_a_round_trip_through_the_reader():
    dataset = tablib.Dataset(headers=["見出し"])
    for text in DANGEROUS + ["改行\nを含む", "カンマ,を含む"]:
        dataset.append([text])
    back = read_spreadsheet(write_csv(dataset))
    # The CSV reader normalises nothing but the quoting: CR at the start survives too.
    assert [row[0] for row in back] == DANGEROUS + ["改行\nを含む", "カンマ,を含む"]
