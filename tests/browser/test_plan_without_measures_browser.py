"""熊本市's staff enter a new plan in a real Chromium: a public comment dated only by its month, and an area
whose programmes have no measure above them. Once approved, residents read both as entered, on the page
and in the 概要版 PDF."""


import pytest
from django.urls import reverse
from playwright.sync_api import expect

from measures.models import PriorityArea, Program
from plans.models import FormulationStep, Plan, StaffMembership
from tests.browser.staff_steps import approve_and_publish, log_in, pdf_text, submit_for_approval
from tests.staff_world import PASSWORD, make_user

TITLE = "第2次熊本市再犯防止推進計画"
AREA = "犯罪をした人等の特性に応じた指導・支援"
PROGRAMS = ["生活指導を要する児童への助言・指導", "女性からの様々な相談に対する助言や援助"]
STEP = "素案について市民の意見を募集しました。\n○ 意見の数：12件"


@pytest.fixture
def kumamoto_staff(seeded):
    city = Plan.objects.get(pk=2001).municipality
    for role in ("editor", "publisher"):
        StaffMembership.objects.create(
            user=make_user(f"kumamoto-{role}", password=PASSWORD), municipality=city, role=role
        )




def test_a_month_dated_step_and_an_area_without_measures_reach_the_page_and_the_pdf(
    page, browser, live_server, kumamoto_staff
):
    log_in(page, "kumamoto-editor")

    # The plan, with its public comment dated as the source dates it, and its area.
    page.goto(reverse("admin:plans_plan_add"))
    page.fill("#id_title", TITLE)
    page.fill("#id_period_start", "令和8年4月1日")
    page.fill("#id_period_end", "令和13年3月31日")
    page.locator("#formulation_steps-group .add-row a").click()
    page.fill("#id_formulation_steps-0-order", "1")
    page.fill("#id_formulation_steps-0-date", "令和5年12月")
    page.select_option("#id_formulation_steps-0-kind", "public_comment")
    page.fill("#id_formulation_steps-0-description", STEP)
    page.locator("#priority_areas-group .add-row a").click()
    page.fill("#id_priority_areas-0-number", "6")
    page.fill("#id_priority_areas-0-title", AREA)
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("追加しました")
    plan = Plan.objects.get(title=TITLE)
    step = FormulationStep.objects.get(plan=plan)
    assert (str(step.date), step.date_precision) == ("2023-12-01", "month")

    # The area's programmes, entered on the area's own page: no measure to invent.
    page.locator("#priority_areas-group a.inlinechangelink").click()
    expect(page.locator("#programs-group")).to_contain_text("取組・事業（施策なし）")
    for index, name in enumerate(PROGRAMS):
        page.locator("#programs-group .add-row a").click()
        page.fill(f"#id_programs-{index}-order", str(index + 1))
        page.fill(f"#id_programs-{index}-name", name)
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("変更しました")
    area = PriorityArea.objects.get(plan=plan)
    assert list(Program.objects.filter(area=area, measure=None).order_by("order").values_list("name", flat=True)) == PROGRAMS

    # Submitted by the editor, approved by the publisher.
    submit_for_approval(page, plan, "第2次計画の初版")
    page.context.clear_cookies()
    log_in(page, "kumamoto-publisher")
    approve_and_publish(page, plan, 1)

    # Residents: the step as dated, its lines kept; the programmes under the area, no number, no empty heading.
    resident = browser.new_context(base_url=live_server.url, locale="ja-JP").new_page()
    assert resident.goto(reverse("public:plan", args=[plan.pk])).status == 200
    history = resident.locator("#history table")
    expect(history).to_contain_text("令和5年12月")
    expect(history).not_to_contain_text("令和5年12月1日")
    expect(history).to_contain_text("パブリックコメント")
    expect(history.locator("ul.as-written li")).to_have_text(["○ 意見の数：12件"])
    section = resident.locator("section.area", has_text=AREA)
    expect(section.locator("ul.programs li")).to_have_count(2)
    expect(section.locator("h4")).to_have_count(0)
    expect(section).not_to_contain_text("（1）")

    pdf = resident.request.get(reverse("public:plan_summary", args=[plan.pk]))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.body())
    # The chapter 施策の展開, numbered among the chapters this new plan has (the 概要版 leaves out the rest).
    start = text.index("章施策の展開")
    end = text.find("章計画の推進体制", start)
    chapter = text[start:end if end != -1 else None]
    # 施策の体系 has no 施策 column, only the programmes (○); the area lists them ア, イ under no heading.
    assert "重点施策主な取組" in chapter and f"○{PROGRAMS[0]}" in chapter and f"○{PROGRAMS[1]}" in chapter
    assert f"6{AREA}主な取組担当課ア{PROGRAMS[0]}－イ{PROGRAMS[1]}－" in chapter
    assert "（1）" not in chapter and "（" not in chapter
    resident.context.close()
