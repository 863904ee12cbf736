"""A published page and its downloads are the same bytes for every resident: no cookie, no Vary: Cookie, an ETag
a proxy or browser revalidates with (304), Cache-Control from PUBLIC_CACHE_SECONDS; a page is one query."""

import gzip

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from plans.models import StaffMembership
from tests.public_data import build_plan, municipality, publish, unpublish

pytestmark = pytest.mark.django_db

# The one query of a page or a download: which version is live at this URL, with its stored page or its file's name.
PAGE_QUERIES = 1


@pytest.fixture
def plan(run_jobs):
    plan = build_plan(municipality())
    run_jobs()  # the worker typesets the 概要版
    return plan


def urls(plan) -> dict[str, str]:
    return {
        "page": f"/plans/{plan.pk}/",
        "council page": f"/councils/{plan.councils.first().pk}/",
        "PDF": f"/plans/{plan.pk}/summary.pdf",
        "CSV": f"/opendata/plans/{plan.pk}/programs.csv",
        "JSON": f"/opendata/plans/{plan.pk}.json",
    }


@pytest.mark.parametrize("what", ["page", "council page", "PDF", "CSV", "JSON"])
def test_a_resident_gets_bytes_any_cache_may_keep_and_revalidate(plan, what):
    url = urls(plan)[what]
    resident = Client()
    response = resident.get(url)
    assert response.status_code == 200
    assert not response.cookies and "Set-Cookie" not in response
    assert "cookie" not in response.get("Vary", "").lower()
    assert response["ETag"].startswith('"') and response["Last-Modified"].endswith("GMT")
    assert set(response["Cache-Control"].replace(" ", "").split(",")) == {"public", "no-cache"}
    again = resident.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and not again.content and again["ETag"] == response["ETag"]
    assert not again.cookies


@pytest.mark.parametrize("what", ["page", "PDF", "CSV", "JSON"])
def test_a_shared_cache_may_keep_them_for_the_seconds_the_site_allows(plan, what, settings):
    settings.PUBLIC_CACHE_SECONDS = 300
    response = Client().get(urls(plan)[what])
    assert set(response["Cache-Control"].replace(" ", "").split(",")) == {"public", "max-age=300"}


@pytest.mark.parametrize("what", ["page", "council page", "PDF", "CSV", "JSON"])
def test_a_page_or_download_is_one_query(plan, what, django_assert_max_num_queries):
    url = urls(plan)[what]
    Client().get(url)  # a page composed again for this release is stored at its first request
    with django_assert_max_num_queries(PAGE_QUERIES):
        assert Client().get(url).status_code == 200


def test_a_browser_gets_the_page_gzipped_as_it_asks_and_either_etag_revalidates(plan):
    url = urls(plan)["page"]
    plain = Client().get(url)
    browser = Client(HTTP_ACCEPT_ENCODING="gzip, deflate, br, zstd")
    response = browser.get(url)
    assert response.status_code == 200 and response["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.content) == plain.content
    assert len(response.content) < len(plain.content) / 4
    assert "Accept-Encoding" in response["Vary"] and "Accept-Encoding" in plain["Vary"]
    assert "Content-Encoding" not in plain
    assert response["ETag"] == "W/" + plain["ETag"]  # the same page in other bytes
    for etag in (response["ETag"], plain["ETag"]):
        assert browser.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


@pytest.mark.parametrize("what", ["CSV", "JSON"])
def test_a_browser_or_data_portal_gets_open_data_gzipped_as_stored_at_approval(plan, what):
    url = urls(plan)[what]
    plain = Client().get(url)
    response = Client(HTTP_ACCEPT_ENCODING="gzip").get(url)
    assert response["Content-Encoding"] == "gzip" and response["Content-Type"] == plain["Content-Type"]
    assert response["Content-Disposition"] == plain["Content-Disposition"]
    assert gzip.decompress(response.content) == plain.content
    assert len(response.content) < len(plain.content) / 3
    assert response["ETag"] == "W/" + plain["ETag"] and "Accept-Encoding" in response["Vary"]


def test_the_pdf_compressed_already_comes_as_it_is_to_every_reader(plan):
    response = Client(HTTP_ACCEPT_ENCODING="gzip").get(urls(plan)["PDF"])
    assert "Content-Encoding" not in response and "Vary" not in response
    assert response.content.startswith(b"%PDF")


def test_an_ended_publication_is_gone_at_once_even_for_a_reader_with_the_etag(plan):
    url = urls(plan)["page"]
    etag = Client().get(url)["ETag"]
    unpublish(plan)
    assert Client().get(url, HTTP_IF_NONE_MATCH=etag).status_code == 404


def test_a_new_version_gets_a_new_etag_and_is_read_at_once(plan):
    url = urls(plan)["page"]
    first = Client().get(url)
    plan.purpose = "改訂した目的です。"
    plan.save()
    publish(plan, summary="目的を改訂")
    changed = Client().get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    assert "改訂した目的です。" in changed.content.decode()


def test_a_member_of_staffs_session_cookie_is_never_offered_to_a_shared_cache(plan):
    user = get_user_model().objects.create_user("yamaguchi-editor", password="x" * 12, is_staff=True)
    StaffMembership.objects.create(user=user, municipality=plan.municipality, role=StaffMembership.Role.EDITOR)
    staff = Client()
    staff.force_login(user)
    response = staff.get(urls(plan)["page"])
    assert response.cookies  # the session, renewed on every request
    assert "public" not in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_staff_still_preview_the_working_rows(plan):
    user = get_user_model().objects.create_user("yamaguchi-editor", password="x" * 12, is_staff=True)
    StaffMembership.objects.create(user=user, municipality=plan.municipality, role=StaffMembership.Role.EDITOR)
    plan.purpose = "承認前の目的です。"
    plan.save()
    staff = Client()
    staff.force_login(user)
    preview = staff.get(f"/plans/{plan.pk}/?preview=1")
    assert "承認前の目的です。" in preview.content.decode() and "【案】" in preview.content.decode()
    assert "承認前の目的です。" not in Client().get(f"/plans/{plan.pk}/").content.decode()


def test_the_national_figure_comes_in_pages_that_name_each_other(monkeypatch):
    from reoffense_portal.composition.public import views

    monkeypatch.setattr(views, "STATUS_PAGE_PLANS", 1)  # nationwide 500 plans a page, about 150 KB
    build_plan(municipality())
    build_plan(municipality(code="431001", name="熊本市", prefecture_code="430005", prefecture_name="熊本県"))
    first = Client().get("/prefectures/status.json").json()
    assert (first["page"], first["pages"], first["previous"]) == (1, 2, None)
    assert [(p["name"], [m["name"] for m in p["municipality_plans"]]) for p in first["prefectures"]] == [
        ("山口県", ["山口市"])
    ]
    second = Client().get(first["next"]).json()
    assert [p["name"] for p in second["prefectures"]] == ["熊本県"] and second["next"] is None
    assert second["prefectures"][0]["municipality_plans"][0]["url"].startswith("http://testserver/plans/")
    for wrong in ("3", "0", "abc"):
        response = Client().get(f"/prefectures/status.json?page={wrong}")
        assert response.status_code == 404
