"""Change history (who, when, a diff, revert) and no silent overwrites of stale forms."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse

from measures.models import Measure, ProgramProgress
from plans.models import Plan, StaffMembership
from tests.staff_world import change_url, form_data, make_user, make_world, page_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


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


@pytest.fixture
def colleague_b(world):
    """A second editor of city A, signed in on their own browser."""
    city_a, _ = world
    user = make_user("suzuki", first_name="")
    StaffMembership.objects.create(user=user, municipality=city_a.municipality)
    browser = Client()
    browser.force_login(user)
    return user, browser


def saved_at_1015_on_1_december(obj):
    """Pin the time of the newest history row, so the page's 「12月1日 10:15」 can be asserted."""
    latest = obj.history.first()
    when = datetime.datetime(2026, 12, 1, 10, 15, tzinfo=datetime.timezone(datetime.timedelta(hours=9)))
    type(latest).objects.filter(pk=latest.pk).update(history_date=when)


CONFIRM = "他の人の変更を確認し、自分の入力で上書きする"


def test_a_stale_plan_save_shows_the_colleagues_value_and_overwrites_only_when_confirmed(
    client, world, colleague_b
):
    city_a, _ = world
    b, browser_b = colleague_b
    client.force_login(city_a.editor)
    plan = city_a.plan
    form_of_a = form_data(client, plan)
    form_of_b = form_data(browser_b, plan)

    # A saves a new purpose first.
    response = client.post(change_url(plan), {**form_of_a, "purpose": "Aが書いた目的"})
    assert response.status_code == 302
    saved_at_1015_on_1_december(plan)

    # B's save of the form opened before is refused, A's value beside B's input.
    response = browser_b.post(change_url(plan), {**form_of_b, "purpose": "Bが書いた目的"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "上書きせずに保存を中止しました" in page and "変更された項目：計画の目的" in page
    assert "現在の保存内容：Aが書いた目的（editor-aさんが12月1日 10:15に変更）" in page
    assert "Bが書いた目的" in page  # B's input is still in the form
    assert CONFIRM in page
    plan.refresh_from_db()
    assert plan.purpose == "Aが書いた目的"

    # Pressing save again unchanged is still refused: no silent overwrite.
    reshown = page_data(response)
    response = browser_b.post(change_url(plan), reshown)
    assert response.status_code == 200
    assert "現在の保存内容：Aが書いた目的" in response.content.decode()
    plan.refresh_from_db()
    assert plan.purpose == "Aが書いた目的"

    # Ticking the confirmation saves B's value, and the history says B did.
    response = browser_b.post(change_url(plan), {**page_data(response), "_confirm_overwrite": "1"})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.purpose == "Bが書いた目的"
    latest = plan.history.first()
    assert latest.history_user == b and latest.purpose == "Bが書いた目的"
    newest_two = plan.history.order_by("-history_id")[:2]
    assert [row.purpose for row in newest_two] == ["Bが書いた目的", "Aが書いた目的"]


def test_a_confirmation_covers_only_the_change_it_was_shown(client, world, colleague_b):
    city_a, _ = world
    _, browser_b = colleague_b
    client.force_login(city_a.editor)
    plan = city_a.plan
    form_of_b = form_data(browser_b, plan)
    client.post(change_url(plan), {**form_data(client, plan), "purpose": "Aの1回目"})
    refused = browser_b.post(change_url(plan), {**form_of_b, "purpose": "Bの目的"})
    # While B reads the message, A saves once more: B's tick is for A's first change only.
    client.post(change_url(plan), {**form_data(client, plan), "purpose": "Aの2回目"})
    response = browser_b.post(change_url(plan), {**page_data(refused), "_confirm_overwrite": "1"})
    assert response.status_code == 200
    assert "現在の保存内容：Aの2回目" in response.content.decode()
    assert Plan.objects.get(pk=plan.pk).purpose == "Aの2回目"


def test_a_colleagues_save_that_changed_nothing_the_user_sent_does_not_block(client, world, colleague_b):
    city_a, _ = world
    _, browser_b = colleague_b
    client.force_login(city_a.editor)
    plan = city_a.plan
    form_of_b = form_data(browser_b, plan)
    assert client.post(change_url(plan), form_data(client, plan)).status_code == 302  # A saves as is
    response = browser_b.post(change_url(plan), {**form_of_b, "purpose": "Bの目的"})
    assert response.status_code == 302
    assert Plan.objects.get(pk=plan.pk).purpose == "Bの目的"


def test_a_stale_inline_row_shows_the_colleagues_value_and_overwrites_only_when_confirmed(
    client, world, colleague_b
):
    city_a, _ = world
    b, browser_b = colleague_b
    client.force_login(city_a.editor)
    measure, program = city_a.measure, city_a.program
    form_of_a = form_data(client, measure)
    form_of_b = form_data(browser_b, measure)
    name = next(key for key in form_of_a if key.startswith("programs") and key.endswith("-name"))

    assert client.post(change_url(measure), {**form_of_a, name: "Aが変えた事業名"}).status_code == 302
    saved_at_1015_on_1_december(program)

    response = browser_b.post(change_url(measure), {**form_of_b, name: "Bが変えた事業名"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "この取組・事業は、画面を開いた後にeditor-aさんが12月1日 10:15に更新したため" in page
    assert "現在の保存内容：Aが変えた事業名（editor-aさんが12月1日 10:15に変更）" in page
    assert "Bが変えた事業名" in page and CONFIRM in page

    assert browser_b.post(change_url(measure), page_data(response)).status_code == 200
    program.refresh_from_db()
    assert program.name == "Aが変えた事業名"

    response = browser_b.post(
        change_url(measure), {**page_data(response), "_confirm_overwrite": "1"}
    )
    assert response.status_code == 302
    program.refresh_from_db()
    assert program.name == "Bが変えた事業名"
    assert program.history.first().history_user == b


def test_an_unchanged_inline_row_is_not_a_conflict_but_a_changed_one_is(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    stale = form_data(client, city_a.measure)
    program = city_a.program
    program.partners.add(city_a.organization)  # a colleague adds a partner, on the programme's own page
    program.save()
    versions = program.history.count()
    # The user changed only the measure: the programme row they did not touch is not written back.
    data = {**stale, "title": "施策名を変更"}
    assert client.post(change_url(city_a.measure), data).status_code == 302
    assert program.history.count() == versions
    assert list(program.partners.all()) == [city_a.organization]

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


def test_a_tampered_version_is_a_conflict_not_an_error(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    data = {**form_data(client, city_a.measure), "title": "私の施策名"}
    for bogus in ["99999999999999999999999", "abc"]:
        response = client.post(change_url(city_a.measure), {**data, "edit_version": bogus})
        assert response.status_code == 200
        assert "現在の保存内容：就労の確保" in response.content.decode()
    assert Measure.objects.get(pk=city_a.measure.pk).title == "就労の確保"


def test_a_crafted_form_version_is_refused_as_stale_not_a_server_error(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    crafted = {**form_data(client, city_a.measure), "title": "私が直した施策名", "edit_version": "²"}
    response = client.post(change_url(city_a.measure), crafted)
    assert response.status_code == 200
    assert "上書きせずに保存を中止しました" in response.content.decode()
