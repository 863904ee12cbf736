"""Agenda items traced to what they reviewed: measures, programmes and indicators of the meeting's plan.

Staff link them on the meeting page; residents see, on the published plan
page, which meetings reviewed a measure or a target, and on the meeting page
what each agenda item reviewed; the meeting's progress report groups its
tables by agenda item.
"""

import datetime
import re

import pytest
from django.urls import reverse

from councils.models import AgendaItem, Meeting
from measures.models import Measure, PriorityArea, Program
from plans.models import Plan
from reoffense_portal.composition.summaries.documents import MeetingReport
from tests.public_data import publish
from tests.staff_world import change_url, form_data, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def text_of(html: str) -> str:
    html = re.sub(r"<svg\b.*?</svg>", "", html, flags=re.DOTALL)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def public_text(client, path) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return text_of(response.content.decode())


def between(text: str, start: str, end: str) -> str:
    """The part of a page from `start` to the next `end`."""
    first = text.index(start)
    return text[first:text.index(end, first)]


def link_on_meeting_page(client, meeting, **links):
    """The editor's save of the meeting page with the first agenda item's links set."""
    data = form_data(client, meeting)
    for name, rows in links.items():
        data[f"agenda_items-0-{name}"] = [row.pk for row in rows]
    return client.post(change_url(meeting), data)


def test_editor_links_an_agenda_item_to_the_measure_programme_and_target_it_reviewed(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    response = link_on_meeting_page(
        client, city_a.meeting,
        measures=[city_a.measure], programs=[city_a.program], indicators=[city_a.indicator],
    )
    assert response.status_code == 302
    item = AgendaItem.objects.get(pk=city_a.agenda_item.pk)
    assert list(item.measures.all()) == [city_a.measure]
    assert list(item.programs.all()) == [city_a.program]
    assert list(item.indicators.all()) == [city_a.indicator]
    assert item.history.first().history_user == city_a.editor


def second_plan_of(city):
    """A second plan of the same city (the previous one), with its own area, measure and programme."""
    plan = Plan.objects.create(
        municipality=city.municipality, title="熊本市再犯防止推進計画（第一次）",
        period_start=datetime.date(2018, 4, 1), period_end=datetime.date(2023, 3, 31),
    )
    area = PriorityArea.objects.create(plan=plan, number=1, title="就労の確保（第一次）")
    measure = Measure.objects.create(area=area, number=1, title="協力雇用主の開拓")
    program = Program.objects.create(measure=measure, name="協力雇用主の開拓事業")
    return plan, measure, program


def test_a_programme_of_another_plan_of_the_same_city_is_refused_with_a_japanese_error(client, world):
    city_a, _ = world
    _, old_measure, old_program = second_plan_of(city_a)
    client.force_login(city_a.editor)
    response = link_on_meeting_page(client, city_a.meeting, programs=[old_program], measures=[old_measure])
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.forms[0].errors
    assert errors["programs"] == [
        f"会議の計画「{city_a.plan.title}」の取組・事業ではないものは選べません：「協力雇用主の開拓事業」。"
        "この会議の計画の取組・事業を選んでください。"
    ]
    assert "会議の計画「第二次熊本市再犯防止推進計画」の施策ではないもの" in errors["measures"][0]
    assert not city_a.agenda_item.programs.exists() and not city_a.agenda_item.measures.exists()


def test_adding_an_agenda_item_on_its_own_page_checks_the_chosen_meetings_plan(client, world):
    city_a, _ = world
    _, _, old_program = second_plan_of(city_a)
    client.force_login(city_a.editor)
    add = reverse("admin:councils_agendaitem_add")
    payload = {"meeting": city_a.meeting.pk, "order": 2, "title": "前計画の振り返り", "programs": [old_program.pk]}
    response = client.post(add, payload)
    assert response.status_code == 200
    assert "この会議の計画の取組・事業を選んでください" in response.content.decode()
    assert not AgendaItem.objects.filter(title="前計画の振り返り").exists()
    payload["programs"] = [city_a.program.pk]
    assert client.post(add, payload).status_code == 302
    assert AgendaItem.objects.get(title="前計画の振り返り").programs.get() == city_a.program


def test_the_agenda_items_page_offers_only_the_meetings_plan(client, world):
    city_a, _ = world
    _, _, old_program = second_plan_of(city_a)
    client.force_login(city_a.editor)
    page = client.get(change_url(city_a.agenda_item)).content.decode()
    link_autocomplete = reverse("admin:councils_agendaitem_link_autocomplete")
    assert f'data-ajax--url="{link_autocomplete}?plan={city_a.plan.pk}"' in page
    params = {"app_label": "councils", "model_name": "agendaitem", "field_name": "programs", "plan": city_a.plan.pk}
    offered = [item["text"] for item in client.get(link_autocomplete, params).json()["results"]]
    assert offered == ["協力雇用主の拡大"]  # not the old plan's 協力雇用主の開拓事業
    params["field_name"] = "measures"
    offered = [item["text"] for item in client.get(link_autocomplete, params).json()["results"]]
    assert offered == ["1（1）就労の確保"]  # with its area's number


def test_residents_see_which_meetings_reviewed_a_measure_and_a_target(client, world):
    city_a, _ = world
    item = city_a.agenda_item
    item.programs.add(city_a.program)
    item.indicators.add(city_a.indicator)
    publish(city_a.plan)
    plan_page = public_text(client, city_a.plan.get_absolute_url())
    meeting_title = "令和6年度第1回再犯防止推進協議会"
    area_part = between(plan_page, "重点施策と主な取組 1 就労支援", "（1）就労の確保")
    assert "この項目を審議した会議" in area_part  # the world's agenda item reviewed area 1
    measure_part = between(plan_page, "（1）就労の確保", "成果目標 再犯者数")
    assert f"この項目を審議した会議： {meeting_title} （令和6年7月1日開催）" in measure_part
    target_part = between(plan_page, "成果目標 再犯者数", "推進体制と進捗管理")
    assert f"この項目を審議した会議： {meeting_title} （令和6年7月1日開催）" in target_part
    meeting_page = public_text(client, city_a.meeting.get_absolute_url())
    assert "審議した重点施策： 就労支援" in meeting_page
    assert "審議した取組・事業： 協力雇用主の拡大" in meeting_page
    assert "審議した成果目標・指標： 再犯者数" in meeting_page
    html = client.get(city_a.meeting.get_absolute_url()).content.decode()
    assert f'href="{city_a.plan.get_absolute_url()}#program-{city_a.program.pk}"' in html
    assert f'href="{city_a.plan.get_absolute_url()}#indicator-{city_a.indicator.pk}"' in html
    assert f'id="program-{city_a.program.pk}"' in client.get(city_a.plan.get_absolute_url()).content.decode()


def test_a_link_made_after_approval_reaches_residents_only_with_the_next_version(client, world):
    city_a, _ = world
    publish(city_a.plan)
    city_a.agenda_item.measures.add(city_a.measure)
    plan_page = public_text(client, city_a.plan.get_absolute_url())
    assert "この項目を審議した会議" not in between(plan_page, "（1）就労の確保", "成果目標 再犯者数")
    assert "審議した施策" not in public_text(client, city_a.meeting.get_absolute_url())
    publish(city_a.plan, summary="議題の記録を追加")
    assert "審議した施策： 1 就労支援 （1）就労の確保" in public_text(client, city_a.meeting.get_absolute_url())
    plan_page = public_text(client, city_a.plan.get_absolute_url())
    assert "この項目を審議した会議" in between(plan_page, "（1）就労の確保", "成果目標 再犯者数")


def test_a_meeting_not_yet_held_is_not_listed_as_having_reviewed_anything(client, world):
    city_a, _ = world
    city_a.meeting.status = Meeting.Status.SCHEDULED
    city_a.meeting.save()
    city_a.agenda_item.measures.add(city_a.measure)
    publish(city_a.plan)
    assert "この項目を審議した会議" not in public_text(client, city_a.plan.get_absolute_url())
    assert "審議した施策： 1 就労支援 （1）就労の確保" in public_text(client, city_a.meeting.get_absolute_url())


def test_the_meeting_report_groups_its_tables_by_what_each_agenda_item_reviewed(world):
    city_a, _ = world
    Program.objects.create(measure=city_a.measure, order=2, name="職場体験の受入れ")
    housing = PriorityArea.objects.create(plan=city_a.plan, number=2, title="居住支援")
    housing_measure = Measure.objects.create(area=housing, number=1, title="住居の確保")
    Program.objects.create(measure=housing_measure, name="市営住宅の情報提供")
    health = PriorityArea.objects.create(plan=city_a.plan, number=3, title="保健医療・福祉")
    health_measure = Measure.objects.create(area=health, number=1, title="福祉サービスの利用")
    Program.objects.create(measure=health_measure, name="福祉の相談窓口")
    first = city_a.agenda_item  # 進捗報告, linked to area 1 by the world
    first.areas.clear()
    first.programs.add(city_a.program)
    first.indicators.add(city_a.indicator)
    second = AgendaItem.objects.create(meeting=city_a.meeting, order=2, title="居住支援の取組について")
    second.areas.add(housing)
    text = text_of(MeetingReport(city_a.meeting, draft=True).html)
    chapter = text[text.index("第3 取組・事業の実施状況"):text.index("第4 成果目標の状況")]
    groups = re.split(r"議題\d (?:進捗報告|居住支援の取組について) |議題で取り上げていない取組・事業", chapter)
    assert len(groups) == 4, chapter
    _, reviewed_first, reviewed_second, the_rest = groups
    assert "協力雇用主の拡大" in reviewed_first and "職場体験の受入れ" not in reviewed_first
    assert "市営住宅の情報提供" in reviewed_second and "協力雇用主の拡大" not in reviewed_second
    assert "職場体験の受入れ" in the_rest and "福祉の相談窓口" in the_rest
    assert "市営住宅の情報提供" not in the_rest
    assert "審議した取組・事業：協力雇用主の拡大" in text  # 第1 次第
    targets = text[text.index("第4 成果目標の状況"):]
    assert "審議した議題：議題1" in targets


def test_without_any_traced_agenda_item_the_report_keeps_one_table_per_area(world):
    city_a, _ = world
    city_a.agenda_item.areas.clear()
    text = text_of(MeetingReport(city_a.meeting, draft=True).html)
    assert "議題で取り上げていない" not in text
    assert "1 就労支援 実施率" in text and "協力雇用主の拡大" in text
