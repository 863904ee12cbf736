"""パブリックコメント as a city runs it: a publisher opens a comment period on the draft, residents read the 案 and
send opinions, staff summarise them with the city's view, and a publisher publishes 「意見の概要と市の考え方」."""

import datetime
import io
import logging
import re
import zoneinfo

import pytest
import time_machine
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from plans.models import FormulationStep
from reoffense_portal.composition.consultation.models import Comment, Commenter, CommentPeriod, CommentResponse
from reoffense_portal.composition.publishing.models import PlanVersion
from tests.public_data import PDF_BYTES, publish
from tests.staff_world import make_world

pytestmark = pytest.mark.django_db

JST = zoneinfo.ZoneInfo("Asia/Tokyo")
OPENING_DAY = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=JST)
FIRST_DAY, LAST_DAY = datetime.date(2026, 12, 1), datetime.date(2026, 12, 28)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


@pytest.fixture
def clock():
    with time_machine.travel(OPENING_DAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(clock):
    return make_world()


def open_period(client, city, **overrides):
    """The publisher's add form, as reached from the plan's 「意見募集を開始する」."""
    client.force_login(city.publisher)
    data = {
        "plan": city.plan.pk, "starts_on": FIRST_DAY.isoformat(), "ends_on": LAST_DAY.isoformat(),
        "explanation": "第二次計画の案をまとめました。", "rules": "郵送・ファクスでも受け付けます。市外の方も提出できます。",
        "ask_name": "optional", "ask_address": "optional", **overrides,
    }
    return client.post(reverse("admin:consultation_commentperiod_add"), data)


@pytest.fixture
def period(client, world):
    city_a, _ = world
    response = open_period(client, city_a)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    client.logout()
    return CommentPeriod.objects.get(plan=city_a.plan)


def comment(client, plan, **overrides):
    """Posts the form; keyword arguments in capitals are the request's headers (REMOTE_ADDR, HTTP_…)."""
    headers = {key: overrides.pop(key) for key in list(overrides) if key.isupper()}
    data = {"section": "計画全体", "opinion": "就労支援の取組を増やしてください。", "consent": "on",
            "name": "山田太郎", "address": "熊本市中央区手取本町1番1号", **overrides}
    return client.post(reverse("consultation:submit", args=[plan.pk]), data, **headers)


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- 1. the comment period on the draft -----------------------------------------------------------


def test_the_publisher_finds_the_open_button_on_the_plan_and_the_editor_does_not(client, world):
    city_a, _ = world
    plan_url = reverse("admin:plans_plan_change", args=[city_a.plan.pk])
    client.force_login(city_a.publisher)
    page = client.get(plan_url).content.decode()
    assert "パブリックコメント（意見募集）" in page
    assert f'href="/admin/consultation/commentperiod/add/?plan={city_a.plan.pk}"' in page
    client.force_login(city_a.editor)
    page = client.get(plan_url).content.decode()
    assert "意見募集の開始は、公開責任者が行います。" in page
    assert client.get(reverse("admin:consultation_commentperiod_add")).status_code == 403


def test_an_editor_cannot_open_a_period(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    response = client.post(reverse("admin:consultation_commentperiod_add"), {"plan": city_a.plan.pk})
    assert response.status_code == 403
    assert not CommentPeriod.objects.exists()


def test_a_period_cannot_open_on_a_published_plan_nor_end_before_it_starts(client, world):
    city_a, _ = world
    response = open_period(client, city_a, ends_on="2026-11-30")
    assert "募集締切日が過ぎています。今日以降の日付にしてください。" in text_of(response)
    publish(city_a.plan)
    response = open_period(client, city_a)
    assert "公開済みの計画には意見募集を開始できません。" in text_of(response)
    assert not CommentPeriod.objects.exists()


def test_opening_freezes_the_draft_as_the_proposal_residents_read_marked_and_not_indexed(client, world, period):
    city_a, _ = world
    city_a.plan.purpose = "承認前に書き換えた目的"
    city_a.plan.save()
    response = client.get(f"/plans/{city_a.plan.pk}/")
    assert response.status_code == 200
    page = text_of(response)
    assert "（案）意見募集中" in page and "令和8年12月28日まで" in page
    assert "第二次熊本市再犯防止推進計画（案）</h1>" in page
    assert "目的" in page and "承認前に書き換えた目的" not in page  # the 案 as it was when the period opened
    assert 'name="robots" content="noindex, nofollow"' in page
    assert "「意見の概要と市の考え方」としてこのサイトで公表します" in page
    assert "ご意見に対して個別の回答はいたしません。" in page
    assert "意見を送信する" in page
    assert "概要版" not in page and "オープンデータ" not in page and "改訂履歴" not in page
    assert f"/councils/{city_a.council.pk}/" in page
    assert client.get(f"/councils/{city_a.council.pk}/").status_code == 200  # the 案's council page too


def test_the_proposal_stays_out_of_versions_open_data_feeds_and_sitemap(client, world, period):
    city_a, _ = world
    pk = city_a.plan.pk
    assert not PlanVersion.objects.live().exists()
    for url in [f"/plans/{pk}/summary.pdf", f"/opendata/plans/{pk}.json", f"/opendata/plans/{pk}/programs.csv",
                f"/plans/{pk}/versions/"]:
        assert client.get(url).status_code == 404, url
    # The municipality's page says a plan is being prepared (策定中), without linking or naming the 案.
    assert "策定中" in client.get(f"/municipalities/{city_a.municipality.pk}/").content.decode()
    for url in ["/", f"/municipalities/{city_a.municipality.pk}/", "/feeds/updates.atom", "/feeds/meetings.ics",
                "/sitemap.xml"]:
        body = client.get(url).content.decode()
        assert f"/plans/{pk}/" not in body and "熊本市再犯防止推進計画" not in body, url


def test_the_proposals_own_document_is_downloadable_while_the_proposal_is_shown(client, world):
    city_a, _ = world
    open_period(client, city_a, document=SimpleUploadedFile("an.pdf", PDF_BYTES, content_type="application/pdf"))
    client.logout()
    period = CommentPeriod.objects.get()
    url = reverse("consultation:document", args=[city_a.plan.pk, period.pk])
    assert f'href="{url}"' in client.get(f"/plans/{city_a.plan.pk}/").content.decode()
    download = client.get(url)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    CommentPeriod.objects.filter(pk=period.pk).update(result_published_at=OPENING_DAY)
    assert client.get(url).status_code == 404


def test_the_proposal_is_not_shown_before_its_first_day(client, world, clock):
    city_a, _ = world
    open_period(client, city_a, starts_on="2026-12-05")
    client.logout()
    assert client.get(f"/plans/{city_a.plan.pk}/").status_code == 404
    clock.move_to(datetime.datetime(2026, 12, 5, 0, 0, tzinfo=JST))
    assert client.get(f"/plans/{city_a.plan.pk}/").status_code == 200


def test_opening_is_in_the_staff_log(client, world, caplog):
    city_a, _ = world
    with caplog.at_level(logging.INFO, logger="portal.staff"):
        open_period(client, city_a)
    assert any("action=open_comment_period" in record.message and "municipality=431001" in record.message
               for record in caplog.records)


# --- the comment form -----------------------------------------------------------------------------


def test_a_resident_sends_an_opinion_and_is_told_how_it_will_be_published(client, period):
    response = comment(client, period.plan)
    assert response.status_code == 302
    thanks = text_of(client.get(response["Location"]))
    assert "ご意見を受け付けました" in thanks and "個別の回答はいたしません" in thanks
    stored = Comment.objects.get()
    assert (stored.number, stored.section, stored.channel) == (1, "計画全体", Comment.Channel.WEB)
    assert stored.consents_to_publication
    assert (stored.commenter.name, stored.commenter.address) == ("山田太郎", "熊本市中央区手取本町1番1号")


def test_the_form_offers_the_plans_areas_as_what_the_opinion_is_about(client, period):
    page = text_of(client.get(f"/plans/{period.plan_id}/"))
    assert '<option value="重点施策1 就労支援">重点施策1 就労支援</option>' in page
    assert '<option value="その他">' in page


def test_bad_input_gets_japanese_errors_and_stores_nothing(client, period):
    response = comment(client, period.plan, opinion="あ" * 2001, consent="", section="存在しない章")
    assert response.status_code == 400
    page = text_of(response)
    assert "ご意見は2,000文字以内で入力してください（現在2001文字）。" in page
    assert "ご意見の概要の公表に同意いただける場合に受け付けます。" in page
    assert "意見の対象は選択肢の中から選んでください。" in page
    assert not Comment.objects.exists()


def test_a_name_the_city_requires_must_be_given_and_one_it_does_not_ask_is_not_shown(client, world):
    city_a, _ = world
    open_period(client, city_a, ask_name="required", ask_address="not_asked")
    client.logout()
    page = text_of(client.get(f"/plans/{city_a.plan.pk}/"))
    assert "氏名（団体の場合は団体名）<span" in page and "住所（団体の場合は所在地）" not in page
    response = comment(client, city_a.plan, name="")
    assert "氏名を入力してください。" in text_of(response)
    comment(client, city_a.plan, address="書いても保存しない住所")
    assert Commenter.objects.get().address == ""


def test_a_robot_filling_the_honeypot_is_thanked_and_ignored(client, period):
    response = comment(client, period.plan, homepage="http://spam.example")
    assert response.status_code == 302
    assert not Comment.objects.exists()


def test_a_comment_forged_by_another_site_is_refused_in_japanese(period):
    response = comment(Client(enforce_csrf_checks=True, HTTP_ORIGIN="https://evil.example"), period.plan)
    assert response.status_code == 403
    assert "このサイトのページ以外から送られたため" in response.content.decode()
    assert not Comment.objects.exists()


def test_the_comment_form_posts_from_its_page_without_a_token_or_cookie(period):
    client = Client(enforce_csrf_checks=True, HTTP_ORIGIN="http://testserver")
    page = client.get(f"/plans/{period.plan.pk}/")
    assert "csrfmiddlewaretoken" not in page.content.decode() and not page.cookies
    assert comment(client, period.plan).status_code == 302
    assert Comment.objects.count() == 1


def test_more_than_five_comments_in_ten_minutes_from_one_address_wait(client, period, clock):
    for _ in range(5):
        assert comment(client, period.plan).status_code == 302
    response = comment(client, period.plan)
    assert response.status_code == 429
    assert "しばらくしてから送信してください" in text_of(response)
    assert Comment.objects.count() == 5


def test_five_refused_posts_do_not_stop_residents_commenting(client, period, settings):
    """Behind the city's proxy, someone's five empty posts used to block every resident's comments."""
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    behind_proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(5):
        response = comment(client, period.plan, opinion="", HTTP_X_FORWARDED_FOR="198.51.100.66", **behind_proxy)
        assert response.status_code == 400
    # The one who posted them, with the form filled in, and another resident, each still have their five.
    for address in ("198.51.100.66", "198.51.100.7"):
        for _ in range(5):
            assert comment(client, period.plan, HTTP_X_FORWARDED_FOR=address, **behind_proxy).status_code == 302
    assert Comment.objects.count() == 10


def test_a_forged_forwarded_address_gets_no_sixth_comment(client, period, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    statuses = [
        comment(client, period.plan, REMOTE_ADDR="10.0.0.2",
                HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, 198.51.100.1").status_code
        for n in range(7)
    ]
    assert statuses == [302] * 5 + [429] * 2
    assert Comment.objects.count() == 5


def test_after_the_deadline_the_form_is_closed_with_a_clear_message(client, period, clock):
    clock.move_to(datetime.datetime(2026, 12, 28, 23, 59, tzinfo=JST))
    assert comment(client, period.plan).status_code == 302
    clock.move_to(datetime.datetime(2026, 12, 29, 0, 0, tzinfo=JST))
    cache.clear()
    page = text_of(client.get(f"/plans/{period.plan_id}/"))
    assert "ご意見の募集は令和8年12月28日で終了しました。" in page
    assert "意見を送信する" not in page and 'name="opinion"' not in page
    response = comment(client, period.plan)
    assert response.status_code == 403
    assert Comment.objects.count() == 1


# --- 2. handling comments -------------------------------------------------------------------------


def test_staff_list_filter_and_export_comments_without_personal_data(client, world, period):
    city_a, _ = world
    comment(client, period.plan)
    comment(client, period.plan, section="重点施策1 就労支援", opinion="協力雇用主を増やす施策を。", name="佐藤花子")
    client.force_login(city_a.editor)
    changelist = reverse("admin:consultation_comment_changelist")
    listed = client.get(changelist, {"section": "重点施策1 就労支援"})
    assert [c.number for c in listed.context["cl"].result_list] == [2]
    assert [c.number for c in client.get(changelist, {"answered": "no"}).context["cl"].result_list] == [1, 2]
    detail = client.get(reverse("admin:consultation_comment_change", args=[Comment.objects.get(number=2).pk]))
    assert "佐藤花子" in detail.content.decode()  # the municipality's staff see who wrote
    csv = client.post(reverse("admin:consultation_comment_export"), {"resource": "0", "format": "0"})
    content = csv.content.decode("utf-8-sig")
    assert content.splitlines()[0] == "団体コード,案の名称,受付番号,受付日時,提出方法,意見の対象,意見,意見の数,概要と考え方の番号,職員用メモ"
    assert "協力雇用主を増やす施策を。" in content
    assert "佐藤花子" not in content and "山田太郎" not in content and "手取本町" not in content
    xlsx = client.post(reverse("admin:consultation_comment_export"), {"resource": "0", "format": "1"})
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.values)
    assert len(rows) == 3 and "佐藤花子" not in str(rows)


def test_staff_of_another_city_see_none_of_the_comments(client, world, period):
    _, city_b = world
    comment(client, period.plan)
    client.force_login(city_b.editor)
    response = client.get(reverse("admin:consultation_comment_changelist"))
    assert response.context["cl"].result_count == 0
    stranger = client.get(reverse("admin:consultation_comment_change", args=[Comment.objects.get().pk]), follow=True)
    assert "山田太郎" not in stranger.content.decode()


def answer(client, period, comments, order=1, reflection="changed"):
    return client.post(reverse("admin:consultation_commentresponse_add") + f"?period={period.pk}", {
        "period": period.pk, "order": order, "section": "重点施策1 就労支援",
        "summary": "就労支援の取組を増やすべき。", "city_view": "ご意見を踏まえ、協力雇用主の拡大を施策に加えました。",
        "reflection": reflection, "comments": [c.pk for c in comments],
    })


def test_an_editor_answers_a_group_of_comments_and_marks_the_plan_changed(client, world, period):
    city_a, _ = world
    comment(client, period.plan)
    comment(client, period.plan)
    client.force_login(city_a.editor)
    form = client.get(reverse("admin:consultation_commentresponse_add") + f"?period={period.pk}").content.decode()
    assert "受付番号1（計画全体）：就労支援の取組を増やしてください。" in form
    assert answer(client, period, Comment.objects.all()).status_code == 302
    response = CommentResponse.objects.get()
    assert response.get_reflection_display() == "反映する（案を修正）"
    assert sorted(response.comments.values_list("number", flat=True)) == [1, 2]


def test_an_answer_cannot_take_comments_of_another_period(client, world, period):
    city_a, city_b = world
    comment(client, period.plan)
    other = CommentPeriod.objects.create(plan=city_a.plan, starts_on=FIRST_DAY, ends_on=LAST_DAY,
                                         explanation="別", rules="別", result_published_at=OPENING_DAY)
    client.force_login(city_a.editor)
    response = answer(client, other, Comment.objects.all())
    assert response.status_code == 200
    assert CommentResponse.objects.count() == 0


# --- 3. the result --------------------------------------------------------------------------------


def publish_result(client, city, period):
    client.force_login(city.publisher)
    return client.post(reverse("admin:consultation_commentperiod_publish_result", args=[period.pk]), follow=True)


def test_the_result_waits_for_the_deadline_and_for_every_comment_to_be_answered(client, world, period, clock):
    city_a, _ = world
    comment(client, period.plan)
    assert "締切日の翌日以降に公表してください" in text_of(publish_result(client, city_a, period))
    clock.move_to(datetime.datetime(2026, 12, 29, 10, 0, tzinfo=JST))
    assert "含まれていない意見があります（受付番号：1）" in text_of(publish_result(client, city_a, period))
    client.force_login(city_a.editor)
    answer(client, period, Comment.objects.all())
    response = client.post(reverse("admin:consultation_commentperiod_publish_result", args=[period.pk]), follow=True)
    assert "結果を公表できるのは、この自治体の公開責任者だけです。" in text_of(response)
    period.refresh_from_db()
    assert not period.result_published


@pytest.fixture
def published(client, world, period, clock):
    city_a, _ = world
    comment(client, period.plan)
    comment(client, period.plan, opinion="居住支援も\n充実してください。", name="")
    comment(client, period.plan, opinion="賛成です。")
    Comment.objects.filter(number=2).update(opinion_count=2)
    clock.move_to(datetime.datetime(2027, 1, 5, 10, 0, tzinfo=JST))
    client.force_login(city_a.editor)
    answer(client, period, Comment.objects.filter(number__in=[1, 2]))
    answer(client, period, Comment.objects.filter(number=3), order=2, reflection="reference")
    assert "結果を公表しました" in text_of(publish_result(client, city_a, period))
    period.refresh_from_db()
    client.logout()
    return period


def test_the_published_result_shows_the_table_counts_and_period(client, published):
    response = client.get(published.result_url())
    assert response.status_code == 200
    page = text_of(response)
    assert "第二次熊本市再犯防止推進計画（案）に対する意見の概要と市の考え方</h1>" in page
    assert "令和8年12月1日～令和8年12月28日（28日間）" in page
    assert "<dt>提出者数</dt><dd>3人（団体を含む）</dd>" in page and "<dt>意見数</dt><dd>4件</dd>" in page
    assert "<th scope=\"col\">市の考え方</th>" in page and "<th scope=\"col\">反映の有無</th>" in page
    assert "ご意見を踏まえ、協力雇用主の拡大を施策に加えました。" in page and "今後の参考とする" in page
    assert "山田太郎" not in page and "手取本町" not in page


def test_the_result_links_its_plan_only_once_the_plan_is_published(client, published):
    plan_link = f'<a href="/plans/{published.plan_id}/">'
    assert plan_link not in client.get(published.result_url()).content.decode()
    publish(published.plan)
    assert plan_link in client.get(published.result_url()).content.decode()


def test_no_comment_is_added_to_a_period_whose_result_is_published(client, world, published):
    city_a, _ = world
    client.force_login(city_a.editor)
    response = client.post(reverse("admin:consultation_comment_add"), {
        "period": published.pk, "received_at_0": "2027-01-06", "received_at_1": "10:00:00", "channel": "mail",
        "section": "計画全体", "opinion": "遅れて届いた意見", "opinion_count": 1,
    })
    assert "結果を公表した意見募集です。意見を追加・変更することはできません。" in text_of(response)
    assert Comment.objects.filter(period=published).count() == 3


def test_the_result_is_a_pdf_in_the_citys_table_format(client, published, run_jobs):
    url = reverse("consultation:result_pdf", args=[published.plan_id, published.pk])
    waiting = client.get(url)  # typeset by the job worker, not by the reader's request
    assert waiting.status_code == 503 and waiting["Retry-After"] == "10"
    assert "意見の概要と考え方のPDFは、公開にあわせて作成しているところです。" in waiting.text
    run_jobs()
    response = client.get(url)
    assert response["Content-Type"] == "application/pdf"
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages))
    assert "意見の概要と市の考え方" in text and "反映の有無" in text and "提出者数3人" in text
    assert "山田太郎" not in text


def test_once_the_result_is_published_the_proposal_is_gone_and_the_history_records_the_step(client, published):
    assert client.get(f"/plans/{published.plan_id}/").status_code == 404
    step = FormulationStep.objects.get(plan=published.plan, kind=FormulationStep.Kind.PUBLIC_COMMENT)
    assert step.date_label == "令和8年12月1日～令和8年12月28日"
    assert step.description == "パブリックコメント（意見募集）の実施（提出者3人、意見4件）"


def test_the_adopted_plans_page_links_the_result_and_its_history_shows_the_comment_period(client, published):
    publish(published.plan, summary="計画を策定しました")
    page = text_of(client.get(f"/plans/{published.plan_id}/"))
    assert f'<a href="{published.result_url()}">第二次熊本市再犯防止推進計画（案）に対する意見の概要と考え方</a>' in page
    assert "（意見募集の期間：令和8年12月1日～令和8年12月28日、提出者3人、意見4件）" in page
    assert "<td>パブリックコメント</td><td><p>パブリックコメント（意見募集）の実施（提出者3人、意見4件）</p></td>" in page


def test_a_published_result_is_frozen(client, world, published):
    city_a, _ = world
    client.force_login(city_a.publisher)
    response_row = CommentResponse.objects.first()
    change = client.post(reverse("admin:consultation_commentresponse_change", args=[response_row.pk]),
                         {"summary": "書き換え"})
    assert change.status_code == 403
    assert "書き換え" not in client.get(published.result_url()).content.decode()


# --- personal data retention ----------------------------------------------------------------------


def test_personal_data_is_erased_a_year_after_the_result_and_the_opinions_stay(client, published, clock, settings):
    assert settings.CONSULTATION_PERSONAL_DATA_RETENTION_DAYS == 365
    clock.move_to(datetime.datetime(2028, 1, 4, 10, 0, tzinfo=JST))
    call_command("erase_commenter_data", stdout=io.StringIO())
    assert Commenter.objects.filter(comment__period=published).count() == 3
    clock.move_to(datetime.datetime(2028, 1, 5, 10, 1, tzinfo=JST))
    out = io.StringIO()
    call_command("erase_commenter_data", stdout=out)
    assert "1件の意見募集で提出者の個人情報を消去しました（保存期間：結果の公表から365日）。" in out.getvalue()
    assert not Commenter.objects.exists()
    assert Comment.objects.filter(period=published).count() == 3
    published.refresh_from_db()
    assert published.personal_data_erased_at is not None
    assert "提出者数" in client.get(published.result_url()).content.decode()


def test_the_retention_period_is_a_setting(client, published, clock, settings):
    settings.CONSULTATION_PERSONAL_DATA_RETENTION_DAYS = 30
    clock.move_to(datetime.datetime(2027, 2, 5, 10, 0, tzinfo=JST))
    call_command("erase_commenter_data", stdout=io.StringIO())
    assert not Commenter.objects.exists()
