"""A superuser filters a change list by a plan found in the filter's search box, in a real Chromium.

With every municipality the filters by plan and municipality are search boxes (Django's
autocomplete); here the threshold of links is lowered to 1 so the two seeded plans make one.
"""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from measures.models import Program
from reoffense_portal.machinery.scoping import filters
from tests.browser.test_content_security_policy import log_in, visit, watch, yamaguchi  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_superuser_finds_the_plan_to_filter_by_and_sees_its_programmes_only(yamaguchi, watch, monkeypatch):  # noqa: F811
    monkeypatch.setattr(filters, "LINKS", 1)
    plan = yamaguchi
    other = Program.objects.exclude(area__plan=plan).order_by("pk").first()
    page = watch.new_page()
    log_in(page, "admin")
    visit(page, reverse("admin:measures_program_changelist"))

    search_box = page.locator("#changelist-filter form").filter(has=page.locator("select[data-field-name=plan]"))
    search_box.locator(".select2-selection").click()
    page.locator(".select2-dropdown .select2-search__field").fill("山口")
    option = page.locator(".select2-results__option").filter(has_text=plan.title)
    option.click()
    search_box.get_by_role("button", name="絞り込む").click()
    page.wait_for_load_state("load")

    assert f"area__plan__id__exact={plan.pk}" in page.url
    results = page.locator("#result_list")
    expect(results).to_contain_text(Program.objects.filter(area__plan=plan).first().name)
    expect(results).not_to_contain_text(other.name)
    expect(search_box.locator(".select2-selection")).to_contain_text(plan.title)
    assert not watch.problems, "\n".join(watch.problems)
