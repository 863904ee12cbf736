"""Spreadsheets in and out: the file formats, cell parsing and the base resource.

Staff keep their plans in Excel. Japanese Excel saves CSV as CP932
(Shift_JIS) unless told otherwise, so a CSV upload is decoded as UTF-8 (with
or without BOM) and, failing that, as CP932. Exports are UTF-8 with a BOM
(Excel opens it without mojibake) or XLSX, and import reads exactly what
export writes.

Cells are parsed the way people type them in Excel (「令和6年度」「R6年度」
「1,500,000」「1/2」「令和6年5月20日」) and written back in one canonical form
(2024, 1500000, 0.5, 2024-05-20). A value that cannot be read becomes a
Japanese message naming the row and the column, and one bad row means that
nothing at all is written.

Limits, each refused with a Japanese message naming it, before rows are
parsed where the file can tell: IMPORT_MAX_MB per file; for an XLSX, what
its zip directory says it expands to (XLSX_MAX_EXPANDED_MB, XLSX_MAX_RATIO)
and the rows its first sheet declares; IMPORT_MAX_ROWS rows below the first
line, counted as rows are read one at a time, so that a file without a
declared size never costs more than the largest one accepted.

Export safety: a text cell starting with = + - @ tab or CR could run as a
formula when the file is opened. CSV text cells get a leading apostrophe
(which the CSV reader removes again, so the round trip is exact); XLSX
cells are written as plain strings with Excel's "quote prefix" so they show
as typed and never run. Numbers and dates are never touched.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
from decimal import Decimal, InvalidOperation

import tablib
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Model
from import_export import resources, widgets
from import_export.fields import Field
from import_export.formats import base_formats
from import_export.results import Error, Result, RowResult

from reoffense_portal import eras
from reoffense_portal.text import normalised, plain_text, shown

# --------------------------------------------------------------------------
# Limits and errors

MB = 1024 * 1024
MAX_COLUMNS = 100
# An XLSX file is a zip of XML files. What it would expand to is checked from the zip's directory
# before anything is inflated (Python's zipfile never inflates a member beyond its declared size).
XLSX_MAX_EXPANDED_MB = 100  # the export's sheet of 100,000 progress rows expands to about 60 MB
XLSX_MAX_RATIO = 100  # a sheet's XML compresses 5 to 20 times; a zip bomb thousands of times


class ImportFileError(ValueError):
    """A file that cannot be read at all; the message is for staff."""


class RowFailure(Exception):
    """An unexpected failure while saving a row, already described in Japanese."""


# --------------------------------------------------------------------------
# Formula neutralisation

FORMULA_CHARACTERS = "=+-@\t\r"
FORMULA_STARTS = tuple(FORMULA_CHARACTERS)


def neutralise(value):
    """Make a text cell safe to open in a spreadsheet; leave numbers alone.

    A leading apostrophe is added before a formula character, and before an
    apostrophe that is followed by one or by another apostrophe, so that
    `restore` removes exactly what was added.
    """
    if not isinstance(value, str) or not value:
        return value
    if value[0] in FORMULA_CHARACTERS or (value[0] == "'" and value[1:2] and value[1] in FORMULA_CHARACTERS + "'"):
        return "'" + value
    return value


def restore(value):
    """Undo `neutralise` on a cell read from CSV."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1] in FORMULA_CHARACTERS + "'":
        return value[1:]
    return value


# --------------------------------------------------------------------------
# Reading files

def decode_csv_bytes(data: bytes) -> str:
    """UTF-8 (with or without BOM), else CP932 — the two encodings Excel writes."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError as e:
            raise ImportFileError(
                "ファイルの文字コードを読み取れません（UTF-8と書かれていますが壊れています）。"
            ) from e
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(
            "UTF-16のファイルは読み込めません。Excelで「CSV UTF-8（コンマ区切り）」"
            "または「CSV（コンマ区切り）」で保存し直してください。"
        )
    for encoding in ("utf-8", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(
        "ファイルの文字コードを判別できません。UTF-8またはShift_JIS（CP932）のCSVファイルを選んでください。"
    )


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_file_size(size: int) -> None:
    """Refuse a file larger than IMPORT_MAX_MB, before it is read."""
    limit = settings.IMPORT_MAX_MB
    if size > limit * MB:
        raise ImportFileError(
            f"ファイルが大きすぎます（{size / MB:,.1f}MB）。取り込めるファイルは{limit}MBまでです。ファイルを分けてください。"
        )


def too_many_rows(last_line: int | None = None) -> ImportFileError:
    """The refusal of a sheet longer than IMPORT_MAX_ROWS rows below its first line."""
    found = f"シートが{last_line:,}行目まであります。" if last_line else ""
    return ImportFileError(
        f"行が多すぎます。{found}1回に取り込めるのは{settings.IMPORT_MAX_ROWS:,}行まで"
        "（1行目の見出しを除く。空の行も数えます）です。ファイルを分けてください。"
    )


def _numbered(rows):
    """(line, cells) from line 1 on, refusing the line after the last one IMPORT_MAX_ROWS allows."""
    last_line = settings.IMPORT_MAX_ROWS + 1
    for line, cells in enumerate(rows, 1):
        if line > last_line:
            raise too_many_rows()
        yield line, cells


def _build_dataset(rows) -> tablib.Dataset:
    """A dataset from raw rows, read one at a time: header first; blank rows dropped, their line numbers kept.

    `dataset.line_numbers[i]` is the spreadsheet row (header = 1) of data row i,
    so that messages name the row staff see in Excel.
    """
    numbered = _numbered(rows)
    header = None
    for _line, cells in numbered:
        if not all(_blank(c) for c in cells):
            header = list(cells)
            break
    if header is None:
        raise ImportFileError("ファイルが空です。1行目に見出し、2行目から内容を入力してください。")
    while header and _blank(header[-1]):
        header.pop()
    if len(header) > MAX_COLUMNS:
        raise ImportFileError(f"列が多すぎます（{MAX_COLUMNS}列まで）。")
    headers = ["" if h is None else str(h).strip() for h in header]
    width = len(headers)
    dataset = tablib.Dataset(headers=headers)
    dataset.line_numbers = []
    for line, cells in numbered:
        cells = list(cells)
        if all(_blank(c) for c in cells):
            continue
        extra = cells[width:]
        if any(not _blank(c) for c in extra):
            raise ImportFileError(f"{line}行目に見出しのない列の値があります。見出しを付けるか、値を消してください。")
        cells = (cells + [None] * width)[:width]
        dataset.append(cells)
        dataset.line_numbers.append(line)
    if not dataset.line_numbers:
        raise ImportFileError("見出しの下に内容の行がありません。2行目から入力してください。")
    return dataset


def read_csv(data: bytes) -> tablib.Dataset:
    text = decode_csv_bytes(data)
    if "\x00" in text:
        raise ImportFileError("CSVファイルとして読めません（文字でないデータが含まれています）。")
    rows = ([restore(c) for c in row] for row in csv.reader(io.StringIO(text, newline="")))
    try:
        return _build_dataset(rows)
    except csv.Error as e:
        if "field larger than field limit" in str(e):
            raise ImportFileError(f"長すぎるセルがあります（1つのセルは{csv.field_size_limit():,}文字まで）。") from e
        raise ImportFileError(f"CSVファイルとして読めません（{e}）。") from e


XLSX_UNREADABLE = "Excelファイル（.xlsx）として読めません。Excelで保存した.xlsxファイルか、壊れていないかを確認してください。"


def check_xlsx_archive(data: bytes) -> None:
    """Refuse, from the zip's directory alone, a zip that is no workbook or that would expand too far."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except Exception as e:  # zipfile raises many kinds of errors on damaged archives
        raise ImportFileError(XLSX_UNREADABLE) from e
    if "[Content_Types].xml" not in {member.filename for member in members}:
        raise ImportFileError(
            "ZIPファイルですが、Excelファイル（.xlsx）ではありません。Excelで「Excelブック（.xlsx）」として保存したファイルを選んでください。"
        )
    expanded = sum(member.file_size for member in members)
    if expanded > XLSX_MAX_EXPANDED_MB * MB:
        raise ImportFileError(
            f"Excelファイルの中身が大きすぎます（展開すると{expanded / MB:,.0f}MB）。"
            f"取り込めるのは展開して{XLSX_MAX_EXPANDED_MB}MBまでのファイルです。ファイルを分けてください。"
        )
    for member in members:
        if member.file_size > MB and member.file_size > XLSX_MAX_RATIO * member.compress_size:
            raise ImportFileError(
                f"Excelファイルの圧縮のされ方が異常です（展開すると{member.file_size // max(member.compress_size, 1):,}倍。"
                f"{XLSX_MAX_RATIO}倍までです）。Excelで開いて「Excelブック（.xlsx）」として保存し直してください。"
            )


def read_xlsx(data: bytes) -> tablib.Dataset:
    """The first sheet, after the archive's checks and the sheet's declared size: no row is parsed before."""
    import openpyxl

    check_xlsx_archive(data)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds of errors on damaged or foreign files
        raise ImportFileError(XLSX_UNREADABLE) from e
    try:
        if not book.worksheets:
            raise ImportFileError("Excelファイルにシートがありません。1枚目のシートに表を入力してください。")
        sheet = book.worksheets[0]
        # In read-only mode max_row is the sheet's declared <dimension>, read from the start of its XML.
        if sheet.max_row and sheet.max_row > settings.IMPORT_MAX_ROWS + 1:
            raise too_many_rows(sheet.max_row)
        # Read one row past the limit even where the declared size is missing or smaller.
        rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 20, max_row=settings.IMPORT_MAX_ROWS + 2)
        return _build_dataset(rows)
    except ImportFileError:
        raise
    except Exception as e:  # openpyxl raises many kinds of errors on damaged sheets
        raise ImportFileError("Excelファイル（.xlsx）の内容を読み取れません。ファイルが壊れていないか確認してください。") from e
    finally:
        book.close()


ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with files, an empty zip


def read_spreadsheet(data) -> tablib.Dataset:
    """Read an upload whatever the chosen format: XLSX files are zip archives."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not data:
        raise ImportFileError("ファイルが空です。1行目に見出し、2行目から内容を入力してください。")
    check_file_size(len(data))
    if data.startswith(ZIP_SIGNATURES):
        return read_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError("古い形式のExcelファイル（.xls）は読み込めません。.xlsx形式またはCSVで保存し直してください。")
    return read_csv(data)


# --------------------------------------------------------------------------
# Writing files


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "○" if value else ""
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


def write_csv(dataset: tablib.Dataset) -> bytes:
    """UTF-8 with BOM and CRLF, as Excel writes “CSV UTF-8”."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_csv_cell(h) for h in dataset.headers or []])
    for row in dataset:
        writer.writerow([_csv_cell(c) for c in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(dataset: tablib.Dataset, title: str = "データ") -> bytes:
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title[:31]
    headers = list(dataset.headers or [])
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [max(8, len(str(h)) * 2 + 2) for h in headers]
    for r, row in enumerate(dataset, 2):
        for c, value in enumerate(row, 1):
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
            cell = sheet.cell(row=r, column=c)
            if isinstance(value, str) and value.startswith(FORMULA_STARTS):
                # Never a formula: a string cell with Excel's quote prefix.
                cell.value = value
                cell.data_type = "s"
                cell.quotePrefix = True
            elif isinstance(value, bool):
                cell.value = "○" if value else None
            else:
                cell.value = value
            if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(value, datetime.time):
                cell.number_format = "hh:mm"
            if isinstance(value, str) and "\n" in value:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            if c <= len(widths) and isinstance(value, str):
                widths[c - 1] = min(60, max(widths[c - 1], len(value) * 2 + 2))
    for i, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class CSVFormat(base_formats.CSV):
    """CSV in UTF-8 (BOM or not) or CP932, detected; written as UTF-8 with BOM."""

    def get_title(self):
        return "CSV"

    def is_binary(self):
        # Read raw bytes: the encoding is detected, not assumed.
        return True

    def get_read_mode(self):
        return "rb"

    def get_extension(self):
        return "csv"

    def get_content_type(self):
        return "text/csv; charset=utf-8"

    def create_dataset(self, in_stream, **kwargs):
        return read_spreadsheet(in_stream)

    def export_data(self, dataset, **kwargs):
        return write_csv(dataset)

    def can_import(self):
        return True

    def can_export(self):
        return True


class XLSXFormat(base_formats.XLSX):
    def get_title(self):
        return "Excel（.xlsx）"

    def get_extension(self):
        return "xlsx"

    def create_dataset(self, in_stream, **kwargs):
        return read_spreadsheet(in_stream)

    def export_data(self, dataset, **kwargs):
        return write_xlsx(dataset)

    def can_import(self):
        return True

    def can_export(self):
        return True


FORMATS = [CSVFormat, XLSXFormat]


# --------------------------------------------------------------------------
# Parsing cells


def parse_time(value) -> datetime.time | None:
    """14:00, 14:30:00, 14時, 14時30分, or an Excel time cell."""
    if _blank(value):
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
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{shown(value)} を数値として読めません")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        number = Decimal(repr(value))
    else:
        text = normalised(value).replace(",", "").replace("−", "-").replace("ー", "-")
        percent = text.endswith("%")
        text = text.rstrip("%")
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
    if _blank(value):
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
        text = normalised(value).replace(",", "").replace("−", "-")
        text = re.sub(r"(円|件|人|回)$", "", text)
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


def clean_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        value = value.isoformat()
    return plain_text(str(value)).strip()


# --------------------------------------------------------------------------
# Widgets: parse on import, render native values on export (the format decides
# how a number or a date is written).


class TextWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return clean_text(value)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class YearWidget(widgets.Widget):
    def __init__(self, fiscal: bool):
        super().__init__(coerce_to_string=False)
        self.fiscal = fiscal

    def clean(self, value, row=None, **kwargs):
        return eras.parse_year(value, fiscal=self.fiscal)

    def render(self, value, obj=None, **kwargs):
        return value


class IntegerWidget(widgets.Widget):
    def __init__(self, maximum: int = 2_147_483_647, example: str = "12"):
        super().__init__(coerce_to_string=False)
        self.maximum = maximum
        self.example = example

    def clean(self, value, row=None, **kwargs):
        return parse_integer(value, maximum=self.maximum, example=self.example)

    def render(self, value, obj=None, **kwargs):
        return value


# Numbers, orders and sequences stored in a PositiveSmallIntegerField.
SMALL_NUMBER = IntegerWidget(maximum=32767, example="3")


class DecimalWidget(widgets.Widget):
    def __init__(self, rate: bool = False):
        super().__init__(coerce_to_string=False)
        self.rate = rate

    def clean(self, value, row=None, **kwargs):
        return parse_decimal(value, rate=self.rate)

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return None
        # 564.00 → 564, 0.500 → 0.5: the number as people write it.
        return int(value) if value == value.to_integral_value() else value.normalize()


class DateWidget(widgets.Widget):
    def __init__(self):
        super().__init__(coerce_to_string=False)

    def clean(self, value, row=None, **kwargs):
        typed = eras.parse_date(value)
        return typed.day if typed else None

    def render(self, value, obj=None, **kwargs):
        return value


class PreciseDateWidget(widgets.Widget):
    """A day, or a month or fiscal year as the source states it (令和5年12月, 令和5年度): an eras.TypedDate."""

    def __init__(self):
        super().__init__(coerce_to_string=False)

    def clean(self, value, row=None, **kwargs):
        return eras.parse_date(value, precise=True)

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return None
        if value.precision == eras.DatePrecision.DAY:
            return value.day  # a date cell, like every other date
        return eras.written_date(value.day, value.precision)  # 2023年12月, 2023年度


class PreciseDateColumn(Field):
    """A date column of a row with a `date_precision`: the cell sets both (令和5年12月 → 2023-12-01, 月)."""

    also_writes = ("date_precision",)  # saved with the date by bulk updates

    def __init__(self, attribute, column_name):
        super().__init__(attribute=attribute, column_name=column_name, widget=PreciseDateWidget())

    def get_value(self, instance):
        day = getattr(instance, self.attribute)
        return None if day is None else eras.TypedDate(day, instance.date_precision)

    def save(self, instance, row, is_m2m=False, **kwargs):
        typed = self.clean(row, **kwargs)
        setattr(instance, self.attribute, typed.day if typed else None)
        instance.date_precision = typed.precision if typed else eras.DatePrecision.DAY


class TimeWidget(widgets.Widget):
    def __init__(self):
        super().__init__(coerce_to_string=False)

    def clean(self, value, row=None, **kwargs):
        return parse_time(value)

    def render(self, value, obj=None, **kwargs):
        return value


class BooleanWidget(widgets.Widget):
    """○ or blank, as checklists in Excel are kept."""

    def __init__(self):
        super().__init__(coerce_to_string=False)

    def clean(self, value, row=None, **kwargs):
        return parse_bool(value)

    def render(self, value, obj=None, **kwargs):
        return "○" if value else ""


class ChoiceWidget(widgets.Widget):
    """A choice by its Japanese label (実施) — the stored value is accepted too."""

    def __init__(self, choices, default=None):
        super().__init__()
        self.choices = list(choices)
        self.default = default
        self.by_text = {}
        for value, label in self.choices:
            self.by_text[normalised(label)] = value
            self.by_text[normalised(value).lower()] = value

    def clean(self, value, row=None, **kwargs):
        if _blank(value):
            if self.default is not None:
                return self.default
            raise ValueError(f"入力してください（{'、'.join(str(label) for _, label in self.choices)}のいずれか）")
        key = normalised(value)
        found = self.by_text.get(key, self.by_text.get(key.lower()))
        if found is None:
            raise ValueError(
                f"{shown(value)} は使えません（{'、'.join(str(label) for _, label in self.choices)}のいずれか）"
            )
        return found

    def render(self, value, obj=None, **kwargs):
        return str(dict(self.choices).get(value, value or ""))


NAME_SEPARATORS = re.compile(r"[、,，;；\n]")


def split_names(value) -> list[str]:
    names = []
    for part in NAME_SEPARATORS.split(clean_text(value)):
        part = part.strip()
        if part and part not in names:
            names.append(part)
    return names


class NameListWidget(widgets.ManyToManyWidget):
    """Related rows by name, separated by 「、」, looked up in the row's municipality.

    The resource binds itself so that the widget can find the row's
    municipality and create or refuse names it does not know.
    """

    def __init__(self, model, resolve_names):
        super().__init__(model, field="name", separator="、")
        self.resolve_names = resolve_names  # name of a resource method: (names, row) -> objects
        self.resource = None

    def clean(self, value, row=None, **kwargs):
        names = split_names(value)
        if not names:
            return self.model.objects.none()
        return getattr(self.resource, self.resolve_names)(names, row)

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return "、".join(item.name for item in value.all())


# --------------------------------------------------------------------------
# Import results with messages for staff


class PortalResult(Result):
    def messages(self) -> list[str]:
        """Every problem, in Japanese, in file order."""
        found = [str(error.error) for error in self.base_errors]
        for row in self.invalid_rows:
            for messages in row.error_dict.values():
                found.extend(messages)
        for row in self.error_rows:
            found.extend(str(error.error) for error in row.errors)
        return found

    def has_problems(self) -> bool:
        return bool(self.base_errors or self.invalid_rows or self.error_rows)

    def summary(self) -> str:
        t = self.totals
        return (
            f"新規 {t[RowResult.IMPORT_TYPE_NEW]}件、更新 {t[RowResult.IMPORT_TYPE_UPDATE]}件、"
            f"変更なし {t[RowResult.IMPORT_TYPE_SKIP]}件"
        )


def column(attribute, name, widget=None, readonly=False):
    """A sheet column: the model attribute it reads and writes, its Japanese header, its cell parser."""
    return Field(attribute=attribute, column_name=name, widget=widget or TextWidget(), readonly=readonly)


# --------------------------------------------------------------------------
# The base resource


class PortalResource(resources.ModelResource):
    """Japanese columns, natural keys, the user's municipalities only, all or nothing.

    A concrete resource declares its columns (`column(...)`), names the
    ones that identify a row in `key_fields` and the ones it resolves itself
    (parents) in `resolved_fields`, and implements `find_or_build(row)`.
    Everything it reads goes through `for_user(user)`: a row for another
    municipality is an error, never a write.
    """

    key_fields: tuple[str, ...] = ()
    resolved_fields: tuple[str, ...] = ()
    display_name = ""
    #: an example row for the blank template: column name → value
    example: dict = {}

    class Meta:
        skip_unchanged = True
        # No deep copy of every row's object graph: snapshot() and skip_row() tell unchanged rows.
        skip_diff = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    def __init__(self, user=None, open_data=False, **kwargs):
        super().__init__()
        self.user = user
        # Open data: every row of the queryset given (one plan's, for its published version),
        # instead of a staff user's municipalities.
        self.open_data = open_data
        self.file_name = ""
        self._reset()
        for field in self.fields.values():
            if isinstance(field.widget, NameListWidget):
                field.widget.resource = self

    def _reset(self):
        self._municipalities = None
        self._plans = None
        self._seen_keys = {}
        self._line = None
        self._touched = False
        self._instance = self._before = None
        self.line_numbers = []
        self.cache = {}

    @classmethod
    def get_display_name(cls):
        return cls.display_name or cls.__name__

    @classmethod
    def get_result_class(cls):
        return PortalResult

    # -- columns ----------------------------------------------------------

    def column_names(self) -> list[str]:
        return [f.column_name for f in self.get_export_fields()]

    def required_columns(self) -> list[str]:
        return [self.fields[name].column_name for name in self.key_fields]

    def column_for(self, key: str) -> str | None:
        """The column a validation error belongs to (a column, a field or a model field name)."""
        if key == NON_FIELD_ERRORS:
            return None
        for name, field in self.fields.items():
            if key in (field.column_name, name, field.attribute):
                return field.column_name
        try:
            return str(self._meta.model._meta.get_field(key).verbose_name)
        except Exception:
            return None

    def normalise_headers(self, dataset):
        """Match headers typed with half-width brackets or stray spaces to the columns."""
        known = {normalised(name): name for name in self.column_names()}
        headers = [known.get(normalised(h), h) for h in dataset.headers or []]
        seen = set()
        for h in headers:
            if h and h in seen:
                raise ImportFileError(f"見出し『{h}』が2回あります。1つにしてください。")
            seen.add(h)
        missing = [c for c in self.required_columns() if c not in headers]
        if missing:
            raise ImportFileError(
                "必要な列がありません：" + "".join(f"『{c}』" for c in missing)
                + "。ひな形（テンプレート）の1行目の見出しをそのまま使ってください。"
            )
        dataset.headers = headers

    # -- scoping ----------------------------------------------------------

    def get_queryset(self):
        return self._meta.model.objects.for_user(self.user)

    def filter_export(self, queryset, **kwargs):
        if not self.open_data:
            queryset = queryset.filter(pk__in=self._meta.model.objects.for_user(self.user).values("pk"))
        return self.export_queryset(queryset)

    def export_queryset(self, queryset):
        """Related rows fetched up front; the export's order."""
        return queryset

    def export_field(self, field, instance, **kwargs):
        """Open data writes a small count about people as 「3人未満」 (plans.disclosure); staff exports
        keep every number exact."""
        if self.open_data:
            masked = self.open_data_mask(self.get_field_name(field), instance)
            if masked:
                return masked
        return super().export_field(field, instance, **kwargs)

    def open_data_mask(self, field_name: str, instance) -> str:
        """What open data writes instead of this column's value, or '' to write the value."""
        return ""

    def problem(self, field_name: str, message: str) -> ValidationError:
        return ValidationError({self.fields[field_name].column_name: message})

    def value(self, row, field_name: str):
        """The cleaned value of a column in this row (ValidationError naming the column)."""
        field = self.fields[field_name]
        if field.column_name not in row:
            return None
        try:
            return field.clean(row)
        except ValueError as e:
            raise ValidationError({field.column_name: str(e)}) from None

    def required(self, row, field_name: str):
        value = self.value(row, field_name)
        if value in (None, ""):
            raise self.problem(field_name, "入力してください")
        return value

    def municipality(self, row, field_name="municipality"):
        from plans.models import Municipality

        if self._municipalities is None:
            self._municipalities = {m.code: m for m in Municipality.objects.for_user(self.user)}
        raw = row.get(self.fields[field_name].column_name)
        if isinstance(raw, (int, float)) and not isinstance(raw, bool) and float(raw).is_integer():
            raw = str(int(raw)).zfill(6)  # Excel drops the leading zero of 011002
        code = normalised(clean_text(raw))
        if not code:
            raise self.problem(field_name, "入力してください（6桁の全国地方公共団体コード）")
        if code.isdigit() and len(code) == 5:
            code = code.zfill(6)
        found = self._municipalities.get(code)
        if found is None:
            if Municipality.objects.filter(code=code).exists():
                raise self.problem(field_name, f"団体コード{shown(code)}の自治体のデータを取り込む権限がありません")
            raise self.problem(field_name, f"団体コード{shown(code)}の自治体は登録されていません")
        return found

    def plan(self, row, municipality_field="municipality", plan_field="plan"):
        from plans.models import Plan

        municipality = self.municipality(row, municipality_field)
        if self._plans is None:
            self._plans = {
                (p.municipality_id, p.title): p
                for p in Plan.objects.for_user(self.user).select_related("municipality")
            }
        title = self.required(row, plan_field)
        found = self._plans.get((municipality.code, title))
        if found is None:
            raise self.problem(plan_field, f"{municipality.name}の計画{shown(title)}が見つかりません（計画名は管理画面の表記どおりに入力してください）")
        return found

    def claim_key(self, key, description: str):
        """Refuse a second row for the same object within one file."""
        previous = self._seen_keys.get(key)
        if previous is not None:
            raise ValidationError(f"{description}の行が{previous}行目にもあります。1行にまとめてください")
        self._seen_keys[key] = self._line

    def change_reason(self) -> str:
        return f"ファイルから取り込み（{self.file_name}）" if self.file_name else "ファイルから取り込み"

    def stamp(self, instance):
        """Record who imported, for django-simple-history."""
        instance._history_user = self.user
        instance._change_reason = self.change_reason()
        return instance

    def save_parent(self, instance):
        """Save a created or changed parent row (area, measure, organisation) of this row."""
        self.stamp(instance)
        instance.save()
        self._touched = True

    # -- the import workflow ---------------------------------------------

    def find_or_build(self, row) -> tuple[Model, bool]:
        raise NotImplementedError

    def own_fields(self):
        """The columns this row sets on its own object (not keys, not parents)."""
        skip = set(self.key_fields) | set(self.resolved_fields)
        return [(name, f) for name, f in self.fields.items() if name not in skip and not f.readonly]

    def snapshot(self, instance, row) -> dict:
        """The values of the row's own columns, to tell an unchanged row without a deep copy."""
        values = {}
        for name, field in self.own_fields():
            if field.column_name not in row:
                continue
            if isinstance(field.widget, widgets.ManyToManyWidget):
                related = field.get_value(instance) if instance.pk else None
                values[name] = sorted(o.pk for o in related.all()) if related is not None else []
            else:
                values[name] = field.get_value(instance)
        return values

    def get_or_init_instance(self, instance_loader, row):
        instance, new = self.find_or_build(row)
        self._instance = instance
        self._before = None if new else self.snapshot(instance, row)
        return instance, new

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        for _name, field in self.own_fields():
            if field.column_name not in row:
                continue
            try:
                if isinstance(field.widget, widgets.ManyToManyWidget):
                    field.clean(row)  # checked now, saved after the row itself
                else:
                    self.import_field(field, instance, row, **kwargs)
            except ValueError as e:
                # Keyed by the model field, so that full_clean does not repeat the complaint.
                key = field.attribute if "__" not in field.attribute else field.column_name
                errors[key] = ValidationError(str(e), code="invalid")
        if errors:
            raise ValidationError(errors)

    def get_import_fields(self):
        return [f for f in super().get_import_fields() if not f.readonly]

    def skip_row(self, instance, original, row, import_validation_errors=None):
        """Unchanged: an existing row whose own columns and parents are as stored."""
        if import_validation_errors or self._touched or self._before is None:
            return False
        after = {}
        for name, field in self.own_fields():
            if name not in self._before:
                continue
            if isinstance(field.widget, widgets.ManyToManyWidget):
                after[name] = sorted(o.pk for o in field.clean(row))
            else:
                after[name] = field.get_value(instance)
        return after == self._before

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The model's own validation, without a query per row.

        Uniqueness follows from the file's keys (rows are looked up by them and
        a key may appear once per file); the check constraints repeat what the
        models' clean() and validators already say, and the database enforces
        them anyway inside the import's transaction.
        """
        errors = dict(import_validation_errors or {})
        # Parents were loaded through for_user() (or saved) by find_or_build: no query to re-check them.
        resolved = [
            f.name for f in instance._meta.concrete_fields
            if f.is_relation and f.is_cached(instance) and getattr(f.get_cached_value(instance), "pk", None)
        ]
        try:
            instance.full_clean(exclude=list(errors) + resolved, validate_unique=False, validate_constraints=False)
        except ValidationError as e:
            errors = e.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def preview_cells(self, row_result):
        """The preview's cells: the row as it will be stored, changed cells marked."""
        from django.utils.html import format_html

        instance = self._instance
        changed = None
        if row_result.import_type == RowResult.IMPORT_TYPE_UPDATE and self._before is not None:
            changed = {
                self.fields[name].column_name for name, value in self._before.items()
                if not isinstance(self.fields[name].widget, widgets.ManyToManyWidget)
                and self.fields[name].get_value(instance) != value
            }
        cells = []
        for field in self.get_import_fields():
            try:
                value = field.export(instance)
            except ValueError:  # a many-to-many of an unsaved row
                value = ""
            value = "" if value is None else value
            cells.append(format_html("<ins>{}</ins>", value) if changed and field.column_name in changed else value)
        return cells

    def before_save_instance(self, instance, row, **kwargs):
        self.stamp(instance)

    # -- bulk saving (resources without many-to-many columns set Meta.use_bulk) --

    def _bulk(self, instances, save, result, raise_errors):
        """Save a batch with its history rows (user and reason as for single saves) and move 更新日."""
        from plans.models import Plan
        from plans.signals import plan_id_of

        if not instances:
            return
        try:
            save(instances)
        except Exception as e:
            self.handle_import_error(result, RowFailure(f"保存できませんでした（{type(e).__name__}: {e}）。何も保存されていません。"), raise_errors)
        else:
            for plan_id in {plan_id_of(instance) for instance in instances}:
                Plan.touch(plan_id)
        finally:
            instances.clear()

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        from simple_history.utils import bulk_create_with_history

        self._bulk(self.create_instances, lambda objs: bulk_create_with_history(
            objs, self._meta.model, batch_size=batch_size, default_user=self.user,
            default_change_reason=self.change_reason(),
        ), result, raise_errors)

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        from simple_history.utils import bulk_update_with_history

        fields = [attribute for _, f in self.own_fields()
                  if "__" not in f.attribute and not isinstance(f.widget, widgets.ManyToManyWidget)
                  for attribute in (f.attribute, *getattr(f, "also_writes", ()))]
        self._bulk(self.update_instances, lambda objs: bulk_update_with_history(
            objs, self._meta.model, fields, batch_size=batch_size, default_user=self.user,
            default_change_reason=self.change_reason(),
        ), result, raise_errors)

    def describe(self, line: int, error: ValidationError) -> ValidationError:
        """「3行目『年度』: “R6年” を年度として読めません」 for every message of a row."""
        described = {}
        if hasattr(error, "error_dict"):
            items = error.error_dict.items()
        else:
            items = [(NON_FIELD_ERRORS, error.error_list)]
        for key, errors in items:
            column_name = self.column_for(key)
            prefix = f"{line}行目『{column_name}』: " if column_name else f"{line}行目: "
            for message in ValidationError(errors).messages:
                described.setdefault(column_name or NON_FIELD_ERRORS, []).append(prefix + message)
        return ValidationError(described)

    def import_row(self, row, instance_loader, **kwargs):
        number = kwargs.get("row_number") or 0
        self._line = self.line_numbers[number - 1] if 0 < number <= len(self.line_numbers) else number + 1
        self._touched = False
        self._instance = self._before = None
        row_result = super().import_row(row, instance_loader, **kwargs)
        if row_result.is_valid() and self._instance is not None:
            row_result.diff = self.preview_cells(row_result)
        if row_result.validation_error is not None:
            row_result.validation_error = self.describe(self._line, row_result.validation_error)
        if row_result.errors:
            first = row_result.errors[0].error
            row_result.errors = [
                Error(RowFailure(f"{self._line}行目: 保存できませんでした（{type(first).__name__}: {first}）"), row=row, number=number)
            ]
        return row_result

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None,
                    collect_failed_rows=False, rollback_on_validation_errors=False, **kwargs):
        """All or nothing, always: one bad row rolls the whole file back."""
        self._reset()
        self.user = kwargs.get("user") or self.user
        self.file_name = kwargs.get("file_name") or ""
        result = self.get_result_class()()
        if self.user is None or not self.user.is_authenticated or not self.user.is_active:
            result.append_base_error(Error(ImportFileError("ログインした職員だけが取り込めます。")))
            return result
        try:
            self.normalise_headers(dataset)
        except ImportFileError as e:
            result.append_base_error(Error(e))
            return result
        self.line_numbers = list(getattr(dataset, "line_numbers", None) or range(2, len(dataset) + 2))
        return super().import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=raise_errors,
            use_transactions=True,
            collect_failed_rows=collect_failed_rows,
            rollback_on_validation_errors=True,
            **kwargs,
        )

    # -- templates --------------------------------------------------------

    def template_dataset(self) -> tablib.Dataset:
        """The blank template: the headers and one example row."""
        headers = self.column_names()
        dataset = tablib.Dataset(headers=headers)
        dataset.append([self.example.get(h) for h in headers])
        return dataset
