"""Spreadsheet files in and out: CSV and XLSX, their limits and the formats the admin offers.

Staff keep their plans in Excel. Japanese Excel saves CSV as CP932
(Shift_JIS) unless told otherwise, so a CSV upload is decoded as UTF-8 (with
or without BOM) and, failing that, as CP932. Exports are UTF-8 with a BOM
(Excel opens it without mojibake) or XLSX, and import reads exactly what
export writes.

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
import pickle
import zipfile
from array import array

import tablib
from django.conf import settings
from import_export.formats import base_formats

from reoffense_portal.machinery.uploads import ZIP_MAX_RATIO, zip_expansion_problem

from .cells import blank

# --------------------------------------------------------------------------
# Limits and errors

MB = 1024 * 1024
MAX_COLUMNS = 100
# An XLSX file is a zip of XML files. What it would expand to is checked from the zip's directory
# before anything is inflated (Python's zipfile never inflates a member beyond its declared size).
XLSX_MAX_EXPANDED_MB = 100  # the export's sheet of 100,000 progress rows expands to about 60 MB
XLSX_MAX_RATIO = ZIP_MAX_RATIO  # a sheet's XML compresses 5 to 20 times; a zip bomb thousands of times


class ImportFileError(ValueError):
    """A file that cannot be read at all; the message is for staff."""


READING = "読み込み"  # the stage of an import job while it reads the file's rows


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


class PackedRows:
    """A sheet's rows, each kept as one pickled string: what tablib.Dataset keeps in `_data`.

    A row of a dozen cells as Python objects takes about ten times its text (every cell an object of
    50 bytes and more); 100,000 rows took 120 MB that way. Packed, they take about their text, and
    each row is unpacked again only while it is read.
    """

    def __init__(self):
        self._packed = []

    @staticmethod
    def _pack(row) -> bytes:
        return pickle.dumps(list(row), pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def _unpack(packed: bytes) -> tablib.core.Row:
        return tablib.core.Row(pickle.loads(packed))

    def __len__(self):
        return len(self._packed)

    def __iter__(self):
        return (self._unpack(packed) for packed in self._packed)

    def __getitem__(self, key):
        if isinstance(key, slice):
            return [self._unpack(packed) for packed in self._packed[key]]
        return self._unpack(self._packed[key])

    def __setitem__(self, key, row):
        self._packed[key] = self._pack(row)

    def __delitem__(self, key):
        del self._packed[key]

    def insert(self, index, row):
        self._packed.insert(index, self._pack(row))

    def append(self, row):
        self._packed.append(self._pack(row))


class SheetDataset(tablib.Dataset):
    """A tablib.Dataset of a read sheet, its rows packed (PackedRows), with each row's line in the file."""

    def __init__(self, headers):
        super().__init__(headers=headers)
        self._data = PackedRows()
        self.line_numbers = array("L")


def _build_dataset(rows, report=None) -> tablib.Dataset:
    """A dataset from raw rows, read one at a time: header first; blank rows dropped, their line numbers kept.

    `dataset.line_numbers[i]` is the spreadsheet row (header = 1) of data row i,
    so that messages name the row staff see in Excel. `report(rows_read, None, "読み込み")`
    is told of every row, for an import job's progress bar.
    """
    numbered = _numbered(rows)
    header = None
    for _line, cells in numbered:
        if not all(blank(c) for c in cells):
            header = list(cells)
            break
    if header is None:
        raise ImportFileError("ファイルが空です。1行目に見出し、2行目から内容を入力してください。")
    while header and blank(header[-1]):
        header.pop()
    if len(header) > MAX_COLUMNS:
        raise ImportFileError(f"列が多すぎます（{MAX_COLUMNS}列まで）。")
    headers = ["" if h is None else str(h).strip() for h in header]
    width = len(headers)
    dataset = SheetDataset(headers=headers)
    for line, cells in numbered:
        cells = list(cells)
        if all(blank(c) for c in cells):
            continue
        extra = cells[width:]
        if any(not blank(c) for c in extra):
            raise ImportFileError(f"{line}行目に見出しのない列の値があります。見出しを付けるか、値を消してください。")
        cells = (cells + [None] * width)[:width]
        dataset.append(cells)
        dataset.line_numbers.append(line)
        if report is not None:
            report(len(dataset.line_numbers), None, READING)
    if not dataset.line_numbers:
        raise ImportFileError("見出しの下に内容の行がありません。2行目から入力してください。")
    return dataset


def read_csv(data: bytes, report=None) -> tablib.Dataset:
    text = decode_csv_bytes(data)
    if "\x00" in text:
        raise ImportFileError("CSVファイルとして読めません（文字でないデータが含まれています）。")
    rows = ([restore(c) for c in row] for row in csv.reader(io.StringIO(text, newline="")))
    try:
        return _build_dataset(rows, report)
    except csv.Error as e:
        if "field larger than field limit" in str(e):
            raise ImportFileError(f"長すぎるセルがあります（1つのセルは{csv.field_size_limit():,}文字まで）。") from e
        raise ImportFileError(f"CSVファイルとして読めません（{e}）。") from e


XLSX_DAMAGED = "Excelファイル（.xlsx）の内容を読み取れません。ファイルが壊れていないか確認してください。"  # opened, but a sheet could not be read
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
    problem = zip_expansion_problem(
        members, what="Excelファイル", accepted="取り込める", max_expanded_mb=XLSX_MAX_EXPANDED_MB,
        max_ratio=XLSX_MAX_RATIO, resave="Excelで開いて「Excelブック（.xlsx）」として保存し直してください。",
    )
    if problem:
        raise ImportFileError(problem)


def read_xlsx(data: bytes, report=None) -> tablib.Dataset:
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
        return _build_dataset(rows, report)
    except ImportFileError:
        raise
    except Exception as e:  # openpyxl raises many kinds of errors on damaged sheets
        raise ImportFileError(XLSX_DAMAGED) from e
    finally:
        book.close()


ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with files, an empty zip


def read_spreadsheet(data, report=None) -> tablib.Dataset:
    """Read an upload whatever the chosen format: XLSX files are zip archives.

    `report(rows_read, None, stage)`, if given, hears of every row read (an import job's progress).
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not data:
        raise ImportFileError("ファイルが空です。1行目に見出し、2行目から内容を入力してください。")
    check_file_size(len(data))
    if data.startswith(ZIP_SIGNATURES):
        return read_xlsx(data, report)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError("古い形式のExcelファイル（.xls）は読み込めません。.xlsx形式またはCSVで保存し直してください。")
    return read_csv(data, report)


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

    def create_dataset(self, in_stream, report=None, **kwargs):
        return read_spreadsheet(in_stream, report)

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

    def create_dataset(self, in_stream, report=None, **kwargs):
        return read_spreadsheet(in_stream, report)

    def export_data(self, dataset, **kwargs):
        return write_xlsx(dataset)

    def can_import(self):
        return True

    def can_export(self):
        return True


FORMATS = [CSVFormat, XLSXFormat]
