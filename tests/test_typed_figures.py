"""Figures typed as staff write them, 「49,653」「49,653件」「４９，６５３」, read the same on every number box of the
admin, the yearly screen and the import; a comma that is no thousands separator (「1,2,3」) is refused in Japanese."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from measures.models import ProgramProgress
from plans.models import IndicatorComparison, IndicatorValue
from reoffense_portal.machinery.numbers import NumberError, read_number
from reoffense_portal.machinery.spreadsheets.widgets import SMALL_NUMBER, DecimalWidget, IntegerWidget
from tests.staff_world import change_url, entry_data, entry_url, form_data, make_world

pytestmark = pytest.mark.django_db

COMMA_RULE = "カンマは3桁ごとの区切りにだけ使います"


@pytest.mark.parametrize("typed, figure", [
    ("49,653", 49653), ("49,653件", 49653), ("４９，６５３", 49653), ("４９，６５３件", 49653),
    ("1,500,000円", 1500000), (" 49653 ", 49653), ("1,107.5", Decimal("1107.5")), ("44.8%", Decimal("44.8")),
    ("−3.5", Decimal("-3.5")), ("12団体", 12), ("３か所", 3),
])
def test_a_figure_is_read_as_staff_write_it(typed, figure):
    assert read_number(typed) == figure


@pytest.mark.parametrize("typed", ["1,2,3", "4,96,53", "49,65", ",653", "49653,", "1,000,00"])
def test_a_comma_that_is_no_thousands_separator_is_refused_saying_how_to_write_it(typed):
    with pytest.raises(NumberError, match=COMMA_RULE):
        read_number(typed)


def test_what_is_no_figure_is_refused_with_an_example():
    for typed in ("約500", "五百", "1,500千円", "12-3"):
        with pytest.raises(NumberError, match="「49,653」「49653件」のように数字で入力してください"):
            read_number(typed)
    with pytest.raises(NumberError, match="整数で入力してください"):
        read_number("12.5", integer=True)


def test_an_imported_cell_follows_the_same_rule():
    assert IntegerWidget().clean("４９，６５３件") == 49653
    assert DecimalWidget().clean("49,653") == Decimal("49653")
    for widget in (IntegerWidget(), SMALL_NUMBER, DecimalWidget()):
        with pytest.raises(ValueError, match=COMMA_RULE):
            widget.clean("1,2,3")
    with pytest.raises(ValueError, match="整数として読めません"):
        IntegerWidget().clean("50%")


def test_an_editor_types_a_statistics_figures_with_separators_on_the_indicators_page(client):
    city, _ = make_world()
    client.force_login(city.editor)
    page = client.get(change_url(city.indicator)).content.decode()
    # A text box that takes a comma: a browser's number box would post nothing for 「49,653」.
    assert re.search(r'<input type="text" name="values-0-value"[^>]*inputmode="decimal"', page)
    data = {**form_data(client, city.indicator),
            "values-0-value": "４９，６５３", "values-0-prefecture_value": "1,234,567件",
            "comparisons-TOTAL_FORMS": "1", "comparisons-0-scope": "nation", "comparisons-0-value": "182,582人",
            "comparisons-0-as_of_text": "令和4年"}
    response = client.post(change_url(city.indicator), data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    value = IndicatorValue.objects.get(pk=city.value.pk)
    assert (value.value, value.prefecture_value) == (Decimal("49653"), Decimal("1234567"))
    assert IndicatorComparison.objects.get(indicator=city.indicator).value == Decimal("182582")


def test_a_figure_with_a_stray_comma_is_refused_on_its_field_and_nothing_is_saved(client):
    city, _ = make_world()
    client.force_login(city.editor)
    data = {**form_data(client, city.indicator), "values-0-value": "1,2,3", "target_value": "450"}
    response = client.post(change_url(city.indicator), data)
    assert response.status_code == 200
    errors = [str(error) for form in response.context["inline_admin_formsets"][0].formset.forms
              for error in form.errors.get("value", [])]
    assert errors == ["“1,2,3” は数値として読めません。カンマは3桁ごとの区切りにだけ使います（例：49,653）。"
                      "いくつかの数値なら、一つずつ入力してください。"]
    assert IndicatorValue.objects.get(pk=city.value.pk).value == Decimal("500")


def test_an_editor_types_support_counts_and_yen_with_separators_on_the_yearly_screen(client):
    city, _ = make_world()
    client.force_login(city.editor)
    response = client.get(entry_url(city.plan, 2023))
    prefix = f"program-{city.program.pk}"
    data = {**entry_data(response), f"{prefix}-support_count": "1,234件", f"{prefix}-budget": "１，５００，０００円",
            f"{prefix}-actual_cost": "1,480,000"}
    response = client.post(entry_url(city.plan, 2023), data)
    assert response.status_code == 302, response.content.decode()[:500]
    progress = ProgramProgress.objects.get(pk=city.progress.pk)
    assert (progress.support_count, progress.budget, progress.actual_cost) == (1234, 1500000, 1480000)


def test_a_programmes_budget_typed_on_its_own_page_takes_separators(client):
    city, _ = make_world()
    client.force_login(city.editor)
    url = change_url(city.progress)
    response = client.post(url, {**form_data(client, city.progress), "budget": "2,000,000円", "support_count": "1,2"})
    assert response.status_code == 200
    assert COMMA_RULE in str(response.context["adminform"].form.errors["support_count"])
    response = client.post(url, {**form_data(client, city.progress), "budget": "2,000,000円"})
    assert response.status_code == 302
    assert ProgramProgress.objects.get(pk=city.progress.pk).budget == 2000000
    assert reverse("admin:measures_programprogress_changelist") in response.url


def test_stored_figures_are_shown_as_staff_write_them_and_saved_back_unchanged(client):
    """A figure reads 49,653 in its box (not 49653.00), a year 2024 (not 2,024); the page saved as it opened
    keeps every figure as it was."""
    city, _ = make_world()
    IndicatorValue.objects.filter(pk=city.value.pk).update(value=Decimal("49653"), prefecture_value=Decimal("44.80"))
    client.force_login(city.editor)
    page = client.get(change_url(city.indicator)).content.decode()
    assert re.search(r'name="values-0-value" value="49,653"', page)
    assert re.search(r'name="values-0-prefecture_value" value="44.8"', page)
    year = IndicatorValue.objects.get(pk=city.value.pk).year
    assert re.search(rf'name="values-0-year" value="{year}"', page)

    response = client.post(change_url(city.indicator), form_data(client, city.indicator))
    assert response.status_code == 302
    value = IndicatorValue.objects.get(pk=city.value.pk)
    assert (value.value, value.prefecture_value, value.year) == (Decimal("49653"), Decimal("44.8"), year)
