"""A Kumamoto editor's and publisher's year in a real Chromium, on the real Kumamoto and Yamaguchi data."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from measures.models import Measure, Program, ProgramProgress
from plans.models import IndicatorValue, Plan, StaffMembership
from tests.browser.staff_steps import approve_and_publish, log_in
from tests.staff_world import PASSWORD, make_user

KUMAMOTO_PLAN = 2001
YAMAGUCHI_PLAN = 1001
MEASURE = 20131  # 就労に向けた相談・支援等の充実
NEW_TITLE = "就労に向けた相談・支援等の充実（ハローワークとの連携強化）"


@pytest.fixture
def kumamoto(seeded):
    plan = Plan.objects.get(pk=KUMAMOTO_PLAN)  # published: residents read its approved version
    editor = make_user("kumamoto-editor", password=PASSWORD)
    StaffMembership.objects.create(user=editor, municipality=plan.municipality, role="editor")
    publisher = make_user("kumamoto-publisher", password=PASSWORD)
    StaffMembership.objects.create(user=publisher, municipality=plan.municipality, role="publisher")
    return plan



def test_kumamoto_editor_records_the_year_submits_it_and_the_publisher_approves(
    page, browser, live_server, kumamoto
):
    plan = kumamoto
    log_in(page, "kumamoto-editor")

    # Only Kumamoto's plan is listed; Yamaguchi's cannot be opened by URL either.
    page.goto(reverse("admin:plans_plan_changelist"))
    expect(page.locator("#result_list")).to_contain_text("熊本市再犯防止推進計画")
    expect(page.locator("#result_list")).not_to_contain_text("山口市")
    page.goto(reverse("admin:plans_plan_change", args=[YAMAGUCHI_PLAN]))
    expect(page.locator("body")).not_to_contain_text("第二次山口市再犯防止推進計画")
    expect(page.locator(".messagelist")).to_contain_text("見つかりませんでした")

    # Edit a measure.
    page.goto(reverse("admin:measures_measure_change", args=[MEASURE]))
    page.fill("#id_title", NEW_TITLE)
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("変更しました")
    assert Measure.objects.get(pk=MEASURE).title == NEW_TITLE

    # The preview shows the change, marked as 案.
    page.goto(reverse("admin:plans_plan_change", args=[plan.pk]))
    preview_href = page.locator("#plan-preview-link").get_attribute("href")
    page.goto(preview_href)
    expect(page.locator("body")).to_contain_text(NEW_TITLE)
    expect(page.locator(".preview-banner")).to_contain_text("案")

    # The yearly screen, reached from the plan page.
    page.goto(reverse("admin:plans_plan_change", args=[plan.pk]))
    page.click("#progress-entry-link")
    fiscal_year = plan.last_fiscal_year  # this fiscal year, or the nearest one of the plan's period
    expect(page).to_have_url(re.compile(rf"/entry/{plan.pk}/{fiscal_year}/$"))
    programs = list(
        Program.objects.filter(area__plan=plan).order_by(
            "area__number", "measure__number", "order"
        )[:3]
    )
    statuses = ["implemented", "partial", "not_implemented"]
    for program, status in zip(programs, statuses, strict=True):
        page.select_option(f"select[name=program-{program.pk}-status]", status)
    page.fill(f"input[name=program-{programs[0].pk}-support_count]", "14")
    page.fill(f"textarea[name=program-{programs[0].pk}-results]", "出前講座を3回実施")
    page.fill("input[name=indicator-2001-value]", "468")
    page.click("input[type=submit][value$=の進捗を保存]")
    expect(page.locator(".messagelist")).to_contain_text(
        "の進捗を保存しました（取組・事業 3件、指標の値 1件）"
    )
    first_area_rate = page.locator(".area-rate").first
    expect(first_area_rate).not_to_have_text("0.0%")
    saved = {
        p.program_id: p.status for p in ProgramProgress.objects.filter(fiscal_year=fiscal_year)
    }
    assert saved == {program.pk: status for program, status in zip(programs, statuses, strict=True)}
    assert IndicatorValue.objects.get(indicator_id=2001, year=fiscal_year).value == 468

    # Residents still read the approved version; the editor submits the changes for approval.
    resident = browser.new_context(base_url=live_server.url, locale="ja-JP").new_page()
    assert resident.goto(reverse("public:plan", args=[plan.pk])).status == 200
    expect(resident.locator("body")).not_to_contain_text(NEW_TITLE)
    page.goto(reverse("admin:plans_plan_change", args=[plan.pk]))
    expect(page.locator("#unpublished-changes")).to_contain_text("未公開の変更が")
    expect(page.locator("#approve-button")).to_have_count(0)
    page.fill("#id_comment", "令和7年度の進捗と施策名の変更を公開")
    page.click("#submit-button")
    expect(page.locator(".messagelist")).to_contain_text("の承認を申請しました")

    # The publisher finds it on the admin index and approves it.
    page.context.clear_cookies()
    log_in(page, "kumamoto-publisher")
    expect(page.locator("#awaiting-approval")).to_contain_text("令和7年度の進捗と施策名の変更を公開")
    page.click(f"#awaiting-approval a[href*='/plans/plan/{plan.pk}/']")
    expect(page.locator("#approve-button")).to_be_visible()
    approve_and_publish(page, plan, 2)

    # Residents now see the changed measure on the public page.
    response = resident.goto(reverse("public:plan", args=[plan.pk]))
    assert response.status == 200
    expect(resident.locator("body")).to_contain_text(NEW_TITLE)
    expect(resident.locator(".preview-banner")).to_have_count(0)
    resident.context.close()
