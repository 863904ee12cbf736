"""The worker mails each city's staff what their dashboard lists as due, in Japanese, each weekday morning,
at most once a week per item, and never the same mail twice."""

import datetime
import io

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from councils.models import Meeting
from measures.models import ProgramProgress
from plans.models import IndicatorValue, StaffMembership
from reoffense_portal.composition.reminders import mail as reminders
from reoffense_portal.composition.reminders.models import Mail, SentReminder
from reoffense_portal.composition.reminders.outbox import send_one
from reoffense_portal.machinery.jobs import schedule
from reoffense_portal.machinery.jobs.models import Job
from tests.job_queue import run_queued_tasks
from tests.staff_world import B_MARK, make_user, make_world

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("locmem_mail"),
]

JST = datetime.timezone(datetime.timedelta(hours=9))
MONDAY = datetime.datetime(2024, 8, 5, 8, 0, tzinfo=JST)  # 令和6年度
SITE = "https://saihan.example.lg.jp"


@pytest.fixture
def locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = SITE


@pytest.fixture
def world():
    city_a, city_b = make_world()
    for city in (city_a, city_b):
        for user in (city.editor, city.publisher):
            user.email = f"{user.username}@example.lg.jp"
            user.save()
    return city_a, city_b


def run():
    """An operator asks for the reminders now (`manage.py send_reminders`); the worker sends them."""
    output = io.StringIO()
    call_command("send_reminders", stdout=output)
    assert "お知らせメールの送信を依頼しました" in output.getvalue()
    run_queued_tasks()
    return Job.objects.filter(kind="reminders").order_by("created_at").last()


def mail_to(address):
    return [message for message in mail.outbox if message.to == [address]]


@time_machine.travel(MONDAY, tick=False)
def test_each_member_of_staff_gets_their_citys_items_in_japanese_with_links(world):
    city_a, _ = world
    run()
    [message] = mail_to("editor-a@example.lg.jp")
    assert message.subject == "[再犯防止推進計画ポータル] 熊本市：今年度の未入力・予定（3件）"
    entry = SITE + reverse("admin:measures_programprogress_entry", args=[city_a.plan.pk, 2024])
    meeting = SITE + reverse("admin:councils_meeting_change", args=[city_a.meeting.pk])
    body = message.body
    assert "editor-a 様" in body
    assert "令和6年8月5日現在" in body
    assert f"■ {city_a.plan.title}" in body
    assert f"・令和6年度の進捗が未入力の取組・事業：1件\n  {entry}\n" in body
    assert f"・令和6年度の値が未入力の指標：1件\n  {entry}\n" in body
    assert f"・議事要旨が未入力の会議：{city_a.meeting}（令和6年7月1日開催）\n  {meeting}\n" in body
    assert "同じ項目のお知らせは、7日に1回までお送りします。" in body
    assert len(mail_to("publisher-a@example.lg.jp")) == 1


@time_machine.travel(MONDAY, tick=False)
def test_no_mail_reaches_another_citys_staff(world):
    run()
    to_a = mail_to("editor-a@example.lg.jp") + mail_to("publisher-a@example.lg.jp")
    assert to_a and all(B_MARK not in message.body + message.subject for message in to_a)
    to_b = mail_to("editor-b@example.lg.jp") + mail_to("publisher-b@example.lg.jp")
    assert to_b and all("熊本市" not in message.body + message.subject for message in to_b)
    assert sorted(address for message in mail.outbox for address in message.to) == [
        "editor-a@example.lg.jp", "editor-b@example.lg.jp", "publisher-a@example.lg.jp", "publisher-b@example.lg.jp",
    ]


def test_an_item_is_mailed_at_most_once_a_week(world):
    city_a, _ = world
    with time_machine.travel(MONDAY, tick=False):
        run()
    assert len(mail_to("editor-a@example.lg.jp")) == 1

    with time_machine.travel(MONDAY + datetime.timedelta(days=3), tick=False):
        run()
        assert len(mail_to("editor-a@example.lg.jp")) == 1  # nothing new: no mail at all
        # A meeting coming up is a new item: only it is mailed.
        upcoming = Meeting.objects.create(council=city_a.council, fiscal_year=2024, sequence=2,
                                          held_on=datetime.date(2024, 8, 20))
        run()
    [_, second] = mail_to("editor-a@example.lg.jp")
    assert "（1件）" in second.subject
    assert f"30日以内に開催予定の会議：{upcoming}（令和6年8月20日）" in second.body
    assert "未入力の取組・事業" not in second.body

    with time_machine.travel(MONDAY + datetime.timedelta(days=6), tick=False):  # Sunday
        run()
    assert len(mail_to("editor-a@example.lg.jp")) == 2

    # The next Monday, even a little earlier in the day than last week's run.
    with time_machine.travel(MONDAY + datetime.timedelta(days=7, minutes=-5), tick=False):
        run()
    third = mail_to("editor-a@example.lg.jp")[2]
    assert "令和6年度の進捗が未入力の取組・事業：1件" in third.body
    assert "30日以内に開催予定の会議" not in third.body  # mailed four days ago


@time_machine.travel(MONDAY, tick=False)
def test_nothing_due_sends_no_mail(world):
    city_a, city_b = world
    for city in (city_a, city_b):
        ProgramProgress.objects.create(program=city.program, fiscal_year=2024,
                                       status=ProgramProgress.Status.IMPLEMENTED)
        IndicatorValue.objects.create(indicator=city.indicator, year=2024, value=480)
        city.meeting.minutes = "取組状況を報告しました。"
        city.meeting.save()
    job = run()
    assert job.status == Job.Status.DONE and job.result == {"sent": 0}
    assert mail.outbox == []
    assert not SentReminder.objects.exists()


@time_machine.travel(MONDAY, tick=False)
def test_only_active_staff_with_an_address_of_the_city_are_mailed(world):
    city_a, _ = world
    city_a.publisher.is_active = False
    city_a.publisher.save()
    no_address = make_user("editor-a2")
    StaffMembership.objects.create(user=no_address, municipality=city_a.municipality)
    make_user("outsider", email="outsider@example.lg.jp")
    run()
    addresses = {address for message in mail.outbox for address in message.to}
    assert "editor-a@example.lg.jp" in addresses
    assert not addresses & {"publisher-a@example.lg.jp", "outsider@example.lg.jp", ""}


def test_a_mail_the_server_refuses_is_sent_by_the_worker_later_and_once(world, settings):
    with time_machine.travel(MONDAY, tick=False) as clock:
        settings.EMAIL_BACKEND = "tests.test_staff_reminders.RefusingBackend"
        job = run()
        assert job.status == Job.Status.FAILED
        assert "メール4通を送信できませんでした" in job.message and "自動でもう一度送ります" in job.message
        run()  # asked again while the server is down: the same items are not written again
        assert Mail.objects.count() == 4
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        clock.shift(datetime.timedelta(minutes=6))
        schedule.tick()
        run_queued_tasks()
        schedule.tick()
        run_queued_tasks()
    assert len(mail_to("editor-a@example.lg.jp")) == 1
    assert len(mail.outbox) == 4


def test_a_mail_the_server_never_takes_is_given_up_and_its_items_are_due_the_next_day(world, settings):
    settings.EMAIL_BACKEND = "tests.test_staff_reminders.RefusingBackend"
    with time_machine.travel(MONDAY, tick=False) as clock:
        run()
        for _ in range(Mail.MAX_ATTEMPTS):
            clock.shift(datetime.timedelta(minutes=6))
            schedule.tick()
            run_queued_tasks()
        assert set(Mail.objects.values_list("attempts", flat=True)) == {Mail.MAX_ATTEMPTS}
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        clock.shift(datetime.timedelta(minutes=6))
        schedule.tick()
        run_queued_tasks()
        assert mail.outbox == []  # given up: never sent late
    with time_machine.travel(MONDAY + datetime.timedelta(days=1), tick=False):
        run()
    assert len(mail_to("editor-a@example.lg.jp")) == 1


class RefusingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


@time_machine.travel(MONDAY, tick=False)
def test_staff_of_two_cities_get_one_mail_for_each(world):
    city_a, city_b = world
    StaffMembership.objects.create(user=city_a.editor, municipality=city_b.municipality)
    run()
    subjects = sorted(message.subject for message in mail_to("editor-a@example.lg.jp"))
    assert [subject.split("：")[0] for subject in subjects] == [
        "[再犯防止推進計画ポータル] 山口市" + B_MARK, "[再犯防止推進計画ポータル] 熊本市",
    ]


def test_the_worker_mails_each_weekday_at_eight_once_however_many_workers_tick(world):
    with time_machine.travel(MONDAY - datetime.timedelta(minutes=1), tick=False) as clock:
        assert "reminders" not in schedule.tick()
        clock.shift(datetime.timedelta(minutes=1, seconds=20))
        assert "reminders" in schedule.tick()
        assert "reminders" not in schedule.tick()  # a second worker's tick in the same minute
        run_queued_tasks()
        assert len(mail_to("editor-a@example.lg.jp")) == 1
        clock.shift(datetime.timedelta(hours=2))
        assert "reminders" not in schedule.tick()
    saturday = MONDAY + datetime.timedelta(days=5)
    assert timezone.localtime(schedule.Schedule.objects.get(name="reminders").next_run_at) == MONDAY + datetime.timedelta(days=1)
    with time_machine.travel(saturday, tick=False):
        schedule.Schedule.objects.filter(name="reminders").update(next_run_at=saturday)
        schedule.tick()
        assert timezone.localtime(schedule.Schedule.objects.get(name="reminders").next_run_at) == MONDAY + datetime.timedelta(days=7)


def test_a_superuser_follows_the_reminders_in_the_jobs_list(world, client):
    admin = make_user("admin-1", is_superuser=True, is_staff=True)
    with time_machine.travel(MONDAY, tick=False):
        schedule.tick()
        run_queued_tasks()
        client.force_login(admin)
        page = client.get(reverse("admin:jobs_job_changelist")).content.decode()
    assert "お知らせメールの送信" in page and "完了" in page


def test_staff_never_see_the_workers_own_jobs(world, client):
    city_a, _ = world
    with time_machine.travel(MONDAY, tick=False):
        schedule.tick()
        run_queued_tasks()
        client.force_login(city_a.editor)
        page = client.get(reverse("admin:jobs_job_changelist")).content.decode()
        job = Job.objects.get(kind="reminders")
        assert client.get(reverse("admin:jobs_job_progress", args=[job.pk])).status_code == 404
    assert "お知らせメールの送信" not in page


def test_a_reminder_cut_off_by_a_killed_worker_is_sent_again_without_mailing_anyone_twice(world, settings):
    with time_machine.travel(MONDAY, tick=False) as clock:
        schedule.tick()
        # The worker sent the first mail and was killed: its job still says it runs, the other mails wait.
        job = Job.objects.get(kind="reminders")
        job.begin()
        ids = reminders.write_reminders()
        send_one(ids[0])
        DBTaskResult.objects.all().delete()  # the killed worker's claim on its task
        clock.shift(datetime.timedelta(seconds=settings.JOBS_STALE_SECONDS + 60))
        assert "reminders" in schedule.tick()
        job.refresh_from_db()
        assert job.status == Job.Status.FAILED and "自動でもう一度送ります" in job.message
        run_queued_tasks()
        clock.shift(datetime.timedelta(minutes=3))
        schedule.tick()
        run_queued_tasks()
    assert sorted(address for message in mail.outbox for address in message.to) == [
        "editor-a@example.lg.jp", "editor-b@example.lg.jp", "publisher-a@example.lg.jp", "publisher-b@example.lg.jp",
    ]
