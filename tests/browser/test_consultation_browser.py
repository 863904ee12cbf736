"""パブリックコメント in a real Chromium: a publisher opens the period, a resident comments, an editor answers,
the publisher publishes 「意見の概要と市の考え方」; and axe-core finds nothing on the pages residents see."""

import datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from reoffense_portal.composition.consultation import services
from reoffense_portal.composition.consultation.models import Comment, CommentPeriod, CommentResponse
from tests.browser.staff_steps import log_in
from tests.browser.test_accessibility import AXE_OPTIONS, SCREENSHOTS, VIEWPORTS, violations_text
from tests.job_queue import run_queued_tasks
from tests.staff_world import PASSWORD, make_world

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def kumamoto():
    city, _ = make_world()
    for user in (city.editor, city.publisher):
        user.set_password(PASSWORD)
        user.save()
    return city


def the_deadline_passes(period):
    """Move the period into the past, as the calendar would: it ended yesterday."""
    today = timezone.localdate()
    CommentPeriod.objects.filter(pk=period.pk).update(starts_on=today - datetime.timedelta(days=30),
                                                       ends_on=today - datetime.timedelta(days=1))


def test_a_resident_comments_an_editor_answers_and_the_publisher_publishes_the_result(
    page, browser, live_server, kumamoto
):
    city = kumamoto
    today = timezone.localdate()
    log_in(page, city.publisher.username)
    page.goto(reverse("admin:plans_plan_change", args=[city.plan.pk]))
    page.click("#open-comment-period")
    page.fill("#id_starts_on", f"{today:%Y/%m/%d}")
    page.fill("#id_ends_on", f"{today + datetime.timedelta(days=29):%Y/%m/%d}")
    page.fill("#id_explanation", "第二次計画の案をまとめましたので、ご意見を募集します。")
    page.fill("#id_rules", "郵送、ファクス、窓口への持参でも受け付けます。")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("意見募集を開始しました")
    period = CommentPeriod.objects.get(plan=city.plan)

    resident = browser.new_context(base_url=live_server.url, locale="ja-JP").new_page()
    resident.goto(reverse("public:plan", args=[city.plan.pk]))
    expect(resident.locator("#proposal-notice")).to_contain_text("（案）意見募集中")
    resident.select_option("#id_section", "重点施策1 就労支援")
    resident.fill("#id_opinion", "協力雇用主の登録を増やす取組を加えてください。")
    resident.fill("#id_name", "熊本太郎")
    resident.check("#id_consent")
    resident.get_by_role("button", name="意見を送信する").click()
    expect(resident.locator("h1")).to_have_text("ご意見を受け付けました")
    assert Comment.objects.get().commenter.name == "熊本太郎"

    editor = browser.new_context(base_url=live_server.url, locale="ja-JP").new_page()
    log_in(editor, city.editor.username)
    editor.goto(reverse("admin:consultation_commentperiod_change", args=[period.pk]))
    editor.click("#period-comments-link")
    expect(editor.locator("#result_list")).to_contain_text("協力雇用主の登録を増やす取組を加えてください。")
    editor.goto(reverse("admin:consultation_commentperiod_change", args=[period.pk]))
    editor.click("#add-response-link")
    editor.fill("#id_order", "1")
    editor.fill("#id_section", "重点施策1 就労支援")
    editor.fill("#id_summary", "協力雇用主の登録を増やす取組を加えるべき。")
    editor.fill("#id_city_view", "ご意見を踏まえ、協力雇用主の登録の促進を取組に加えました。")
    editor.select_option("#id_reflection", "changed")
    editor.get_by_label("受付番号1（重点施策1 就労支援）", exact=False).check()
    editor.click("input[name=_save]")
    expect(editor.locator(".messagelist")).to_contain_text("追加しました")
    assert CommentResponse.objects.get().comments.count() == 1

    the_deadline_passes(period)
    resident.click("text=案のページへ戻る")
    expect(resident.locator("#comment-closed")).to_contain_text("ご意見の募集は")
    expect(resident.locator("#id_opinion")).to_have_count(0)

    page.goto(reverse("admin:consultation_commentperiod_change", args=[period.pk]))
    page.click("#publish-result-button")
    expect(page.locator(".messagelist")).to_contain_text("結果を公表しました")

    period.refresh_from_db()
    assert resident.goto(reverse("public:plan", args=[city.plan.pk])).status == 404
    resident.goto(period.result_url())
    expect(resident.locator("h1")).to_have_text("第二次熊本市再犯防止推進計画（案）に対する意見の概要と市の考え方")
    expect(resident.locator("table.comment-result")).to_contain_text("ご意見を踏まえ、協力雇用主の登録の促進を取組に加えました。")
    expect(resident.locator("table.comment-result")).to_contain_text("反映する（案を修正）")
    expect(resident.locator("main")).not_to_contain_text("熊本太郎")
    run_queued_tasks()  # the job worker typesets the result's PDF queued when it was published
    assert resident.request.get(reverse("consultation:result_pdf", args=[city.plan.pk, period.pk])).status == 200


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_comment_pages_pass_axe(browser, live_server, kumamoto, viewport):
    city = kumamoto
    today = timezone.localdate()
    period = services.open_period(CommentPeriod(
        plan=city.plan, starts_on=today, ends_on=today + datetime.timedelta(days=29),
        explanation="第二次計画の案をまとめました。", rules="郵送でも受け付けます。",
    ), city.publisher)
    context = browser.new_context(base_url=live_server.url, locale="ja-JP", viewport=VIEWPORTS[viewport])
    page = context.new_page()
    axe = Axe()
    failures = {}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def check(name):
        assert page.locator("html").get_attribute("lang") == "ja"
        assert page.locator("h1").count() == 1, f"{name}: one h1"
        page.screenshot(path=SCREENSHOTS / f"{name}-{viewport}.png", full_page=True)
        if viewport == "mobile":
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name}: wider than 375px by {overflow}px"
        results = axe.run(page, options=AXE_OPTIONS)
        if results.violations_count:
            failures[name] = violations_text(results)

    try:
        page.goto(reverse("public:plan", args=[city.plan.pk]))
        check("comment-proposal")
        page.get_by_role("button", name="意見を送信する").click()
        expect(page.locator("#comment-errors")).to_contain_text("送信できませんでした")
        check("comment-invalid")
        page.select_option("#id_section", "計画全体")
        page.fill("#id_opinion", "分かりやすい計画にしてください。")
        page.check("#id_consent")
        page.get_by_role("button", name="意見を送信する").click()
        expect(page.locator("h1")).to_have_text("ご意見を受け付けました")
        check("comment-thanks")
        the_deadline_passes(period)
        page.goto(reverse("public:plan", args=[city.plan.pk]))
        check("comment-closed")
        response = CommentResponse.objects.create(period=period, order=1, section="計画全体",
                                                  summary="分かりやすい計画にすべき。", city_view="図表を増やしました。",
                                                  reflection=CommentResponse.Reflection.CHANGED)
        response.comments.set(Comment.objects.all())
        services.publish_result(period, city.publisher)
        page.goto(period.result_url())
        check("comment-result")
    finally:
        context.close()
    assert not failures, "\n".join(f"[{name}]\n{text}" for name, text in failures.items())
