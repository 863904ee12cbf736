"""What staff read when they save a form, or look back at what changed: in Japanese, never a server error.

The stories behind the form walker's findings (tests/test_admin_form_walker.py): a new indicator row on
the plan page with its kind left at 成果目標, a new measure typed with its programmes on its add page, two
rows of the same number, and the yes/no and choice fields of the change history and of 未公開の変更.
"""

import pytest
from django.forms import modelform_factory
from django.urls import reverse

from measures.models import Measure, Program, SupportKind
from plans.models import Indicator
from reoffense_portal.composition.publishing.models import PlanVersion
from reoffense_portal.machinery.scoping.admin import ScopedModelForm
from tests.form_walker import BrowserForm, refusal_messages
from tests.public_data import publish
from tests.staff_world import change_url, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(client):
    city_a, _city_b = make_world()
    client.force_login(city_a.editor)
    return city_a


def opened(client, url, model_name) -> BrowserForm:
    return BrowserForm.from_html(client.get(url).content.decode(), f"{model_name}_form")


def with_new_row(form: BrowserForm, prefix: str, **values) -> BrowserForm:
    """「追加」 clicked in an inline group and the row's boxes filled (the others left as they come)."""
    for control in form.add_inline_row(prefix):
        name = control.name.rsplit("-", 1)[-1]
        if name in values:
            if control.kind == "select":
                control.options = [(value, value == values[name]) for value, _ in control.options]
            else:
                control.value = values[name]
    return form


def test_a_new_indicator_row_on_the_plan_page_saves_with_its_kind_left_at_成果目標(client, city):
    form = with_new_row(opened(client, change_url(city.plan), "plan"), "indicators",
                        name="協力雇用主数", unit="社", direction="higher")
    response = client.post(change_url(city.plan), form.data())
    assert response.status_code == 302, refusal_messages(response.content.decode())
    indicator = Indicator.objects.get(plan=city.plan, name="協力雇用主数")
    assert (indicator.kind, indicator.direction) == (Indicator.Kind.TARGET, Indicator.Direction.HIGHER)


def test_a_new_成果目標_row_left_at_its_kind_saves_without_a_direction_the_source_did_not_state(client, city):
    form = with_new_row(opened(client, change_url(city.plan), "plan"), "indicators", name="協力雇用主数", unit="社")
    response = client.post(change_url(city.plan), form.data())
    assert response.status_code == 302, refusal_messages(response.content.decode())
    assert Indicator.objects.get(name="協力雇用主数").direction == ""


def test_a_models_check_of_a_field_the_form_does_not_show_is_the_rows_own_error_named_by_the_field(city):
    """A compact form without 平均する年数 refuses in Japanese, naming the field, not with a server error."""
    form_class = modelform_factory(Indicator, form=ScopedModelForm, fields=["plan", "name", "kind", "unit", "period_kind"])
    form = form_class({"plan": city.plan.pk, "name": "刑法犯認知件数（3年平均）", "kind": "statistic", "unit": "件",
                       "period_kind": "average"})
    assert not form.is_valid()
    assert form.non_field_errors() == ["平均する年数：複数年平均の場合は平均する年数を入力してください。"]


def test_a_new_measure_is_saved_with_the_programmes_typed_on_its_add_page(client, city):
    url = reverse("admin:measures_measure_add")
    form = opened(client, url, "measure")
    form.named("area").options = [(str(city.area.pk), True)]  # chosen in the autocomplete box
    form.named("number").value = "2"
    form.named("title").value = "住居の確保"
    with_new_row(form, "programs", name="居住支援協議会との連携", order="1")
    response = client.post(url, form.data())
    assert response.status_code == 302, refusal_messages(response.content.decode())
    program = Program.objects.get(name="居住支援協議会との連携")
    assert program.measure == Measure.objects.get(area=city.area, number=2)
    assert program.area == city.area


def test_two_rows_of_the_same_number_are_refused_naming_the_field_in_japanese(client, city):
    form = with_new_row(opened(client, change_url(city.area), "priorityarea"), "measures", number="1", title="重複")
    response = client.post(change_url(city.area), form.data())
    messages = refusal_messages(response.content.decode())
    assert "番号が同じ行があります。行ごとに違う番号にしてください。" in messages
    assert not any("number" in message for message in messages)


def test_unpublished_changes_read_yes_and_no_as_はい_and_いいえ(client, city):
    Program.objects.create(measure=city.measure, name="就労相談", is_existing=True)
    page = client.get(reverse("admin:plans_plan_changes", args=[city.plan.pk])).content.decode()
    assert "<td>既存事業</td><td></td><td>はい</td>" in page
    assert "False" not in page and "True" not in page


def test_a_version_approved_before_the_labels_shows_no_change_in_a_yes_no_field_left_as_it_was(client, city):
    version = publish(city.plan)
    key = f"measures.program:{city.program.pk}"
    assert version.rows[key]["fields"]["既存事業"] == "いいえ"
    version.rows[key]["fields"]["既存事業"] = "False"  # as versions stored it before
    PlanVersion.objects.filter(pk=version.pk).update(rows=version.rows)
    page = client.get(reverse("admin:plans_plan_changes", args=[city.plan.pk])).content.decode()
    assert "未公開の変更はありません。" in page


def test_the_change_history_names_choices_and_yes_no_as_the_form_does(client, city):
    city.program.is_existing = True
    city.program.support_kind = SupportKind.of("employment")
    city.program.save()
    page = client.get(reverse("admin:measures_program_history", args=[city.program.pk])).content.decode()
    assert "<strong>既存事業：</strong>いいえ&nbsp;→&nbsp;はい" in page
    assert "<strong>直接支援の類型：</strong>（空欄）&nbsp;→&nbsp;就労支援" in page
    assert "employment" not in page and "False" not in page


def test_a_users_history_names_djangos_own_fields_in_japanese(client):
    from django.contrib.admin.models import LogEntry

    from tests.staff_world import make_user

    make_world()
    root = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(root)
    editor = make_user("kumamoto-staff", is_staff=True)
    url = reverse("admin:auth_user_change", args=[editor.pk])
    form = opened(client, url, "user")
    form.named("is_staff").checked = False
    response = client.post(url, form.data())
    assert response.status_code == 302, refusal_messages(response.content.decode())
    assert LogEntry.objects.get(object_id=str(editor.pk)).get_change_message() == "スタッフ権限 を変更しました。"
