"""The page survey: stored for the municipality's staff, CSRF-protected, rate-limited, honeypot, Japanese errors."""

import datetime
import re

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from plans.feedback import ANSWERS, POSTS
from plans.models import Feedback
from tests.public_data import build_plan, municipality

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


@pytest.fixture
def plan():
    return build_plan(municipality())


def answers(page_plan, **changes):
    data = {
        "municipality": page_plan.municipality_id,
        "plan": page_plan.pk,
        "page_path": f"/plans/{page_plan.pk}/",
        "page_title": page_plan.title,
        "sufficiency": "sufficient",
        "clarity": "unclear",
        "findability": "slow",
        "comment": "成果目標のグラフが分かりやすかったです。",
        "homepage": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def errors_of(response) -> str:
    return " ".join(re.findall(r"<li>(.*?)</li>", response.content.decode().split('id="feedback-errors"')[1].split("</ul>")[0]))


def test_an_answer_is_stored_for_the_municipality_and_the_page(client, plan):
    response = client.post("/feedback/", answers(plan))
    assert response.status_code == 302
    assert response["Location"] == f"/feedback/thanks/?page=%2Fplans%2F{plan.pk}%2F"
    feedback = Feedback.objects.get()
    assert (feedback.municipality_id, feedback.plan, feedback.page_path) == ("352039", plan, f"/plans/{plan.pk}/")
    assert (feedback.sufficiency, feedback.clarity, feedback.findability) == ("sufficient", "unclear", "slow")
    assert feedback.comment == "成果目標のグラフが分かりやすかったです。"
    thanks = client.get(response["Location"]).content.decode()
    assert "ご意見ありがとうございました" in thanks and f'href="/plans/{plan.pk}/"' in thanks


def test_every_page_of_a_municipality_carries_the_survey_with_the_no_reply_note(client, plan):
    council = plan.councils.first()
    for url in [f"/plans/{plan.pk}/", f"/municipalities/{plan.municipality_id}/", f"/councils/{council.pk}/"]:
        html = client.get(url).content.decode()
        assert "お求めの情報が十分掲載されていましたか？" in html
        assert "ページの構成や内容、表現は分かりやすいものでしたか？" in html
        assert "この情報をすぐに見つけることができましたか？" in html
        assert "本フォームからのご意見・お問い合わせには返信できませんのでご了承ください。" in html
        assert f'name="page_path" value="{url}"' in html


def test_one_answer_alone_is_enough(client, plan):
    response = client.post("/feedback/", answers(plan, clarity=None, findability=None, comment=""))
    assert response.status_code == 302
    assert Feedback.objects.count() == 1


def test_an_empty_form_is_refused_in_japanese(client, plan):
    response = client.post("/feedback/", answers(plan, sufficiency=None, clarity=None, findability=None, comment="  "))
    assert response.status_code == 400
    assert "質問のいずれかにお答えいただくか、ご意見をご記入ください。" in errors_of(response)
    assert not Feedback.objects.exists()


def test_an_unknown_choice_is_refused_in_japanese(client, plan):
    response = client.post("/feedback/", answers(plan, clarity="perfect"))
    assert response.status_code == 400
    assert "ページの構成や内容、表現は分かりやすいものでしたか？：選択肢の中から選んでください。" in errors_of(response)


def test_a_too_long_comment_is_refused_with_its_length(client, plan):
    response = client.post("/feedback/", answers(plan, comment="あ" * 1001))
    assert response.status_code == 400
    assert "ご意見は1000文字以内で入力してください（現在1001文字）。" in errors_of(response)
    assert "あ" * 1001 in response.content.decode()  # what they wrote is kept for them to shorten


def test_feedback_on_a_draft_plan_is_refused(client, plan):
    draft = build_plan(plan.municipality, published=False, title="案の計画")
    response = client.post("/feedback/", answers(plan, plan=draft.pk))
    assert response.status_code == 400
    assert "このページの計画は公開されていません。" in errors_of(response)
    assert not Feedback.objects.exists()


def test_feedback_cannot_be_sent_to_another_municipality(client, plan):
    other = build_plan(municipality(code="431001", name="熊本市", prefecture_code="430005", prefecture_name="熊本県"))
    response = client.post("/feedback/", answers(plan, municipality="431001", plan=plan.pk))
    assert response.status_code == 400
    assert "ご意見の送り先が正しくありません" in errors_of(response)
    assert other.feedback.count() == 0 and not Feedback.objects.exists()


def test_a_foreign_page_address_is_refused(client, plan):
    response = client.post("/feedback/", answers(plan, page_path="https://evil.example/"))
    assert response.status_code == 400
    assert "ページのURLが正しくありません" in errors_of(response)


def test_a_robot_filling_the_honeypot_is_thanked_and_ignored(client, plan):
    response = client.post("/feedback/", answers(plan, homepage="https://spam.example/"))
    assert response.status_code == 302
    assert not Feedback.objects.exists()


def test_the_honeypot_is_hidden_from_people(client, plan):
    html = client.get(f"/plans/{plan.pk}/").content.decode()
    assert '<div class="hp">' in html and 'tabindex="-1" autocomplete="off"' in html


def test_too_many_answers_from_one_address_are_refused_for_a_while(client, plan):
    assert ANSWERS.limit == 5 and ANSWERS.window == 10 * 60
    for _ in range(ANSWERS.limit):
        assert client.post("/feedback/", answers(plan)).status_code == 302
    response = client.post("/feedback/", answers(plan))
    assert response.status_code == 429
    assert "しばらくしてから送信してください" in response.content.decode()
    assert Feedback.objects.count() == ANSWERS.limit
    other_address = client.post("/feedback/", answers(plan), REMOTE_ADDR="192.0.2.7")
    assert other_address.status_code == 302


def test_the_limit_starts_again_after_ten_minutes(client, plan):
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1), tick=False) as clock:
        for _ in range(ANSWERS.limit):
            client.post("/feedback/", answers(plan))
        assert client.post("/feedback/", answers(plan)).status_code == 429
        clock.shift(10 * 60)
        assert client.post("/feedback/", answers(plan)).status_code == 302
    assert Feedback.objects.count() == ANSWERS.limit + 1


def test_refused_posts_do_not_use_up_a_residents_answers(client, plan):
    for _ in range(ANSWERS.limit * 2):
        assert client.post("/feedback/", answers(plan, clarity="perfect")).status_code == 400
    for _ in range(ANSWERS.limit):
        assert client.post("/feedback/", answers(plan)).status_code == 302
    assert Feedback.objects.count() == ANSWERS.limit


def test_a_program_posting_without_end_is_stopped_even_when_every_post_is_refused(client, plan):
    for _ in range(POSTS.limit):
        assert client.post("/feedback/", answers(plan, clarity="perfect")).status_code == 400
    response = client.post("/feedback/", answers(plan))
    assert response.status_code == 429
    assert not Feedback.objects.exists()


PROXY = "10.0.0.2"


def test_behind_the_trusted_proxy_residents_are_counted_by_the_address_it_appended(client, plan, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    for _ in range(ANSWERS.limit):
        response = client.post("/feedback/", answers(plan), REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1")
        assert response.status_code == 302
    refused = client.post("/feedback/", answers(plan), REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert refused.status_code == 429
    # The same proxy, another resident.
    other = client.post("/feedback/", answers(plan), REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert other.status_code == 302


def test_a_forged_first_forwarded_address_does_not_make_a_new_resident(client, plan, settings):
    """The client writes what it likes into X-Forwarded-For; the proxy appends the address it really came from."""
    settings.TRUSTED_PROXIES = [PROXY]
    statuses = [
        client.post("/feedback/", answers(plan), REMOTE_ADDR=PROXY,
                    HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, 198.51.100.1").status_code
        for n in range(12)
    ]
    assert statuses == [302] * ANSWERS.limit + [429] * (12 - ANSWERS.limit)
    assert Feedback.objects.count() == ANSWERS.limit


def test_a_client_talking_to_the_server_directly_cannot_claim_another_address(client, plan, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    statuses = [
        client.post("/feedback/", answers(plan), REMOTE_ADDR="198.51.100.1",
                    HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(ANSWERS.limit + 1)
    ]
    assert statuses[-1] == 429


@pytest.mark.parametrize("headers", [
    {"HTTP_ORIGIN": "https://evil.example"},
    {"HTTP_ORIGIN": "null"},
    {"HTTP_REFERER": "https://evil.example/plans/"},
    {},
], ids=["another-origin", "opaque-origin", "another-referer", "neither"])
def test_a_post_forged_by_another_site_is_refused_in_japanese(plan, headers):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/feedback/", answers(plan), **headers)
    assert response.status_code == 403
    assert "このサイトのページ以外から送られたため、送信を受け付けられませんでした。" in response.content.decode()
    assert not Feedback.objects.exists()


@pytest.mark.parametrize("headers", [
    {"HTTP_ORIGIN": "http://testserver"}, {"HTTP_REFERER": "http://testserver/plans/"},
], ids=["origin", "referer-only"])
def test_the_form_of_a_stored_page_posts_from_the_page_without_a_cookie(plan, headers):
    """The page is the same bytes for every visitor: no token, no cookie; the browser's Origin tells the post apart."""
    client = Client(enforce_csrf_checks=True)
    page = client.get(f"/plans/{plan.pk}/")
    assert "csrfmiddlewaretoken" not in page.content.decode() and not page.cookies
    assert 'action="/feedback/"' in page.content.decode()
    response = client.post("/feedback/", answers(plan), **headers)
    assert response.status_code == 302
    assert Feedback.objects.count() == 1


def test_staff_read_the_answers_of_their_own_municipality_in_the_admin(client, plan):
    from django.contrib.auth import get_user_model

    from plans.models import StaffMembership

    other_plan = build_plan(municipality(code="431001", name="熊本市", prefecture_code="430005", prefecture_name="熊本県"))
    client.post("/feedback/", answers(plan, comment="山口市の計画へのご意見"))
    client.post("/feedback/", answers(other_plan, comment="熊本市の計画へのご意見"))
    editor = get_user_model().objects.create_user("yamaguchi-editor", password="x" * 12)
    StaffMembership.objects.create(user=editor, municipality_id="352039")
    client.force_login(editor)
    response = client.get("/admin/plans/feedback/")
    assert response.status_code == 200
    assert plan.title in response.content.decode() and other_plan.title not in response.content.decode()
    mine = Feedback.objects.get(municipality="352039")
    detail = client.get(f"/admin/plans/feedback/{mine.pk}/change/").content.decode()
    assert "山口市の計画へのご意見" in detail
    assert 'name="_save"' not in detail  # read only


def test_control_characters_and_direction_overrides_are_removed_from_an_answer(client, plan):
    typed = "グラフが\u202e分かりやすい\x1b[31m\x08\x7f\x85\u2066です\u2069。\r\n次の行\tタブ"
    response = client.post("/feedback/", answers(plan, comment=typed, page_title="再犯防止\u202e計画"))
    assert response.status_code == 302
    feedback = Feedback.objects.get()
    assert feedback.comment == "グラフが分かりやすい[31mです。\n次の行\tタブ"
    assert feedback.page_title == "再犯防止計画"
