"""The admin index tells each editor what is missing this fiscal year in their city's plans."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from councils.models import Meeting, MeetingDocument
from measures.models import Program, ProgramProgress
from plans.models import Indicator, IndicatorValue, Plan, StaffMembership
from reoffense_portal.composition.dashboard import plan_dashboards
from tests.public_data import build_plan, municipality, publish
from tests.staff_world import B_MARK, make_user, make_world

pytestmark = pytest.mark.django_db

JST = datetime.timezone(datetime.timedelta(hours=9))
SUMMER_2024 = datetime.datetime(2024, 8, 1, 10, 0, tzinfo=JST)  # 令和6年度


@pytest.fixture
def world():
    city_a, city_b = make_world()
    # Two programmes, one with this year's progress; two indicators kept by year, none with this year's value;
    # a statistic the plan states once, with no yearly values, which is not due every year.
    recorded = Program.objects.create(measure=city_a.measure, order=2, name="職場体験の受入れ")
    ProgramProgress.objects.create(
        program=recorded, fiscal_year=2024, status=ProgramProgress.Status.IMPLEMENTED
    )
    series = Indicator.objects.create(plan=city_a.plan, kind="statistic", order=2, name="刑法犯認知件数", unit="件")
    IndicatorValue.objects.create(indicator=series, year=2022, value=5210)
    Indicator.objects.create(plan=city_a.plan, kind="statistic", order=3, name="刑法犯検挙人員", unit="人",
                             baseline_value=1107, as_of_text="令和2年国勢調査時点")
    return city_a, city_b


def index(client, user):
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return response.content.decode()


@time_machine.travel(SUMMER_2024, tick=False)
def test_an_editor_sees_what_is_missing_in_their_city_and_nothing_of_another(client, world):
    city_a, city_b = world
    page = index(client, city_a.editor)
    entry = reverse("admin:measures_programprogress_entry", args=[city_a.plan.pk, 2024])
    assert "今年度の未入力・予定" in page
    assert f'<a href="{entry}">令和6年度の進捗が未入力の取組・事業：1件</a>' in page
    assert f'<a href="{entry}">令和6年度の値が未入力の指標：2件</a>' in page
    assert "令和6年度の記録率：<strong>25%</strong>" in page
    assert B_MARK not in page
    assert reverse("admin:measures_programprogress_entry", args=[city_b.plan.pk, 2024]) not in page


@time_machine.travel(SUMMER_2024, tick=False)
def test_counts_and_freshness_follow_what_is_recorded(world):
    city_a, _ = world
    [board] = plan_dashboards(city_a.editor)
    assert (board.programs, board.programs_missing) == (2, 1)
    assert (board.indicators, board.indicators_missing) == (2, 2)
    assert board.freshness_percent == 25  # 1 recorded of 4 due (the statistic stated once is not due)
    IndicatorValue.objects.create(indicator=city_a.indicator, year=2024, value=480)
    ProgramProgress.objects.create(
        program=city_a.program, fiscal_year=2024, status=ProgramProgress.Status.IMPLEMENTED
    )
    [board] = plan_dashboards(city_a.editor)
    assert (board.programs_missing, board.indicators_missing) == (0, 1)
    assert board.freshness_percent == 75


@time_machine.travel(SUMMER_2024, tick=False)
def test_a_held_meeting_without_minutes_and_an_upcoming_one_link_to_their_forms(client, world):
    city_a, _ = world
    upcoming = Meeting.objects.create(
        council=city_a.council, fiscal_year=2024, sequence=2, held_on=datetime.date(2024, 8, 20)
    )
    later = Meeting.objects.create(
        council=city_a.council, fiscal_year=2024, sequence=3, held_on=datetime.date(2024, 12, 20)
    )
    page = index(client, city_a.editor)
    held_url = reverse("admin:councils_meeting_change", args=[city_a.meeting.pk])
    assert f'<a href="{held_url}">議事要旨が未入力の会議：{city_a.meeting}' in page
    upcoming_url = reverse("admin:councils_meeting_change", args=[upcoming.pk])
    assert f'<a href="{upcoming_url}">30日以内に開催予定の会議：{upcoming}' in page
    assert reverse("admin:councils_meeting_change", args=[later.pk]) not in page

    city_a.meeting.minutes = "取組状況を報告しました。"
    city_a.meeting.save()
    assert held_url not in index(client, city_a.editor)


@time_machine.travel(SUMMER_2024, tick=False)
def test_minutes_uploaded_as_a_document_count_as_minutes(world):
    city_a, _ = world
    city_a.document.kind = MeetingDocument.Kind.MINUTES
    city_a.document.save()
    [board] = plan_dashboards(city_a.editor)
    assert board.meetings_without_minutes == []


@time_machine.travel(SUMMER_2024, tick=False)
def test_a_statistic_stated_once_is_not_asked_for_each_year(world):
    city_a, _ = world
    [board] = plan_dashboards(city_a.editor)
    assert board.indicators == 2  # the target and the yearly series, not 刑法犯検挙人員 (one figure, no year)


def test_an_ended_plan_without_a_successor_tells_its_city_what_to_do(client, world):
    """熊本市's plan ended on 令和8年3月31日 with no next plan: the dashboard says so and leads to registering one."""
    city_a, _ = world
    city_a.plan.period_start, city_a.plan.period_end = datetime.date(2021, 4, 1), datetime.date(2026, 3, 31)
    city_a.plan.save()
    with time_machine.travel(datetime.datetime(2026, 6, 1, 10, 0, tzinfo=JST), tick=False):
        page = index(client, city_a.editor)
        assert (
            f'<a href="{reverse("admin:plans_plan_add")}">計画期間が令和8年3月31日で終了しました（令和3年度～令和7年度）。'
            "次期計画が登録されていません。次期計画を登録してください。</a>"
        ) in page
        assert "令和8年度の値が未入力" not in page and "計画期間外のため" not in page
        [board] = plan_dashboards(city_a.editor)
        assert board.ended and [item.key for item in board.due_items][-1] == f"plan:{city_a.plan.pk}:ended"
        Plan.objects.create(
            municipality=city_a.municipality, title="第2次熊本市再犯防止推進計画", edition=2,
            period_start=datetime.date(2026, 4, 1), period_end=datetime.date(2031, 3, 31),
        )
        page = index(client, city_a.editor)
        assert "終了しました" not in page and "第2次熊本市再犯防止推進計画" in page


def test_a_plan_ending_within_a_year_is_flagged_until_a_successor_exists(client, world):
    city_a, _ = world
    with time_machine.travel(datetime.datetime(2027, 6, 1, 10, 0, tzinfo=JST), tick=False):
        page = index(client, city_a.editor)
        assert "計画期間が1年以内に終わります" in page
        assert reverse("admin:plans_plan_add") in page
        Plan.objects.create(
            municipality=city_a.municipality, title="第三次熊本市再犯防止推進計画", edition=3,
            period_start=datetime.date(2028, 4, 1), period_end=datetime.date(2033, 3, 31),
        )
        assert "計画期間が1年以内に終わります" not in index(client, city_a.editor)


@time_machine.travel(SUMMER_2024, tick=False)
def test_the_last_update_and_the_live_version_are_shown(client, world):
    city_a, _ = world
    page = index(client, city_a.editor)
    assert "公開中の版はありません" in page
    version = publish(city_a.plan)
    page = index(client, city_a.editor)
    assert "最終更新日：" in page
    assert f'<a href="{version.get_absolute_url()}">第{version.number}版（令和6年8月1日公開）</a>' in page


def queries_for(user) -> int:
    with CaptureQueriesContext(connection) as queries:
        plan_dashboards(user)
    return len(queries)


@time_machine.travel(SUMMER_2024, tick=False)
def test_the_dashboard_costs_the_same_queries_whatever_the_plan_size():
    small = build_plan(municipality(), scale=1)
    large = build_plan(
        municipality(code="431001", name="熊本市", prefecture_code="430005", prefecture_name="熊本県"),
        scale=5,
    )
    users = []
    for plan in (small, large):
        user = make_user(f"editor-{plan.municipality.code}")
        StaffMembership.objects.create(user=user, municipality=plan.municipality, role=StaffMembership.Role.EDITOR)
        users.append(user)
    [small_board], [large_board] = plan_dashboards(users[0]), plan_dashboards(users[1])
    assert large_board.programs == 5 * small_board.programs
    assert queries_for(users[0]) == queries_for(users[1]) == 5


@time_machine.travel(SUMMER_2024, tick=False)
def test_a_superuser_sees_the_plans_of_their_own_municipalities_not_the_whole_nation(client, world):
    city_a, city_b = world
    superuser = make_user("national-admin", is_staff=True, is_superuser=True)
    page = index(client, superuser)
    assert "今年度の未入力・予定" in page
    assert "所属する自治体の計画について表示します。" in page
    assert f'id="plan-dashboard-{city_a.plan.pk}"' not in page
    assert f'id="plan-dashboard-{city_b.plan.pk}"' not in page

    StaffMembership.objects.create(user=superuser, municipality=city_a.plan.municipality,
                                   role=StaffMembership.Role.EDITOR)
    page = index(client, superuser)
    assert f'id="plan-dashboard-{city_a.plan.pk}"' in page
    assert f'id="plan-dashboard-{city_b.plan.pk}"' not in page
    assert "所属する自治体の計画について表示します。" not in page
