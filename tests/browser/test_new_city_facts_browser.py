"""A new city enters its first plan in a real Chromium from a source that dates nothing and gives no years.

川口市's staff type the period as the plan states it (令和6年度～令和8年度), its formulation steps in the
source's order without dates, a statistic known as one figure with 埼玉県's figure beside it and no year,
and a 成果目標 added on the plan page with 種類 left as it is. Submitted by the editor and approved by the
publisher, residents read it on the page, in the 概要版 PDF and in the open data with nothing invented:
no date, no year, no 集計期間, no 「以上」.
"""

import csv
import io
import json

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import expect

from plans.models import FormulationStep, Indicator, Municipality, Plan, StaffMembership
from tests.browser.staff_steps import approve_and_publish, log_in, pdf_text, submit_for_approval
from tests.browser.test_accessibility import AXE_OPTIONS, violations_text
from tests.staff_world import PASSWORD, make_user

TITLE = "川口市再犯防止推進計画"
STEPS = ["庁内関係課への照会", "関係機関・団体への意見聴取", "素案の作成", "パブリックコメントの実施"]
STATISTIC = "刑法犯認知件数"
TARGET = "再犯防止に関する研修の受講率"


@pytest.fixture
def new_city(db):
    """埼玉県 and 川口市 with an editor and a publisher, and nothing else of theirs in the portal yet."""
    prefecture = Municipality.objects.create(code="110001", name="埼玉県", kind=Municipality.Kind.PREFECTURE)
    city = Municipality.objects.create(code="112038", name="川口市", kind=Municipality.Kind.CITY, prefecture=prefecture)
    for role in ("editor", "publisher"):
        StaffMembership.objects.create(user=make_user(f"kawaguchi-{role}", password=PASSWORD), municipality=city,
                                       role=role)
    return city


def test_a_new_city_enters_a_plan_from_a_source_without_dates_or_years_and_residents_read_no_invented_fact(
    page, browser, live_server, new_city
):
    log_in(page, "kawaguchi-editor")

    # The plan: its period as the plan states it, its steps in order without dates, two indicators.
    page.goto(reverse("admin:plans_plan_add"))
    page.fill("#id_title", TITLE)
    page.fill("#id_period_start", "令和6年度")
    page.fill("#id_period_end", "令和8年度")
    for index, description in enumerate(STEPS):
        page.locator("#formulation_steps-group .add-row a").click()
        page.fill(f"#id_formulation_steps-{index}-order", str(index + 1))
        page.select_option(f"#id_formulation_steps-{index}-kind", "other")
        page.fill(f"#id_formulation_steps-{index}-description", description)
    for index, (name, unit) in enumerate([(STATISTIC, "件"), (TARGET, "%")]):
        page.locator("#indicators-group .add-row a").click()
        page.fill(f"#id_indicators-{index}-name", name)
        page.fill(f"#id_indicators-{index}-unit", unit)
    page.select_option("#id_indicators-0-kind", "statistic")  # the other keeps its 種類 as offered
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("追加しました")
    plan = Plan.objects.get(title=TITLE)
    assert (str(plan.period_start), str(plan.period_end)) == ("2024-04-01", "2027-03-31")
    assert list(plan.formulation_steps.values_list("order", "date", "description")) == [
        (n, None, description) for n, description in enumerate(STEPS, start=1)
    ]
    target = Indicator.objects.get(plan=plan, name=TARGET)
    assert (target.kind, target.direction, target.period_kind) == ("target", "", "")

    # The statistic's own page: the city's figure and 埼玉県's beside it, neither with a year.
    row = page.locator("#indicators-group tr.has_original", has=page.locator(f'input[value="{STATISTIC}"]'))
    row.get_by_role("link", name="値を入力・確認").click()
    page.fill("#id_baseline_value", "5210")
    page.locator("#comparisons-group .add-row a").click()
    page.select_option("#id_comparisons-0-scope", "prefecture")
    page.fill("#id_comparisons-0-value", "49653")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("変更しました")
    statistic = Indicator.objects.get(plan=plan, name=STATISTIC)
    [figure] = statistic.comparisons.all()
    assert (figure.subject, figure.value, figure.year, figure.as_of_text) == ("埼玉県", 49653, None, "")

    # Submitted by the editor, approved by the publisher.
    submit_for_approval(page, plan, "初版の公開")
    page.context.clear_cookies()
    log_in(page, "kawaguchi-publisher")
    approve_and_publish(page, plan, 1)

    # Residents: the steps in order with 「－」 for the dates; 埼玉県's figure beside the city's; no 以上.
    resident = browser.new_context(base_url=live_server.url, locale="ja-JP").new_page()
    assert resident.goto(reverse("public:plan", args=[plan.pk])).status == 200
    expect(resident.locator("#outline")).to_contain_text("令和6年度（2024年度）～令和8年度（2026年度）")
    history = resident.locator("#history table tbody tr")
    expect(history.locator("th")).to_have_text(["－"] * len(STEPS))
    expect(history.locator("td:last-child")).to_have_text(STEPS)
    expect(resident.locator("#history")).to_contain_text("計画の資料に日付の記載がないもの")
    compared = resident.locator(f"#indicator-{statistic.pk} table.comparison-figures tbody tr")
    expect(compared).to_have_text(["川口市5,210件記載なし", "埼玉県49,653件記載なし"])
    expect(resident.locator(f"#indicator-{target.pk}")).not_to_contain_text("以上")
    results = Axe().run(resident, options=AXE_OPTIONS)  # the new tables and notes meet JIS X 8341-3 AA as the rest
    assert not results.violations_count, violations_text(results)

    pdf = resident.request.get(reverse("public:plan_summary", args=[plan.pk]))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.body())
    assert "項目時点川口市埼玉県出典" in text
    assert f"{STATISTIC}－5,210件49,653件－" in text  # neither figure has a time: the row says 「－」 for both
    steps = text[text.index("資料策定経過"):]
    assert "".join(f"－その他{description}" for description in STEPS) in steps
    assert "令和" not in steps.replace("令和6年度", "")  # no date but the period's

    data = json.loads(resident.request.get(reverse("public:plan_json", args=[plan.pk])).text())
    assert [(s["order"], s["date"], s["description"]) for s in data["formulation_steps"]] == [
        (n, None, description) for n, description in enumerate(STEPS, start=1)
    ]
    [indicator] = [i for i in data["indicators"] if i["name"] == STATISTIC]
    assert indicator["period_kind"] == "" and indicator["baseline"]["year"] is None
    assert indicator["comparisons"] == [
        {"scope": "都道府県", "subject": "埼玉県", "value": 49653, "as_of": "", "year": None, "label": ""}
    ]
    rows = list(csv.DictReader(io.StringIO(
        resident.request.get(reverse("public:plan_csv", args=[plan.pk, "indicator-comparisons"])).body()
        .decode("utf-8-sig")
    )))
    assert [(r["対象の名前"], r["値"], r["時点"], r["年（年度）"]) for r in rows] == [("埼玉県", "49653", "", "")]
    assert FormulationStep.objects.filter(plan=plan, date__isnull=False).count() == 0
    resident.context.close()
