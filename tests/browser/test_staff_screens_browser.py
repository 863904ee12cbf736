# ruff: noqa: F811 (fixtures imported from other browser tests)
"""The staff screens of programmes in Chromium: a new row's number on the page, and axe-core (wcag2a, wcag2aa)
on the yearly screen and the main change lists at 1,280 px (the plan's change form has its own test)."""

from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from measures.models import Program
from tests.browser.staff_steps import log_in
from tests.browser.test_accessibility import AXE_OPTIONS, violations_text
from tests.browser.test_admin_widths import KUMAMOTO_PLAN, MEASURE, superuser, yearly_screen  # noqa: F401 (fixture)

CHANGE_LISTS = [
    "plans_plan", "measures_priorityarea", "measures_measure", "measures_program", "measures_programprogress",
    "plans_indicator", "plans_indicatorvalue", "councils_council", "councils_meeting",
]


def test_a_programme_row_added_on_the_measures_page_shows_the_next_number(page, superuser):  # noqa: F811 (fixture)
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, "admin")
    page.goto(reverse("admin:measures_measure_change", args=[MEASURE]))
    last = max(Program.objects.filter(measure_id=MEASURE).values_list("order", flat=True))
    page.locator("#programs-group .add-row a").click()
    new_row = page.locator("#programs-group tr.dynamic-programs").last
    assert new_row.locator("input[name$='-order']").input_value() == str(last + 1)
    new_row.locator("input[name$='-name']").fill("職場定着の支援")
    page.click("input[name=_save]")
    assert Program.objects.get(measure_id=MEASURE, name="職場定着の支援").order == last + 1


def test_the_yearly_screen_and_the_main_change_lists_pass_axe(page, superuser):  # noqa: F811 (fixture)
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, "admin")
    axe = Axe()
    screens = {"年度の進捗入力": yearly_screen(KUMAMOTO_PLAN)}
    screens.update({name: reverse(f"admin:{name}_changelist") for name in CHANGE_LISTS})
    failures = {}
    for name, url in screens.items():
        page.goto(url)
        results = axe.run(page, options=AXE_OPTIONS)
        if results.violations_count:
            failures[name] = violations_text(results)
    assert not failures, "\n".join(f"[{name}]\n{text}" for name, text in failures.items())
