"""Change history (who, when, a diff, revert) and no silent overwrites of stale forms."""

import re

import pytest
from django.urls import reverse

from measures.models import Measure, ProgramProgress
from tests.staff_world import make_user, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def change_url(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def form_data(client, obj):
    """Everything the change form would post as it stands, inline management forms included."""
    response = client.get(change_url(obj))
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        data[name] = value
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for inline_form in formset.formset.forms:
            for name in inline_form.fields:
                value = inline_form[name].value()
                if value not in (None, False):
                    data[inline_form.add_prefix(name)] = value
    return data


def test_editing_a_measure_records_who_changed_what_and_shows_the_diff(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    data = form_data(client, city_a.measure)
    data["title"] = "協力雇用主の開拓と就労の確保"
    response = client.post(change_url(city_a.measure), data)
    assert response.status_code == 302, (
        response.context and response.context["adminform"].form.errors
    )
    record = city_a.measure.history.first()
    assert record.history_user == city_a.editor and record.title == "協力雇用主の開拓と就労の確保"
    page = client.get(
        reverse("admin:measures_measure_history", args=[city_a.measure.pk])
    ).content.decode()
    assert "変更履歴" in page
    assert "施策名：" in page and "就労の確保" in page and "協力雇用主の開拓と就労の確保" in page
    assert "editor-a" in page


def test_revert_to_an_earlier_version(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    original = city_a.measure.history.earliest()
    measure = Measure.objects.get(pk=city_a.measure.pk)
    measure.title = "誤って書き換えた施策名"
    measure.save()
    revert_url = reverse(
        "admin:measures_measure_simple_history", args=[measure.pk, original.history_id]
    )
    page = client.get(revert_url).content.decode()
    assert "この版に戻す" in page and "就労の確保" in page
    data = {
        "area": measure.area_id,
        "number": 1,
        "title": original.title,
        "description": "",
        "edit_version": re.search(r'name="edit_version" value="(\d*)"', page).group(1),
    }
    response = client.post(revert_url, data)
    assert response.status_code == 302
    measure.refresh_from_db()
    assert measure.title == "就労の確保"
    assert measure.history.first().history_user == city_a.editor


def test_bulk_status_action_records_history_per_row(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    response = client.post(
        reverse("admin:measures_programprogress_changelist"),
        {"action": "set_status_under_review", "_selected_action": [city_a.progress.pk]},
        follow=True,
    )
    assert "1件の実施状況を「検討中」にしました" in response.content.decode()
    progress = ProgramProgress.objects.get(pk=city_a.progress.pk)
    assert progress.status == "under_review"
    latest = progress.history.first()
    assert latest.status == "under_review" and latest.history_user == city_a.editor


def test_bulk_status_action_of_a_never_touches_b(client, world):
    city_a, city_b = world
    client.force_login(city_a.editor)
    client.post(
        reverse("admin:measures_programprogress_changelist"),
        {
            "action": "set_status_not_implemented",
            "_selected_action": [city_a.progress.pk, city_b.progress.pk],
        },
    )
    assert ProgramProgress.objects.get(pk=city_b.progress.pk).status == "implemented"
    assert ProgramProgress.objects.get(pk=city_a.progress.pk).status == "not_implemented"


def test_a_stale_form_is_refused_and_keeps_the_users_input(client, world):
    city_a, _ = world
    colleague = make_user("colleague")
    city_a.municipality.memberships.create(user=colleague)
    client.force_login(city_a.editor)
    stale = form_data(client, city_a.measure)

    # A colleague saves the measure in between.
    measure = Measure.objects.get(pk=city_a.measure.pk)
    measure.description = "同僚が書いた説明"
    measure._history_user = colleague
    measure.save()

    stale["title"] = "私が直した施策名"
    response = client.post(change_url(city_a.measure), stale)
    assert response.status_code == 200
    page = response.content.decode()
    assert "上書きせずに保存を中止しました" in page
    assert "colleagueさん" in page and "変更された項目：説明" in page
    assert "私が直した施策名" in page  # the user's input is still in the form
    measure.refresh_from_db()
    assert measure.title == "就労の確保" and measure.description == "同僚が書いた説明"

    # Having read the message, saving again is a deliberate decision and goes through.
    again = {**stale, "edit_version": response.context["adminform"].form["edit_version"].value()}
    assert client.post(change_url(city_a.measure), again).status_code == 302
    measure.refresh_from_db()
    assert measure.title == "私が直した施策名"


def test_an_unchanged_inline_row_is_not_a_conflict_but_a_changed_one_is(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    stale = form_data(client, city_a.measure)
    program = city_a.program
    program.description = "同僚の説明"
    program.save()
    # The user changed only the measure: the programme row they did not touch is not written back.
    data = {**stale, "title": "施策名を変更"}
    assert client.post(change_url(city_a.measure), data).status_code == 302
    program.refresh_from_db()
    assert program.description == "同僚の説明"

    stale = form_data(client, city_a.measure)
    program.name = "同僚が変えた事業名"
    program.save()
    prefix = next(key for key in stale if key.endswith("-name") and key.startswith("programs"))
    data = {**stale, prefix: "私が変えた事業名"}
    response = client.post(change_url(city_a.measure), data)
    assert response.status_code == 200
    assert "上書きせずに保存を中止しました" in response.content.decode()
    program.refresh_from_db()
    assert program.name == "同僚が変えた事業名"


def test_a_fixture_row_without_history_is_still_protected(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    city_a.challenge.history.all().delete()  # as if loaded by loaddata
    stale = form_data(client, city_a.challenge)
    assert stale["edit_version"] == ""
    city_a.challenge.text = "同僚の文"
    city_a.challenge.save()
    response = client.post(change_url(city_a.challenge), {**stale, "text": "私の文"})
    assert response.status_code == 200
    assert "上書きせずに保存を中止しました" in response.content.decode()


def test_a_crafted_form_version_is_refused_as_stale_not_a_server_error(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    crafted = {**form_data(client, city_a.measure), "title": "私が直した施策名", "edit_version": "²"}
    response = client.post(change_url(city_a.measure), crafted)
    assert response.status_code == 200
    assert "上書きせずに保存を中止しました" in response.content.decode()
