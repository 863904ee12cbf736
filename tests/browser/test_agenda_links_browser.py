"""A Kumamoto editor traces an agenda item to the programme it reviewed, in a real Chromium."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.staff_world import PASSWORD, make_world
from tests.test_agenda_traced import second_plan_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world():
    city_a, city_b = make_world()
    city_a.editor.set_password(PASSWORD)
    city_a.editor.save()
    second_plan_of(city_a)  # 協力雇用主の開拓事業, a programme of the city's previous plan
    return city_a, city_b


def test_the_programme_search_offers_only_the_meetings_plan_and_the_link_is_saved(page, live_server, world):
    city_a, _ = world
    page.goto(reverse("admin:login"))
    page.fill("input[name=username]", city_a.editor.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_be_visible()

    page.goto(reverse("admin:councils_agendaitem_change", args=[city_a.agenda_item.pk]))
    expect(page.locator("#content-main")).to_contain_text("審議した項目")
    page.locator(".field-programs .select2-selection").click()
    page.locator(".field-programs .select2-search__field").fill("協力雇用主")
    options = page.locator(".select2-results__option")
    expect(options).to_have_count(1)
    expect(options.first).to_have_text("協力雇用主の拡大")  # not 協力雇用主の開拓事業 of the other plan
    options.first.click()
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("変更しました")
    assert list(city_a.agenda_item.programs.values_list("name", flat=True)) == ["協力雇用主の拡大"]
