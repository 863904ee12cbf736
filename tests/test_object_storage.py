"""Uploads in an S3-compatible bucket: what staff upload on one app server, residents read from any other.

Every test here runs against a real S3 API on loopback (moto's server, tests/object_storage.py), set up
through the environment variables an operator sets. Drafts stay drafts: residents read a document only
once a version that links it is live, and the bucket's address is never handed out.
"""

import io
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from councils.models import MeetingDocument
from reoffense_portal.machinery import uploads
from reoffense_portal.machinery.object_storage import ObjectStorage
from reoffense_portal.settings import upload_storage
from tests.job_queue import run_queued_tasks
from tests.public_data import PDF_BYTES
from tests.staff_world import change_url, form_data, make_world
from tests.test_uploads import ALLOWED, office_open_xml, upload_document, upload_plan_document

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
DRAFT_PDF = PDF_BYTES.replace(b"%%EOF", b"%%EOF draft")


@pytest.fixture
def city(object_storage):
    """City A with its meeting's agenda (agenda.pdf) already in the bucket; nothing published yet."""
    city_a, _ = make_world()
    return city_a


def approve(client, city):
    """The editor asks for approval and the city's publisher approves: the plan as it is now goes live."""
    client.force_login(city.editor)
    client.post(reverse("admin:plans_plan_submit", args=[city.plan.pk]), {"comment": "資料を掲載"})
    client.force_login(city.publisher)
    response = client.post(reverse("admin:plans_plan_decide", args=[city.plan.pk]), {"decision": "approve"},
                           follow=True)
    assert "公開版を作成しています。" in response.content.decode()
    run_queued_tasks()  # the job worker builds the version
    assert "として公開しました。" in client.get(response.redirect_chain[-1][0]).content.decode()
    client.logout()


def plan_document(client, plan):
    return client.get(reverse("public:plan_document", args=[plan.pk]))


def meeting_document(client, document):
    return client.get(reverse("public:meeting_document", args=[document.pk]))


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_plan_document_uploaded_in_the_admin_is_kept_in_the_bucket_and_read_by_residents_once_approved(
    client, city, object_storage, settings
):
    client.force_login(city.editor)
    assert upload_plan_document(client, city.plan, "keikaku.pdf", PDF_BYTES).status_code == 302
    city.plan.refresh_from_db()
    assert city.plan.document.name in object_storage.keys()
    assert city.plan.document.name.startswith("plans/") and city.plan.document.name.endswith(".pdf")
    assert city.plan.document_size == len(PDF_BYTES)
    assert not Path(settings.MEDIA_ROOT).exists()  # nothing on this server's disk
    client.logout()
    assert plan_document(client, city.plan).status_code == 404  # a draft's document

    approve(client, city)

    response = plan_document(client, city.plan)
    assert response.status_code == 200
    assert body(response) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Length"] == str(len(PDF_BYTES))
    assert response["Content-Disposition"].startswith("inline;") and ".pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"


def test_a_replaced_document_waits_for_approval_while_residents_read_the_approved_one(client, city, object_storage):
    client.force_login(city.editor)
    upload_plan_document(client, city.plan, "keikaku.pdf", PDF_BYTES)
    approve(client, city)

    client.force_login(city.editor)
    assert upload_plan_document(client, city.plan, "keikaku.pdf", DRAFT_PDF).status_code == 302  # the same name
    assert len([key for key in object_storage.keys() if key.startswith("plans/")]) == 2  # neither overwritten
    preview = client.get(reverse("public:plan_document", args=[city.plan.pk]) + "?preview=1")
    assert body(preview) == DRAFT_PDF  # staff see what approval would publish
    client.logout()

    assert body(plan_document(client, city.plan)) == PDF_BYTES
    approve(client, city)
    assert body(plan_document(client, city.plan)) == DRAFT_PDF


def test_a_plan_never_approved_keeps_its_document_from_residents(client, city, object_storage):
    client.force_login(city.editor)
    upload_plan_document(client, city.plan, "keikaku.pdf", PDF_BYTES)
    client.logout()
    assert plan_document(client, city.plan).status_code == 404
    assert meeting_document(client, city.document).status_code == 404
    client.force_login(city.editor)  # its own staff preview it
    assert body(client.get(reverse("public:plan_document", args=[city.plan.pk]) + "?preview=1")) == PDF_BYTES


def test_a_meeting_material_is_kept_in_the_bucket_and_read_by_residents_once_approved(client, city, object_storage):
    word = ALLOWED["shiryo.docx"]
    client.force_login(city.editor)
    assert upload_document(client, city.document, "shiryo.docx", word).status_code == 302
    city.document.refresh_from_db()
    assert city.document.file.name in object_storage.keys()
    client.logout()
    assert meeting_document(client, city.document).status_code == 404

    approve(client, city)

    response = meeting_document(client, city.document)
    assert response.status_code == 200
    assert body(response) == word
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert response["Content-Disposition"].startswith("attachment;") and ".docx" in response["Content-Disposition"]
    assert (response["X-Content-Type-Options"], response["Content-Security-Policy"]) == ("nosniff", "sandbox")


def test_a_material_added_after_approval_stays_hidden_until_the_next_approval(client, city, object_storage):
    approve(client, city)
    client.force_login(city.editor)
    response = client.post(reverse("admin:councils_meetingdocument_add"), {
        "meeting": city.meeting.pk, "kind": MeetingDocument.Kind.MINUTES, "order": 2, "title": "議事録",
        "file": SimpleUploadedFile("gijiroku.pdf", PDF_BYTES),
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    added = MeetingDocument.objects.get(title="議事録")
    assert added.file.name in object_storage.keys()
    client.logout()
    assert meeting_document(client, added).status_code == 404

    approve(client, city)
    assert body(meeting_document(client, added)) == PDF_BYTES


@pytest.fixture(params=["disk", "bucket"])
def any_storage(request):
    return request.getfixturevalue("object_storage") if request.param == "bucket" else None


def test_a_deleted_material_stays_with_the_live_version_until_the_next_approval_on_disk_and_in_a_bucket(
    client, any_storage
):
    city, _ = make_world()
    approve(client, city)
    name = city.document.file.name
    client.force_login(city.editor)
    delete_url = reverse("admin:councils_meetingdocument_delete", args=[city.document.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not MeetingDocument.objects.filter(pk=city.document.pk).exists()
    assert default_storage.exists(name)  # the live version still links it
    client.logout()
    assert body(meeting_document(client, city.document)) == b"%PDF-1.4 test"

    approve(client, city)
    assert meeting_document(client, city.document).status_code == 404


def test_a_document_missing_from_the_bucket_answers_404(client, city, object_storage):
    approve(client, city)
    object_storage.server.client().delete_object(Bucket=object_storage.name, Key=city.document.file.name)
    assert meeting_document(client, city.document).status_code == 404


def test_a_stored_page_of_a_refused_kind_is_only_ever_downloaded_from_the_bucket(client, city, object_storage):
    page = b"<!DOCTYPE html><html><body><script>fetch('/admin/')</script></body></html>"
    city.document.file.save("old.txt", ContentFile(page), save=True)  # stored before uploads were checked
    approve(client, city)
    response = meeting_document(client, city.document)
    assert (response["Content-Type"], response["Content-Disposition"][:11]) == ("application/octet-stream", "attachment;")
    assert response["Content-Length"] == str(len(page))
    assert body(response) == page


def test_residents_download_a_large_document_as_it_arrives_from_the_bucket(client, city, object_storage):
    large = PDF_BYTES + bytes(8 * 1024 * 1024)
    city.plan.document.save("keikaku.pdf", ContentFile(large), save=True)
    approve(client, city)
    assert len(body(plan_document(client, city.plan))) == len(large)  # the S3 client is set up

    tracemalloc.start()
    try:
        response = plan_document(client, city.plan)
        received = sum(len(chunk) for chunk in response.streaming_content)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert received == len(large)
    assert peak < 1024 * 1024, f"{peak / 1024 / 1024:.1f} MB held to send an 8 MB file"


def test_a_large_csv_is_checked_and_sent_without_being_held_in_memory(client, city, object_storage):
    rows = "".join(f"{year},再犯者数,{number}\r\n" for year in range(2019, 2025) for number in range(40000))
    csv = ("年度,指標,値\r\n" + rows).encode("cp932")
    city.document.file.save("kpi.csv", ContentFile(csv), save=True)
    approve(client, city)
    assert len(body(meeting_document(client, city.document))) == len(csv)

    tracemalloc.start()
    try:
        response = meeting_document(client, city.document)
        received = sum(len(chunk) for chunk in response.streaming_content)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (received, response["Content-Type"]) == (len(csv), "text/csv")
    assert len(csv) > 4 * 1024 * 1024 and peak < 2 * 1024 * 1024, f"{peak / 1024 / 1024:.1f} MB held"


def test_two_servers_storing_the_same_name_at_once_get_different_names(object_storage):
    options = upload_storage(object_storage.server.environment(object_storage.name))["OPTIONS"]
    servers = [ObjectStorage(**options), ObjectStorage(**options)]
    names = {storage.get_available_name("meetings/2026/shiryo.pdf", max_length=100) for storage in servers}
    assert len(names) == 2
    assert all(name.startswith("meetings/2026/shiryo_") and name.endswith(".pdf") for name in names)


def test_the_admin_never_hands_out_an_address_of_the_bucket(client, city, object_storage):
    client.force_login(city.editor)
    upload_plan_document(client, city.plan, "keikaku.pdf", PDF_BYTES)
    page = client.get(change_url(city.plan)).content.decode()
    assert city.plan.document.name in page  # 現在のファイル
    assert object_storage.server.endpoint_url not in page and object_storage.name not in page
    assert "X-Amz" not in page and "Signature" not in page


def test_an_editor_replaces_a_meeting_material_with_an_office_file_on_the_meetings_own_form(client, city, object_storage):
    client.force_login(city.editor)
    data = form_data(client, city.meeting)
    data["documents-0-file"] = SimpleUploadedFile("shiryo.pptx", office_open_xml("ppt/presentation.xml"))
    assert client.post(change_url(city.meeting), data).status_code == 302
    city.document.refresh_from_db()
    assert city.document.file.name.endswith(".pptx") and city.document.file.name in object_storage.keys()


# --- the health check and the settings ------------------------------------------------------------


def test_health_writes_reads_and_deletes_a_file_in_the_bucket(client, object_storage):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["checks"]["storage"] == "ok"
    assert object_storage.keys() == []  # its test file is gone


def test_health_answers_503_when_the_bucket_is_not_there_and_does_not_say_why(client, object_storage, settings, s3_server):
    settings.STORAGES = {**settings.STORAGES, "default": upload_storage(s3_server.environment("no-such-bucket"))}
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "checks": {"database": "ok", "cache": "ok", "storage": "error"}}
    assert "bucket" not in response.content.decode().lower()


def test_without_s3_bucket_uploads_stay_on_the_servers_disk():
    assert upload_storage({}) == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_an_operator_sets_the_bucket_by_environment_variables(object_storage, tmp_path):
    environment = {**object_storage.server.environment(object_storage.name), "MEDIA_ROOT": str(tmp_path / "media")}
    code = (
        "from django.core.files.base import ContentFile; from django.core.files.storage import default_storage; "
        "name = default_storage.save('meetings/2026/shiryo.pdf', ContentFile(b'%PDF-1.4')); "
        "print(type(default_storage._wrapped).__name__, name)"
    )
    unset = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE", *environment)
    env = {key: value for key, value in os.environ.items() if key not in unset} | environment
    result = subprocess.run([sys.executable, "manage.py", "shell", "--no-imports", "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    kind, name = result.stdout.split()
    assert kind == "ObjectStorage"
    assert object_storage.keys() == [name]
    assert not (tmp_path / "media").exists()
    assert object_storage.server.client().get_object(Bucket=object_storage.name, Key=name)["Body"].read() == b"%PDF-1.4"


# --- text read in parts ---------------------------------------------------------------------------


def whole_text_problem(data: bytes) -> str | None:
    """The check of a text as it was made on the whole text at once: what reading in parts must agree with."""
    import codecs

    bom = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    for encoding in ("utf-16",) if bom else uploads.TEXT_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if uploads.CONTROL_CHARACTERS.search(text):
            break
        return "markup" if uploads.MARKUP.search(text) else None
    return "not text"


def text_problem_in_parts(data: bytes, part: int) -> str | None:
    original = uploads.CHUNK_BYTES
    uploads.CHUNK_BYTES = part
    try:
        problem = uploads.text_problem(io.BytesIO(data))
    finally:
        uploads.CHUNK_BYTES = original
    return problem and ("markup" if "タグ" in problem else "not text")


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet="<>/!?aZ1- \n年度あ\x01", max_size=40),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp932", "utf-16"]),
    part=st.integers(min_value=1, max_value=9),
)
def test_a_text_read_in_parts_is_judged_as_the_whole_text_would_be(text, encoding, part):
    data = text.encode(encoding)
    assert text_problem_in_parts(data, part) == whole_text_problem(data)


@pytest.mark.parametrize("data", [b"abc<scr", b"abc<script>", b"x </p", b"<", b"a<b", "再犯率＜30%、あ<".encode("cp932")])
def test_a_tag_cut_by_the_end_of_a_part_is_still_found(data):
    for part in range(1, len(data) + 1):
        assert text_problem_in_parts(data, part) == whole_text_problem(data), part
