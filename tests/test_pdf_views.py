"""Who downloads which PDF: staff from the admin (drafts too, their municipalities only), residents published only."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from councils.models import Meeting
from plans.models import Municipality, Plan, StaffMembership
from reoffense_portal.composition.summaries import typesetting
from tests.job_queue import staff_pdf
from tests.public_data import publish, unpublish

pytestmark = pytest.mark.django_db

KUMAMOTO, YAMAGUCHI = "431001", "352039"
KUMAMOTO_PLAN, YAMAGUCHI_PLAN = 2001, 1001
YAMAGUCHI_MEETING = 1024


def staff_of(code: str, username: str):
    user = get_user_model().objects.create_user(username, password="pdf-test-password-123")
    StaffMembership.objects.create(user=user, municipality=Municipality.objects.get(pk=code))
    user.refresh_from_db()
    return user


@pytest.fixture
def kumamoto_editor(seeded):
    return staff_of(KUMAMOTO, "kumamoto-editor")


def body(response) -> bytes:
    """A response's bytes, streamed (a stored download) or not, read once and kept."""
    if not hasattr(response, "read_body"):
        response.read_body = response.getvalue()
    return response.read_body


def is_pdf(response) -> bool:
    return (
        response.status_code == 200
        and response["Content-Type"] == "application/pdf"
        and body(response).startswith(b"%PDF-")
    )


def test_a_resident_downloads_the_summary_of_a_published_plan(client, seeded, run_jobs):
    run_jobs()
    response = client.get(reverse("public:plan_summary", args=[KUMAMOTO_PLAN]))
    assert is_pdf(response)
    assert "inline" in response["Content-Disposition"]
    assert (
        "%E6%A6%82%E8%A6%81%E7%89%88" in response["Content-Disposition"]
    )  # 概要版, RFC 5987-encoded
    assert PdfReader(io.BytesIO(body(response))).metadata.title == "熊本市再犯防止推進計画 概要版"


def test_a_current_copy_is_revalidated_without_sending_the_pdf_again(client, seeded, run_jobs):
    url = reverse("public:plan_summary", args=[KUMAMOTO_PLAN])
    run_jobs()
    first = client.get(url)
    assert "no-cache" in first["Cache-Control"] and "public" in first["Cache-Control"]
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and not again.content

    Plan.objects.filter(pk=KUMAMOTO_PLAN).update(purpose="目的を改めました。")
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304  # not approved yet
    publish(Plan.objects.get(pk=KUMAMOTO_PLAN))
    run_jobs()
    changed = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert is_pdf(changed) and changed["ETag"] != first["ETag"]


def test_a_versions_summary_is_typeset_by_the_worker_never_by_a_request(client, seeded, monkeypatch, run_jobs):
    url = reverse("public:plan_summary", args=[KUMAMOTO_PLAN])
    typeset = []
    real = typesetting.render_pdf
    monkeypatch.setattr(typesetting, "render_pdf", lambda html, **kwargs: typeset.append(1) or real(html, **kwargs))

    waiting = client.get(url)
    assert waiting.status_code == 503 and waiting["Retry-After"] == "10"
    assert "PDFを作成中です" in waiting.text and "熊本市再犯防止推進計画" in waiting.text
    assert "no-store" in waiting["Cache-Control"]
    assert typeset == []

    run_jobs()
    first, again = client.get(url), client.get(url)
    assert is_pdf(first) and body(first) == body(again)
    assert len(typeset) == 2  # the two seeded plans' summaries, once each


def test_two_workers_never_typeset_the_same_pdf(seeded, monkeypatch):
    from reoffense_portal.composition.publishing import pdf
    from reoffense_portal.composition.publishing.models import VersionFile

    file = VersionFile.objects.filter(version__plan_id=KUMAMOTO_PLAN, key="summary.pdf").get()
    monkeypatch.setattr(typesetting, "render_pdf", lambda html, **kwargs: b"%PDF-1.7 typeset")
    VersionFile.objects.filter(pk=file.pk).update(typeset_started_at=timezone.now())  # another worker has it
    assert pdf.typeset(file.pk) is False
    VersionFile.objects.filter(pk=file.pk).update(typeset_started_at=timezone.now() - timedelta(minutes=5))
    assert pdf.typeset(file.pk) is True  # that worker was cut off long ago
    assert pdf.typeset(file.pk) is False  # and it is done once


def test_a_pdf_whose_job_was_lost_is_queued_again_by_the_next_reader(client, seeded, run_jobs):
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()  # the worker died with the queue's rows (e.g. a restored database)
    url = reverse("public:plan_summary", args=[KUMAMOTO_PLAN])
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        assert client.get(url).status_code == 503
        assert client.get(url).status_code == 503
    assert DBTaskResult.objects.count() == 1  # queued once, not once per reader
    run_jobs()
    assert is_pdf(client.get(url))


def test_a_pdf_that_cannot_be_typeset_says_so(client, seeded, monkeypatch, run_jobs):
    def fail(html, **kwargs):
        raise typesetting.PdfRenderTimeout(20)

    monkeypatch.setattr(typesetting, "render_pdf", fail)
    run_jobs()
    response = client.get(reverse("public:plan_summary", args=[KUMAMOTO_PLAN]))
    assert response.status_code == 503 and response["Retry-After"] == "60"
    assert "PDFを作成できませんでした" in response.text


def test_the_published_plan_page_links_to_its_summary(client, seeded):
    page = client.get(reverse("public:plan", args=[KUMAMOTO_PLAN])).content.decode()
    assert reverse("public:plan_summary", args=[KUMAMOTO_PLAN]) in page


def test_a_draft_summary_is_404_for_anonymous_users(client, seeded):
    unpublish(Plan.objects.get(pk=KUMAMOTO_PLAN))
    assert client.get(reverse("public:plan_summary", args=[KUMAMOTO_PLAN])).status_code == 404


def test_the_public_address_is_404_for_a_draft_even_for_its_own_staff(client, kumamoto_editor):
    unpublish(Plan.objects.get(pk=KUMAMOTO_PLAN))
    client.force_login(kumamoto_editor)
    assert client.get(reverse("public:plan_summary", args=[KUMAMOTO_PLAN])).status_code == 404


def test_staff_addresses_send_anonymous_users_to_the_login(client, seeded):
    for url in (
        reverse("summaries:staff_plan_summary", args=[KUMAMOTO_PLAN]),
        reverse("summaries:staff_meeting_report", args=[YAMAGUCHI_MEETING]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_an_editor_downloads_the_draft_summary_marked_as_such(client, kumamoto_editor):
    unpublish(Plan.objects.get(pk=KUMAMOTO_PLAN))
    client.force_login(kumamoto_editor)
    response = staff_pdf(client, reverse("summaries:staff_plan_summary", args=[KUMAMOTO_PLAN]))
    assert is_pdf(response)
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    reader = PdfReader(io.BytesIO(response.content))
    assert reader.metadata.title == "熊本市再犯防止推進計画 概要版（案）"
    assert all("案" in page.extract_text() for page in reader.pages)


def test_an_editor_cannot_download_another_citys_plan_or_meeting(client, kumamoto_editor):
    client.force_login(kumamoto_editor)
    assert (
        client.get(reverse("summaries:staff_plan_summary", args=[YAMAGUCHI_PLAN])).status_code
        == 404
    )
    assert (
        client.get(reverse("summaries:staff_meeting_report", args=[YAMAGUCHI_MEETING])).status_code
        == 404
    )


def test_a_yamaguchi_editor_downloads_the_meeting_report(client, seeded):
    client.force_login(staff_of(YAMAGUCHI, "yamaguchi-editor"))
    response = staff_pdf(client, reverse("summaries:staff_meeting_report", args=[YAMAGUCHI_MEETING]))
    assert is_pdf(response)
    title = PdfReader(io.BytesIO(response.content)).metadata.title
    assert title == f"{Meeting.objects.get(pk=YAMAGUCHI_MEETING).title} 進捗状況報告"


def test_the_admin_change_forms_link_to_the_pdfs(client, seeded):
    admin = get_user_model().objects.create_superuser("root", password="pdf-test-password-123")
    client.force_login(admin)
    plan_form = client.get(
        reverse("admin:plans_plan_change", args=[KUMAMOTO_PLAN])
    ).content.decode()
    assert reverse("summaries:staff_plan_summary", args=[KUMAMOTO_PLAN]) in plan_form
    meeting_form = client.get(
        reverse("admin:councils_meeting_change", args=[YAMAGUCHI_MEETING])
    ).content.decode()
    assert reverse("summaries:staff_meeting_report", args=[YAMAGUCHI_MEETING]) in meeting_form


def test_a_render_over_the_time_limit_answers_in_japanese(client, kumamoto_editor, monkeypatch, run_jobs):
    def too_slow(html, **kwargs):
        raise typesetting.PdfRenderTimeout(20)

    monkeypatch.setattr(typesetting, "render_pdf", too_slow)
    cache.clear()  # a PDF cached by an earlier test would be served without rendering
    run_jobs()
    public = client.get(reverse("public:plan_summary", args=[KUMAMOTO_PLAN]))
    assert public.status_code == 503
    assert "制限時間（20秒）内に終わらなかったため中止しました" in public.content.decode()

    client.force_login(kumamoto_editor)
    url = reverse("summaries:staff_plan_summary", args=[KUMAMOTO_PLAN])
    job_page = client.get(url)["Location"]
    run_jobs()
    staff = client.get(job_page)
    assert "概要版PDFの作成は失敗しました。" in staff.text
    assert "制限時間（20秒）内に終わらなかったため中止しました" in staff.text


def test_a_staff_pdf_is_not_typeset_in_the_request_and_its_page_shows_the_progress(client, kumamoto_editor, monkeypatch):
    monkeypatch.setattr(typesetting, "render_pdf", lambda html, **kwargs: pytest.fail("typeset in the request"))
    client.force_login(kumamoto_editor)
    started = client.get(reverse("summaries:staff_plan_summary", args=[KUMAMOTO_PLAN]))
    page = client.get(started["Location"])
    assert "熊本市再犯防止推進計画 概要版PDFの作成" in page.text and "順番を待っています" in page.text


def test_nobody_else_downloads_a_staff_members_pdf(client, kumamoto_editor, run_jobs):
    client.force_login(kumamoto_editor)
    job_page = client.get(reverse("summaries:staff_plan_summary", args=[KUMAMOTO_PLAN]))["Location"]
    run_jobs()
    client.force_login(staff_of(KUMAMOTO, "kumamoto-colleague"))
    assert client.get(job_page.replace("/progress/", "/download/")).status_code == 404
