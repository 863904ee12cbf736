# ruff: noqa: F811 (pytest fixtures imported from tests.import_export_factories)
"""A file too big for one import is refused in Japanese, naming the limit, before its rows are read.

A tester's XLSX of 287 KB declaring two million rows held a worker for 51
seconds. Each refusal here is checked to come before the rows are parsed
(benchmarks/import_limits.py prints how long the refusals take). The form
refuses a file over the size limit before storing it; the preview job
refuses the rest, and removes the stored file.
"""

import itertools
import zipfile
from io import BytesIO
from unittest import mock

import pytest
from django.core.files.storage import default_storage
from django.test import override_settings
from django.urls import reverse

from measures.models import ProgramProgress
from reoffense_portal.machinery.spreadsheets import files as spreadsheet_files
from reoffense_portal.machinery.spreadsheets.import_jobs import UPLOAD_FOLDER
from tests.import_export_factories import (  # noqa: F401 (fixtures)
    csv_bytes,
    editor,
    kumamoto,
    preview_import,
    submit_import,
)
from tests.xlsx_files import repeated, row_xml, rows_xml, workbook

IMPORT_URL = reverse("admin:measures_programprogress_import")
HEADER = ["団体コード", "計画名", "重点施策番号", "施策番号", "事業名", "年度", "実施状況"]


def progress_row(fiscal_year="令和7年度"):
    return ["431001", "熊本市再犯防止推進計画", "1", "1", "協力雇用主の拡大", fiscal_year, "実施"]


@pytest.fixture
def logged_in(client, editor):
    client.force_login(editor)
    return client


def stored():
    return ProgramProgress.objects.count(), ProgramProgress.history.count()


def stored_uploads():
    try:
        return default_storage.listdir(UPLOAD_FOLDER)[1]
    except FileNotFoundError:
        return []


def refusal(client, data, name):
    """The preview job's message for an upload, after checking that nothing was written and the file is gone."""
    before = stored()
    fmt = "1" if name.endswith(".xlsx") else "0"
    page = preview_import(client, "measures_programprogress", data, name, fmt)
    assert stored() == before
    assert 'value="取り込みを実行"' not in page.content.decode()
    assert stored_uploads() == []
    message = page.context["job"].result["file_error"]
    assert message in page.content.decode()
    return message


def form_refusal(client, data, name):
    """The import form's error for an upload it refuses before storing it."""
    response = submit_import(client, "measures_programprogress", data, name)
    assert response.status_code == 200
    assert stored_uploads() == []
    return " ".join(response.context["form"].errors["import_file"])


@pytest.fixture
def rows_never_read():
    """Fails the import if any row of the file is read (the error would then not be the limit's)."""
    with mock.patch.object(spreadsheet_files, "_build_dataset", side_effect=AssertionError("rows were read")) as reader:
        yield reader
    assert not reader.called


@pytest.fixture
def never_opened_as_workbook():
    """Fails the import if openpyxl opens the file at all."""
    with mock.patch("openpyxl.load_workbook", side_effect=AssertionError("the workbook was opened")) as opener:
        yield opener
    assert not opener.called


def test_a_287_kb_style_sheet_declaring_two_million_rows_is_refused_before_any_row_is_read(
    logged_in, kumamoto, rows_never_read
):
    data = workbook(rows_xml([HEADER, progress_row()]), dimension="A1:G2000000")
    assert len(data) < 5_000

    message = refusal(logged_in, data, "進捗.xlsx")

    assert "シートが2,000,000行目まであります" in message
    assert "1回に取り込めるのは100,000行まで（1行目の見出しを除く。空の行も数えます）" in message


@override_settings(IMPORT_MAX_ROWS=10)
def test_rows_beyond_what_a_sheet_declares_are_counted_too(logged_in, kumamoto):
    rows = [HEADER] + [progress_row(f"{2024 + i}年度") for i in range(11)]

    message = refusal(logged_in, workbook(rows_xml(rows), dimension="A1:G2"), "進捗.xlsx")

    assert "行が多すぎます。1回に取り込めるのは10行まで" in message


def test_a_sheet_of_50_mb_of_repeated_xml_is_refused_before_it_is_opened(
    logged_in, kumamoto, never_opened_as_workbook
):
    data = workbook(itertools.chain(rows_xml([HEADER]), repeated(row_xml(2, progress_row()), megabytes=50)))
    assert len(data) < 1024 * 1024

    message = refusal(logged_in, data, "進捗.xlsx")

    assert "Excelファイルの圧縮のされ方が異常です（展開すると" in message
    assert "100倍までです）" in message


def test_an_xlsx_expanding_beyond_the_limit_is_refused_before_it_is_opened(
    logged_in, kumamoto, never_opened_as_workbook, monkeypatch
):
    monkeypatch.setattr(spreadsheet_files, "XLSX_MAX_EXPANDED_MB", 1)
    rows = [HEADER] + [[f"{line * 7919 % 1000003:07d}"] * 7 for line in range(2, 10_000)]
    data = workbook(rows_xml(rows))
    expanded = sum(member.file_size for member in zipfile.ZipFile(BytesIO(data)).infolist())
    assert 1024 * 1024 < expanded < 100 * len(data)  # too big, though not compressed suspiciously

    message = refusal(logged_in, data, "進捗.xlsx")

    assert "Excelファイルの中身が大きすぎます（展開すると" in message
    assert "取り込めるのは展開して1MBまでのファイルです" in message


@override_settings(IMPORT_MAX_ROWS=10)
def test_a_csv_over_the_row_cap_is_refused_without_reading_the_rest(logged_in, kumamoto):
    rows = [HEADER] + [progress_row(f"{2000 + i % 100}年度") for i in range(100_000)]

    with mock.patch.object(spreadsheet_files, "restore", wraps=spreadsheet_files.restore) as cells_read:
        message = refusal(logged_in, csv_bytes(rows), "進捗.csv")

    assert "行が多すぎます。1回に取り込めるのは10行まで（1行目の見出しを除く。空の行も数えます）" in message
    assert cells_read.call_count <= 12 * len(HEADER)


def test_a_csv_cell_longer_than_the_csv_reader_takes_is_refused_in_japanese(logged_in, kumamoto):
    rows = [HEADER + ["実績・成果"], progress_row() + ["説明" * 70_000]]
    message = refusal(logged_in, csv_bytes(rows), "進捗.csv")
    assert "長すぎるセルがあります（1つのセルは131,072文字まで）" in message


@override_settings(IMPORT_MAX_ROWS=3)
def test_a_file_of_exactly_the_row_cap_is_previewed(logged_in, kumamoto):
    rows = [HEADER] + [progress_row(year) for year in ("令和7年度", "令和8年度", "令和9年度")]
    response = preview_import(logged_in, "measures_programprogress", csv_bytes(rows))
    assert "新規 3件、変更 0件、変更なし 0件" in response.content.decode()


@override_settings(IMPORT_MAX_MB=1)
def test_a_file_over_the_size_limit_is_refused_before_it_is_read(logged_in, kumamoto):
    rows = [HEADER] + [progress_row()] * 17_200
    data = csv_bytes(rows)
    assert 1.5 * 1024 * 1024 < len(data) < 1.55 * 1024 * 1024

    with mock.patch.object(spreadsheet_files, "read_spreadsheet", side_effect=AssertionError("the file was read")) as read:
        message = form_refusal(logged_in, data, "進捗.csv")

    assert not read.called
    assert "ファイルが大きすぎます（1.5MB）。取り込めるファイルは1MBまでです。ファイルを分けてください。" in message


def zip_of(files: dict) -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_a_zip_that_is_no_spreadsheet_is_refused_in_japanese(logged_in, kumamoto):
    message = refusal(logged_in, zip_of({"進捗.csv": "団体コード\r\n431001\r\n"}), "進捗.xlsx")
    assert "ZIPファイルですが、Excelファイル（.xlsx）ではありません" in message


def test_a_word_file_is_refused_in_japanese(logged_in, kumamoto):
    docx = zip_of({
        "[Content_Types].xml": (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Override PartName="/word/document.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
        ),
        "word/document.xml": "<document/>",
    })
    message = refusal(logged_in, docx, "進捗.xlsx")
    assert "Excelファイル（.xlsx）として読めません。Excelで保存した.xlsxファイルか、壊れていないかを確認してください。" in message


def test_the_import_page_states_the_limits(logged_in, kumamoto):
    page = logged_in.get(IMPORT_URL).content.decode()
    assert "1回に取り込めるのは10MBまで、見出しの下に100,000行までのファイルです" in page
