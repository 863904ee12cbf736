"""The plan's change form, with every inline group, passes axe-core (wcag2a, wcag2aa) at 1,280 px.

Every input and select has an accessible name: the inline tables' cells are named by their column
and row (「指標名（2行目）」), the hidden empty rows the 「追加」 link copies included.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from plans.models import Plan
from tests.browser.staff_steps import log_in
from tests.browser.test_accessibility import AXE_OPTIONS, violations_text
from tests.staff_world import PASSWORD, make_user

pytestmark = pytest.mark.django_db(transaction=True)

KUMAMOTO_PLAN = 2001


@pytest.fixture
def editor(seeded):
    """熊本市's editor, on the real plan: steps, challenges, indicators, areas, the evaluation scale, councils."""
    from plans.models import StaffMembership

    user = make_user("kumamoto-editor", password=PASSWORD, is_staff=True)
    StaffMembership.objects.create(user=user, municipality_id="431001", role=StaffMembership.Role.EDITOR)
    return user


def unnamed_controls(page) -> list[str]:
    """The names of the form's inputs, selects and textareas a screen reader would read without a name."""
    return page.evaluate("""() => [...document.querySelectorAll(
        '#plan_form input:not([type=hidden], [type=submit], [type=button]), #plan_form select, #plan_form textarea')]
        .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                      && !el.getAttribute('aria-labelledby') && !el.getAttribute('title'))
        .map(el => el.name)""")


def test_the_plan_change_form_with_its_inlines_passes_axe_at_1280_px(browser, live_server, editor):
    context = browser.new_context(base_url=live_server.url, locale="ja-JP", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        log_in(page, editor.username)
        page.goto(reverse("admin:plans_plan_change", args=[KUMAMOTO_PLAN]))
        assert Plan.objects.get(pk=KUMAMOTO_PLAN).indicators.exists()
        # 「追加」 in each inline group: the new rows are named too.
        for link in page.locator(".add-row a").all():
            link.click()
        assert unnamed_controls(page) == []
        results = Axe().run(page, options=AXE_OPTIONS)
        assert results.violations_count == 0, violations_text(results)
    finally:
        context.close()
