"""Who downloads which PDF: staff from the admin (drafts too, their municipalities only), residents published only."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse
from pypdf import PdfReader

from councils.models import Meeting
from plans.models import Municipality, Plan, StaffMembership
from reoffense_portal.summaries import typesetting
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


def is_pdf(response) -> bool:
    return (
        response.status_code == 200
        and response["Content-Type"] == "application/pdf"
        and (b"".join(response).startswith(b"%PDF-"))
    )


def test_a_resident_downloads_the_summary_of_a_published_plan(client, seeded):
    response = client.get(reverse("public:plan_summary", args=[KUMAMOTO_PLAN]))
    assert is_pdf(response)
    assert "inline" in response["Content-Disposition"]
    assert (
        "%E6%A6%82%E8%A6%81%E7%89%88" in response["Content-Disposition"]
    )  # 概要版, RFC 5987-encoded
    assert PdfReader(io.BytesIO(response.content)).metadata.title == "熊本市再犯防止推進計画 概要版"


def test_a_current_copy_is_revalidated_without_sending_the_pdf_again(client, seeded):
    url = reverse("public:plan_summary", args=[KUMAMOTO_PLAN])
    first = client.get(url)
    assert "no-cache" in first["Cache-Control"] and "public" in first["Cache-Control"]
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and not again.content

    Plan.objects.filter(pk=KUMAMOTO_PLAN).update(purpose="目的を改めました。")
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304  # not approved yet
    publish(Plan.objects.get(pk=KUMAMOTO_PLAN))
    changed = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert is_pdf(changed) and changed["ETag"] != first["ETag"]


def test_a_versions_summary_is_typeset_once_and_then_served_as_stored_bytes(client, seeded, monkeypatch):
    url = reverse("public:plan_summary", args=[KUMAMOTO_PLAN])
    typeset = []
    real = typesetting.render_pdf
    monkeypatch.setattr(typesetting, "render_pdf", lambda html, **kwargs: typeset.append(1) or real(html, **kwargs))
    first, again = client.get(url), client.get(url)
    assert is_pdf(first) and first.content == again.content
    assert len(typeset) == 1


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
    response = client.get(reverse("summaries:staff_plan_summary", args=[KUMAMOTO_PLAN]))
    assert is_pdf(response)
    assert "private" in response["Cache-Control"] and "no-cache" in response["Cache-Control"]
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
    response = client.get(reverse("summaries:staff_meeting_report", args=[YAMAGUCHI_MEETING]))
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


def test_a_render_over_the_time_limit_answers_in_japanese(client, kumamoto_editor, monkeypatch):
    def too_slow(html, **kwargs):
        raise typesetting.PdfRenderTimeout(20)

    monkeypatch.setattr(typesetting, "render_pdf", too_slow)
    cache.clear()  # a PDF cached by an earlier test would be served without rendering
    public = client.get(reverse("public:plan_summary", args=[KUMAMOTO_PLAN]))
    assert public.status_code == 503
    assert "制限時間（20秒）内に終わらなかったため中止しました" in public.content.decode()

    client.force_login(kumamoto_editor)
    url = reverse("summaries:staff_plan_summary", args=[KUMAMOTO_PLAN])
    staff = client.get(url, follow=True)
    assert staff.redirect_chain[0][0] == reverse("admin:plans_plan_change", args=[KUMAMOTO_PLAN])
    assert "制限時間（20秒）内に終わらなかったため中止しました" in staff.content.decode()
