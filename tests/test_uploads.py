"""Hostile uploads: staff upload only documents a city publishes, and residents' browsers never run one."""

import html
import io
import os
import struct
import zipfile

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from PIL import Image

from councils.models import Meeting, MeetingDocument
from reoffense_portal.machinery.uploads import SizeLimitedUploadHandler
from tests.public_data import PDF_BYTES, attach_plan_document, build_plan, fill_meeting, municipality, publish
from tests.staff_world import change_url, form_data, make_world

pytestmark = pytest.mark.django_db

ACCEPTED = (
    "受け付けるファイルはPDF（.pdf）、Word（.doc・.docx）、Excel（.xls・.xlsx）、PowerPoint（.ppt・.pptx）、"
    "ODT（.odt）、ODS（.ods）、ODP（.odp）、CSV（.csv）、テキスト（.txt）、PNG（.png）、JPEG（.jpg・.jpeg）です。"
)
HTML_PAGE = b"<!DOCTYPE html><html><body><script>fetch('/admin/')</script></body></html>"


def image(format_name: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "white").save(buffer, format_name)
    return buffer.getvalue()


def office_open_xml(part: str) -> bytes:
    """A Word or PowerPoint file as Office writes them: a zip of XML parts."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        archive.writestr(part, '<?xml version="1.0"?><document/>')
    return buffer.getvalue()


def workbook() -> bytes:
    buffer = io.BytesIO()
    book = openpyxl.Workbook()
    book.active.append(["年度", "再犯者数"])
    book.save(buffer)
    return buffer.getvalue()


def open_document(mimetype: str) -> bytes:
    """An ODF file: its first entry, stored uncompressed, names its kind."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", mimetype)
        archive.writestr("content.xml", '<?xml version="1.0"?><office:document-content/>', zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def compound_file(stream: str) -> bytes:
    """The smallest Office 97-2003 file: a header, one FAT sector and a directory holding one empty stream."""
    free, end_of_chain, fat_sector, no_stream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"", 0x3E, 3, 0xFFFE, 9, 6, b"",
        0, 1, 1, 0, 4096, end_of_chain, 0, end_of_chain, 0,
    ) + struct.pack("<109I", 0, *[free] * 108)
    fat = struct.pack("<128I", fat_sector, end_of_chain, *[free] * 126)

    def entry(name, kind, child=no_stream):
        encoded = (name + "\0").encode("utf-16-le")
        return struct.pack(
            "<64sHBBIII16sIQQIQ", encoded, len(encoded), kind, 1, no_stream, no_stream, child,
            b"", 0, 0, 0, end_of_chain, 0,
        )

    return header + fat + entry("Root Entry", 5, child=1) + entry(stream, 2) + bytes(256)


ALLOWED = {
    "keikaku.pdf": PDF_BYTES,
    "zu.png": image("PNG"),
    "shashin.jpg": image("JPEG"),
    "shashin.jpeg": image("JPEG"),
    "shiryo.docx": office_open_xml("word/document.xml"),
    "shiryo.xlsx": workbook(),
    "shiryo.pptx": office_open_xml("ppt/presentation.xml"),
    "shiryo.doc": compound_file("WordDocument"),
    "shiryo.xls": compound_file("Workbook"),
    "shiryo.ppt": compound_file("PowerPoint Document"),
    "shiryo.odt": open_document("application/vnd.oasis.opendocument.text"),
    "shiryo.ods": open_document("application/vnd.oasis.opendocument.spreadsheet"),
    "shiryo.odp": open_document("application/vnd.oasis.opendocument.presentation"),
    "kpi.csv": "年度,再犯者数\r\n2024,450\r\n".encode(),
    "kpi-excel.csv": "年度,再犯者数\r\n2024,450\r\n".encode("cp932"),
    "memo.txt": "令和6年度第1回の議事要旨です。再犯率 < 30% を目指します。\n".encode(),
}

NOT_ACCEPTED = "は受け付けていません。" + ACCEPTED
NOT_ITS_NAME = "ではありません。中身に合った拡張子のファイルにしてください。" + ACCEPTED
MARKUP_IN_TEXT = "テキストとCSVのファイルには、HTMLのタグ（<…>）を入れられません。タグを消すか、PDFにしてください。"
REFUSED = {
    "page.html": (HTML_PAGE, "「.html」のファイル" + NOT_ACCEPTED),
    "page.htm": (HTML_PAGE, "「.htm」のファイル" + NOT_ACCEPTED),
    "page.xhtml": (b'<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>',
                   "「.xhtml」のファイル" + NOT_ACCEPTED),
    "logo.svg": (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "「.svg」のファイル" + NOT_ACCEPTED),
    "app.js": (b"fetch('/admin/')", "「.js」のファイル" + NOT_ACCEPTED),
    "setup.exe": (b"MZ\x90\x00" + bytes(60) + b"PE\x00\x00", "「.exe」のファイル" + NOT_ACCEPTED),
    "no-extension": (PDF_BYTES, "拡張子のないファイル" + NOT_ACCEPTED),
    "pdf-named.docx": (PDF_BYTES, "ファイルの中身がWord（.docx）" + NOT_ITS_NAME),
    "html-named.pdf": (HTML_PAGE, "ファイルの中身がPDF（.pdf）" + NOT_ITS_NAME),
    "svg-named.png": (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "ファイルの中身がPNG（.png）" + NOT_ITS_NAME),
    "workbook-named.doc": (compound_file("Workbook"), "ファイルの中身がWord（.doc）" + NOT_ITS_NAME),
    "installer-named.xls": (compound_file("Installer"), "ファイルの中身がExcel（.xls）" + NOT_ITS_NAME),
    "html-named.txt": (HTML_PAGE, MARKUP_IN_TEXT),
    "script-named.csv": (b"name,value\n<script>alert(1)</script>,1\n", MARKUP_IN_TEXT),
    "image-named.txt": (image("PNG"), "テキストとCSVのファイルは、文字（UTF-8またはシフトJIS）だけのファイルにしてください。"),
}


@pytest.fixture
def city(client):
    city_a, _ = make_world()
    client.force_login(city_a.editor)
    return city_a


def upload_document(client, document, name, content):
    """An editor replaces a meeting document's file on its admin change form."""
    data = form_data(client, document)
    data["file"] = SimpleUploadedFile(name, content)
    return client.post(change_url(document), data)


def upload_plan_document(client, plan, name, content):
    """An editor attaches the plan's document on the plan's admin change form."""
    data = form_data(client, plan)
    data["document"] = SimpleUploadedFile(name, content)
    return client.post(change_url(plan), data)


def page_text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("name", REFUSED)
def test_an_editor_cannot_upload_a_meeting_document_of_a_refused_kind(client, city, name):
    content, message = REFUSED[name]
    response = upload_document(client, city.document, name, content)
    assert response.status_code == 200
    assert message in page_text(response)
    city.document.refresh_from_db()
    assert city.document.file.name.endswith("agenda.pdf")


@pytest.mark.parametrize("name", REFUSED)
def test_an_editor_cannot_attach_a_plan_document_of_a_refused_kind(client, city, name):
    content, message = REFUSED[name]
    response = upload_plan_document(client, city.plan, name, content)
    assert response.status_code == 200
    assert message in page_text(response)
    city.plan.refresh_from_db()
    assert not city.plan.document


def test_the_meetings_own_form_refuses_an_html_material_in_its_document_rows(client, city):
    data = form_data(client, city.meeting)
    data["documents-0-file"] = SimpleUploadedFile("shiryo.html", HTML_PAGE)
    response = client.post(change_url(city.meeting), data)
    assert response.status_code == 200
    assert "「.html」のファイル" + NOT_ACCEPTED in page_text(response)
    city.document.refresh_from_db()
    assert city.document.file.name.endswith("agenda.pdf")


@pytest.mark.parametrize("name", ALLOWED)
def test_an_editor_uploads_every_kind_a_city_publishes_as_a_meeting_document(client, city, name):
    response = upload_document(client, city.document, name, ALLOWED[name])
    assert response.status_code == 302, page_text(response)
    city.document.refresh_from_db()
    assert city.document.file.name.endswith(name)
    assert city.document.file_size == len(ALLOWED[name])


@pytest.mark.parametrize("name", ["keikaku.pdf", "shiryo.docx", "shiryo.xls", "kpi.csv"])
def test_an_editor_attaches_a_plan_document(client, city, name):
    response = upload_plan_document(client, city.plan, name, ALLOWED[name])
    assert response.status_code == 302, page_text(response)
    city.plan.refresh_from_db()
    assert city.plan.document.name.endswith(name)


def test_the_admin_form_says_which_kinds_are_accepted(client, city):
    response = client.get(change_url(city.document))
    assert "受け付けるファイル：PDF（.pdf）、Word（.doc・.docx）" in page_text(response)


@override_settings(UPLOAD_MAX_MB=1)
def test_a_file_over_the_size_limit_is_refused_naming_the_limit(client, city):
    response = upload_document(client, city.document, "large.pdf", PDF_BYTES + bytes(1024 * 1024 // 2 + 1024 * 1024))
    assert "ファイルの大きさは1MBまでです（このファイルは1.5MB）。" in page_text(response)
    response = upload_plan_document(client, city.plan, "large.pdf", PDF_BYTES + bytes(1024 * 1024))
    assert "ファイルの大きさは1MBまでです（このファイルは1.0MB）。" in page_text(response)


def test_a_30_mb_upload_gets_the_japanese_error_of_the_default_20_mb_limit(client, city):
    response = upload_document(client, city.document, "huge.pdf", PDF_BYTES + bytes(30 * 1024 * 1024 - len(PDF_BYTES)))
    assert response.status_code == 200
    assert "ファイルの大きさは20MBまでです（このファイルは30.0MB）。" in page_text(response)


@override_settings(UPLOAD_MAX_MB=1)
def test_of_an_oversized_upload_no_more_than_the_limit_is_written_to_disk():
    handler = SizeLimitedUploadHandler()
    handler.new_file("file", "huge.pdf", "application/pdf", 3 * 1024 * 1024)
    chunk = bytes(64 * 1024)
    for start in range(0, 3 * 1024 * 1024, len(chunk)):
        handler.receive_data_chunk(chunk, start)
    uploaded = handler.file_complete(3 * 1024 * 1024)
    assert uploaded.size == 3 * 1024 * 1024  # what the form's error names
    assert os.path.getsize(uploaded.temporary_file_path()) <= 1024 * 1024
    uploaded.close()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_request_over_djangos_request_limits_gets_a_japanese_page_not_a_500(client, city):
    response = client.post(change_url(city.document), {"title": "資料" * 1000})
    assert response.status_code == 400
    assert "送信された内容を受け付けられませんでした" in page_text(response)


def with_member(document: bytes, name: str, content: bytes, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """`document` (a zip) with one more member."""
    buffer = io.BytesIO(document)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr(name, content, compression)
    return buffer.getvalue()


ZIP_DOCUMENTS = {
    "shiryo.docx": "Word（.docx）", "shiryo.xlsx": "Excel（.xlsx）", "shiryo.pptx": "PowerPoint（.pptx）",
    "shiryo.odt": "ODT（.odt）", "shiryo.ods": "ODS（.ods）", "shiryo.odp": "ODP（.odp）",
}


@pytest.mark.parametrize("name", ZIP_DOCUMENTS)
def test_a_document_that_would_expand_a_thousandfold_is_refused_like_an_import(client, city, name):
    """A zip bomb in small: 2 MB of zeros compressed to 2 KB (a 1 GB member compressed to 1 MB alike)."""
    bomb = with_member(ALLOWED[name], "media/image1.bin", bytes(2 * 1024 * 1024))
    assert len(bomb) < 20 * 1024

    response = upload_document(client, city.document, name, bomb)

    assert response.status_code == 200
    assert f"{ZIP_DOCUMENTS[name]}のファイルの圧縮のされ方が異常です（展開すると" in page_text(response)
    assert "100倍までです）。作成したアプリで開いて、保存し直してください。" in page_text(response)
    city.document.refresh_from_db()
    assert city.document.file.name.endswith("agenda.pdf")


@override_settings(UPLOAD_MAX_EXPANDED_MB=1)
def test_a_document_expanding_beyond_the_limit_is_refused_naming_the_limit(client, city):
    large = with_member(ALLOWED["shiryo.docx"], "media/image1.png", bytes(1536 * 1024), zipfile.ZIP_STORED)

    response = upload_plan_document(client, city.plan, "keikaku.docx", large)

    assert response.status_code == 200
    assert (
        "Word（.docx）のファイルの中身が大きすぎます（展開すると2MB）。"
        "アップロードできるのは展開して1MBまでのファイルです。ファイルを分けてください。"
    ) in page_text(response)
    city.plan.refresh_from_db()
    assert not city.plan.document


@pytest.fixture
def published():
    """A published plan whose meeting has a document."""
    plan = build_plan(municipality())
    meeting = Meeting.objects.filter(council__plan=plan).first()
    return plan, fill_meeting(meeting)


def plan_document_response(client, plan, name, content):
    attach_plan_document(plan, name, content)
    publish(plan)
    return client.get(reverse("public:plan_document", args=[plan.pk]))


def meeting_document_response(client, document, name, content):
    document.file.save(name, ContentFile(content), save=True)
    publish(document.meeting.council.plan)
    return client.get(reverse("public:meeting_document", args=[document.pk]))


def assert_sandboxed(response):
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"


def test_residents_read_a_plan_pdf_in_the_browser(client, published):
    plan, _ = published
    response = plan_document_response(client, plan, "keikaku.pdf", PDF_BYTES)
    assert_sandboxed(response)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_residents_download_a_meeting_word_document(client, published):
    _, document = published
    response = meeting_document_response(client, document, "shiryo.docx", ALLOWED["shiryo.docx"])
    assert_sandboxed(response)
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert response["Content-Disposition"].startswith("attachment;")
    assert ".docx" in response["Content-Disposition"]


def test_a_meeting_pdf_and_image_are_shown_a_csv_is_downloaded(client, published):
    _, document = published
    for name, content_type, disposition in [
        ("keikaku.pdf", "application/pdf", "inline;"),
        ("zu.png", "image/png", "inline;"),
        ("kpi.csv", "text/csv", "attachment;"),
    ]:
        response = meeting_document_response(client, document, name, ALLOWED[name])
        assert_sandboxed(response)
        assert (response["Content-Type"], response["Content-Disposition"][: len(disposition)]) == (
            content_type, disposition,
        )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("old.html", HTML_PAGE),
        ("old.svg", REFUSED["logo.svg"][0]),
        ("old.txt", HTML_PAGE),  # an HTML page stored under a harmless name
        ("old.pdf", HTML_PAGE),
    ],
    ids=["html", "svg", "html-named-txt", "html-named-pdf"],
)
def test_a_stored_file_of_a_refused_kind_is_only_ever_downloaded_as_bytes(client, published, name, content):
    plan, document = published
    for response in [
        plan_document_response(client, plan, name, content),
        meeting_document_response(client, document, name, content),
    ]:
        assert_sandboxed(response)
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment;")


def test_a_document_missing_from_storage_answers_404(client, published):
    _, document = published
    os.remove(document.file.path)
    assert client.get(reverse("public:meeting_document", args=[document.pk])).status_code == 404
    assert MeetingDocument.objects.filter(pk=document.pk).exists()
