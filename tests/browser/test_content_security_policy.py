"""The Content-Security-Policy holds in a real Chromium: residents' pages and every kind of admin screen
load and work with no violation (no inline script, no inline event handler, nothing from elsewhere).

Chromium reports each blocked script, style, image or form as a `securitypolicyviolation` event and a
console error; both are collected for the whole browser context, whatever page raised them.
"""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from councils.models import Meeting
from measures.models import Program
from plans.models import Plan, StaffMembership
from tests.public_data import fill_meeting
from tests.staff_world import PASSWORD, make_user

pytestmark = pytest.mark.django_db(transaction=True)

YAMAGUCHI_PLAN = 1001
KUMAMOTO_PLAN = 2001  # its KPIs have yearly values: the page draws charts

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(
    `${document.location.pathname} line ${event.lineNumber}: ${event.violatedDirective} blocked ${event.blockedURI}`
  );
});
"""


class ViolationWatch:
    """Every CSP violation and script error in one browser context, with the page it happened on."""

    def __init__(self, context):
        self.problems = []
        self.context = context
        context.expose_function("reportCspViolation", lambda text: self.problems.append(f"violation: {text}"))
        context.add_init_script(REPORT_VIOLATIONS)
        context.on("page", self.watch)

    def watch(self, page):
        page.on("console", lambda message: self.console(page, message))
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: script error: {error}"))

    def console(self, page, message):
        if "Content Security Policy" in message.text:
            self.problems.append(f"{page.url}: console {message.type}: {message.text}")

    def new_page(self):
        return self.context.new_page()


@pytest.fixture
def watch(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="ja-JP")
    yield ViolationWatch(context)
    context.close()


@pytest.fixture
def yamaguchi(seeded):
    fill_meeting(Meeting.objects.get(pk=1024))
    plan = Plan.objects.get(pk=YAMAGUCHI_PLAN)
    editor = make_user("yamaguchi-editor", password=PASSWORD)
    StaffMembership.objects.create(user=editor, municipality=plan.municipality, role="editor")
    make_user("admin", password=PASSWORD, is_staff=True, is_superuser=True)
    return plan


def visit(page, url):
    response = page.goto(url)
    page.wait_for_load_state("load")
    return response


def test_residents_pages_load_with_no_policy_violation(yamaguchi, watch):
    page = watch.new_page()
    for url in [
        "/",
        "/municipalities/352039/",
        f"/plans/{YAMAGUCHI_PLAN}/",
        f"/plans/{KUMAMOTO_PLAN}/",
        "/councils/1001/",
        "/meetings/1024/",
        "/accessibility/",
    ]:
        assert visit(page, url).status == 200, url
    # The survey sent empty comes back with its errors.
    visit(page, f"/plans/{YAMAGUCHI_PLAN}/")
    page.get_by_role("button", name="送信する").click()
    page.wait_for_load_state()
    expect(page.locator("body")).to_contain_text("送信できませんでした")
    assert visit(page, "/plans/999999/").status == 404

    assert not watch.problems, "\n".join(watch.problems)


def log_in(page, username):
    visit(page, reverse("admin:login"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text(username)


@pytest.mark.parametrize("username", ["yamaguchi-editor", "admin"])
def test_admin_screens_work_with_no_policy_violation(yamaguchi, watch, username):
    plan = yamaguchi
    program = Program.objects.filter(area__plan=plan).order_by("pk").first()
    program.save()  # a first version in its history (fixtures load without history)
    page = watch.new_page()
    log_in(page, username)

    visit(page, reverse("admin:index"))
    visit(page, reverse("admin:plans_plan_changelist"))
    expect(page.locator("#result_list")).to_contain_text(plan.title)

    # A plan with its inlines: a new row of an inline is added by the admin's script.
    visit(page, reverse("admin:plans_plan_change", args=[plan.pk]))
    steps = page.locator("#formulation_steps-group .dynamic-formulation_steps")
    before = steps.count()
    page.locator("#formulation_steps-group .add-row a").click()
    expect(steps).to_have_count(before + 1)

    # A programme: the autocomplete (select2) opens and finds its measure through the admin's search.
    visit(page, reverse("admin:measures_program_change", args=[program.pk]))
    page.locator(".field-measure .select2-selection").click()
    page.locator(".select2-dropdown .select2-search__field").fill(program.measure.title)
    expect(page.locator(".select2-results__option").first).to_contain_text(program.measure.title)
    page.keyboard.press("Escape")

    # Its spreadsheets and its history.
    visit(page, reverse("admin:measures_program_import"))
    expect(page.locator("input[type=file]")).to_be_visible()
    visit(page, reverse("admin:measures_program_export"))
    expect(page.locator("select[name=format]")).to_be_visible()
    visit(page, reverse("admin:measures_program_history", args=[program.pk]))
    expect(page.locator("#change-history")).to_be_visible()
    page.locator("#change-history tbody a").first.click()
    expect(page.locator(".breadcrumbs")).to_contain_text("過去の版")

    # The yearly progress screen, chosen from the index or reached from the plan.
    visit(page, reverse("admin:measures_programprogress_entry_pick"))
    expect(page.locator("#content-main form")).to_be_visible()
    visit(page, reverse("admin:plans_plan_change", args=[plan.pk]))
    page.click("#progress-entry-link")
    expect(page.locator(".progress-entry")).to_be_visible()
    expect(page.locator("#plan-rate")).to_have_css("font-weight", "700")  # static/css/admin.css applies

    assert not watch.problems, "\n".join(watch.problems)
