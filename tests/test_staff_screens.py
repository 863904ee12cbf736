"""What staff meet on their screens: a prefecture's export, the order of a new row, the support category,
and a year nobody has recorded yet."""

import csv
import io
import re

import pytest
from django.contrib import admin
from django.urls import reverse

from measures.models import Program, SupportKind
from tests.staff_world import change_url, entry_url, form_data, make_prefecture_world, make_world
from tests.test_admin_isolation import management_forms

pytestmark = pytest.mark.django_db

# The exports of the plan's rows (the staff world holds no パブリックコメント).
EXPORTING = [
    model for model, model_admin in admin.site._registry.items()
    if hasattr(model_admin, "has_export_permission") and model._meta.app_label in ("plans", "measures", "councils")
]


def export_rows(client, model) -> list[list[str]]:
    """The CSV export of a change list as the user downloads it, header line first."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_export")
    response = client.post(url, {"resource": "0", "format": "0"})
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("model", EXPORTING, ids=[model.__name__ for model in EXPORTING])
def test_a_prefectures_export_holds_its_municipalities_rows_it_reads(client, model):
    prefecture, city, other = make_prefecture_world()
    client.force_login(prefecture.editor)
    readable = model.objects.readable_by(prefecture.editor)
    assert readable.count() > model.objects.for_user(prefecture.editor).count(), "control: it reads 熊本市's rows"
    rows = export_rows(client, model)
    assert len(rows) - 1 == readable.count()
    text = "\n".join(",".join(row) for row in rows)
    assert "ビー秘" not in text, "nothing of 山口市, of another prefecture"


# --- a year nobody has recorded --------------------------------------------------------------------


def test_a_year_nobody_recorded_reads_not_recorded_on_the_yearly_screen_not_0_percent(client):
    city, _ = make_world()
    client.force_login(city.editor)
    page = client.get(entry_url(city.plan, 2024)).content.decode()
    assert '<span class="rate" id="plan-rate">未記録</span>' in page
    assert '<span class="rate area-rate">未記録</span>' in page
    assert "0.0%" not in page
    # A year with its programme recorded (実施) keeps its rate.
    page = client.get(entry_url(city.plan, 2023)).content.decode()
    assert '<span class="rate" id="plan-rate">100.0%</span>' in page


# --- the number of a new row --------------------------------------------------------------------------


def add_inline_rows(data, prefix, rows):
    """`rows` (dicts of field → value) appended to the inline `prefix` of posted change-form data."""
    first = int(data[f"{prefix}-TOTAL_FORMS"])
    for index, row in enumerate(rows, start=first):
        data.update({f"{prefix}-{index}-{name}": value for name, value in row.items()})
    data[f"{prefix}-TOTAL_FORMS"] = str(first + len(rows))
    return data


def test_programmes_added_on_the_measures_page_are_numbered_after_the_last_one(client):
    city, _ = make_world()
    client.force_login(city.editor)
    page = client.get(change_url(city.measure)).content.decode()
    # The row 「追加」 copies starts blank, not at 1 (which the first programme has).
    assert re.search(r'<input type="text" name="programs-__prefix__-order"[^>]*data-next-number', page)
    assert not re.search(r'name="programs-__prefix__-order" value="1"', page)
    data = add_inline_rows(form_data(client, city.measure), "programs", [
        {"name": "職場体験の受入れ", "order": ""},
        {"name": "就労後の定着支援", "order": ""},
        {"order": "4"},  # a row added and left empty but for the number the page filled in: not a programme
    ])
    response = client.post(change_url(city.measure), data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    orders = dict(city.measure.programs.values_list("name", "order"))
    assert orders == {"協力雇用主の拡大": 1, "職場体験の受入れ": 2, "就労後の定着支援": 3}


def test_a_programme_added_on_its_own_page_is_numbered_after_its_measures_last_one(client):
    city, _ = make_world()
    client.force_login(city.editor)
    Program.objects.create(measure=city.measure, order=5, name="職場体験の受入れ")
    form = client.get(reverse("admin:measures_program_add")).content.decode()
    assert re.search(r'<input type="text" name="order"[^>]*inputmode="numeric"', form)
    assert not re.search(r'name="order" value="1"', form)
    assert "空欄のまま保存すると、いまある最後の番号の次の番号になります。" in form
    response = client.post(reverse("admin:measures_program_add"), {
        **management_forms(client, reverse("admin:measures_program_add")),
        "measure": city.measure.pk, "name": "就労後の定着支援", "order": "",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Program.objects.get(name="就労後の定着支援").order == 6
    # Without a measure, among the area's own programmes: the first one.
    client.post(reverse("admin:measures_program_add"), {
        **management_forms(client, reverse("admin:measures_program_add")),
        "area": city.area.pk, "name": "相談窓口の周知", "order": "",
    })
    assert Program.objects.get(name="相談窓口の周知").order == 1


def test_areas_and_measures_are_numbered_after_the_last_one_on_the_plans_and_areas_pages(client):
    city, _ = make_world()
    client.force_login(city.editor)
    data = add_inline_rows(form_data(client, city.area), "measures", [{"title": "住居の確保", "number": ""}])
    response = client.post(change_url(city.area), data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert list(city.area.measures.values_list("number", "title")) == [(1, "就労の確保"), (2, "住居の確保")]

    url = reverse("admin:measures_priorityarea_add")
    response = client.post(url, {**management_forms(client, url), "plan": city.plan.pk, "title": "居住支援"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(city.plan.priority_areas.values_list("number", "title")) == [(1, "就労支援"), (2, "居住支援")]


def test_a_number_typed_by_staff_is_kept_and_a_taken_one_is_refused(client):
    city, _ = make_world()
    client.force_login(city.editor)
    data = add_inline_rows(form_data(client, city.area), "measures", [{"title": "住居の確保", "number": "1"}])
    response = client.post(change_url(city.area), data)
    assert response.status_code == 200
    assert city.area.measures.count() == 1


# --- 直接支援の類型 ---------------------------------------------------------------------------------------


def test_the_support_category_is_chosen_on_the_programmes_page_and_where_programmes_are_listed(client):
    city, _ = make_world()
    client.force_login(city.editor)
    page = client.get(change_url(city.program)).content.decode()
    assert '<label for="id_support_kind">直接支援の類型:</label>' in page
    housing = SupportKind.of("housing")
    assert f'<option value="{housing.pk}">居住支援</option>' in page
    assert "相談支援（保護司会に委託）" in page and "相談支援（内訳未選択）" not in page, "the Ministry's kinds, no retired one"
    data = form_data(client, city.program)
    data["support_kind"] = str(housing.pk)
    response = client.post(change_url(city.program), data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    city.program.refresh_from_db()
    assert str(city.program.support_kind) == "居住支援"

    # On the measure's page (its programmes) and the area's page (its own programmes).
    page = client.get(change_url(city.measure)).content.decode()
    assert "直接支援の類型" in page and 'name="programs-0-support_kind"' in page
    Program.objects.create(area=city.area, name="相談窓口の周知")
    page = client.get(change_url(city.area)).content.decode()
    assert '<select name="programs-0-support_kind"' in page
