"""承認フロー as staff meet it: an editor's change waits for a publisher's approval, who approves it now or at a set
time, or sends it back; everyone concerned is told by e-mail; and no other path publishes or unpublishes a plan."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from plans.models import Plan, StaffMembership
from reoffense_portal.composition.publishing import snapshot, workflow
from reoffense_portal.composition.publishing.models import ApprovalRequest, PlanVersion, PublicationEvent
from reoffense_portal.composition.reminders.models import Mail
from reoffense_portal.composition.reminders.outbox import send_mail
from reoffense_portal.composition.summaries import typesetting
from reoffense_portal.machinery.jobs import schedule
from reoffense_portal.machinery.jobs.models import Job
from reoffense_portal.machinery.jobs.queue import start_job
from tests.job_queue import run_queued_tasks
from tests.public_data import publish
from tests.staff_world import change_url, form_data, make_user, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    city_a, city_b = make_world()
    for city in (city_a, city_b):
        city.editor.email = f"{city.editor.username}@example.lg.jp"
        city.editor.save()
        city.publisher.email = f"{city.publisher.username}@example.lg.jp"
        city.publisher.save()
    return city_a, city_b


@pytest.fixture(autouse=True)
def quick_pdfs(monkeypatch):
    """The worker typesets each version's 概要版 after its approval: not this file's story, so it takes no time."""
    monkeypatch.setattr(typesetting, "render_pdf", lambda html, **kwargs: b"%PDF-1.7 typeset")


def mail_sent():
    """What the worker has mailed so far: the flow only writes its mail, the worker sends it."""
    run_queued_tasks()
    return mail.outbox


def submit(client, plan, comment="目的を改訂しました"):
    return client.post(reverse("admin:plans_plan_submit", args=[plan.pk]), {"comment": comment}, follow=True)


def decide(client, plan, **data):
    return client.post(reverse("admin:plans_plan_decide", args=[plan.pk]), data, follow=True)


def approve(client, plan, **data):
    """承認して公開, then the worker builds the version; returns the job's page as the publisher reads it then."""
    pressed = decide(client, plan, decision="approve", **data)
    assert "公開版を作成しています。" in pressed.content.decode(), pressed.content.decode()[:3000]
    run_queued_tasks()
    return client.get(pressed.redirect_chain[-1][0]).content.decode()


def panel(client, plan) -> str:
    """The 公開 section of the plan's admin page."""
    page = client.get(change_url(plan)).content.decode()
    return page.split('id="publication"')[1].split("</section>")[0]


def resident_sees(client, plan, text) -> bool:
    client.logout()
    response = client.get(f"/plans/{plan.pk}/")
    return response.status_code == 200 and text in response.content.decode()


def edit_purpose(client, plan, purpose):
    data = form_data(client, plan)
    data["purpose"] = purpose
    response = client.post(change_url(plan), data)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_an_editors_change_waits_for_approval_and_goes_live_when_approved(client, world):
    city_a, _ = world
    publish(city_a.plan)
    client.force_login(city_a.editor)
    edit_purpose(client, city_a.plan, "改訂した目的です。")
    assert not resident_sees(client, city_a.plan, "改訂した目的です。")

    client.force_login(city_a.editor)
    page = client.get(change_url(city_a.plan)).content.decode()
    assert "未公開の変更が1件あります。" in page and "公開中：" in page
    changes = client.get(reverse("admin:plans_plan_changes", args=[city_a.plan.pk])).content.decode()
    assert "計画の目的" in changes and "改訂した目的です。" in changes

    page = submit(client, city_a.plan).content.decode()
    assert "の承認を申請しました" in page and "公開責任者の承認をお待ちください。" in page
    assert mail.outbox == []  # the request only wrote the mail
    assert [message.to for message in mail_sent()] == [["publisher-a@example.lg.jp"]]
    assert "承認待ち" in mail.outbox[0].subject and "目的を改訂しました" in mail.outbox[0].body
    jobs = client.get(reverse("admin:jobs_job_changelist")).content.decode()
    assert f"お知らせメール：承認待ち：{city_a.plan}" in jobs and "完了" in jobs
    assert "approve-button" not in page  # an editor has no 承認 button

    client.force_login(city_a.publisher)
    index = client.get(reverse("admin:index")).content.decode()
    assert "承認待ち" in index and city_a.plan.title in index and "目的を改訂しました" in index
    pressed = decide(client, city_a.plan, decision="approve", reason="確認しました")
    job_page = pressed.redirect_chain[-1][0]
    page = pressed.content.decode()
    assert "を承認しました。公開版を作成しています。できあがると公開します。" in page and "順番を待っています" in page
    publication = panel(client, city_a.plan)
    assert "公開版を作成中です" in publication and "進み具合を見る" in publication
    assert "approve-button" not in publication and "send-back-button" not in publication
    assert not resident_sees(client, city_a.plan, "改訂した目的です。")  # not before the worker has built it

    run_queued_tasks()  # the job worker builds the version
    client.force_login(city_a.publisher)
    page = client.get(job_page).content.decode()
    assert "第2版として公開しました。" in page and "計画の画面に戻る" in page
    job = Job.objects.get(kind="approval")
    assert (job.done, job.total, job.stage) == (5, 5, "公開版ができました")  # the build's steps moved its bar
    assert "公開中：<strong>第2版</strong>" in panel(client, city_a.plan)
    assert resident_sees(client, city_a.plan, "改訂した目的です。")
    assert mail_sent()[-1].to == ["editor-a@example.lg.jp"] and "第2版として公開しました" in mail.outbox[-1].body

    events = list(PublicationEvent.objects.filter(plan=city_a.plan).order_by("at", "pk"))
    assert [(event.action, event.user) for event in events] == [
        ("submitted", city_a.editor), ("approved", city_a.publisher)
    ]
    version = PlanVersion.objects.current(city_a.plan)
    assert (version.number, version.summary, version.submitted_by, version.approved_by) == (
        2, "目的を改訂しました", city_a.editor, city_a.publisher
    )
    client.logout()
    assert "目的を改訂しました" in client.get(f"/plans/{city_a.plan.pk}/versions/").content.decode()


def test_the_diff_lists_added_and_removed_rows(client, world):
    city_a, _ = world
    publish(city_a.plan)
    city_a.challenge.delete()
    city_a.plan.challenges.create(order=9, text="新しい課題です")
    client.force_login(city_a.editor)
    changes = client.get(reverse("admin:plans_plan_changes", args=[city_a.plan.pk])).content.decode()
    assert "追加" in changes and "新しい課題です" in changes
    assert "削除" in changes and city_a.challenge.text in changes


def test_a_publisher_sends_a_request_back_with_a_reason(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    submit(client, city_a.plan)
    client.force_login(city_a.publisher)
    page = decide(client, city_a.plan, decision="send_back", reason="").content.decode()
    assert "差戻しの理由を入力してください。" in page
    assert ApprovalRequest.objects.get().state == "pending"
    decide(client, city_a.plan, decision="send_back", reason="数値の出典を確認してください。")
    request = ApprovalRequest.objects.get()
    assert (request.state, request.decided_by, request.reason) == ("returned", city_a.publisher,
                                                                  "数値の出典を確認してください。")
    assert mail_sent()[-1].to == ["editor-a@example.lg.jp"] and "数値の出典を確認してください。" in mail.outbox[-1].body
    assert not PlanVersion.objects.exists()
    assert PublicationEvent.objects.filter(plan=city_a.plan, action="returned", user=city_a.publisher).exists()


def test_a_publisher_approves_their_own_change_only_where_the_setting_allows(client, world, settings):
    city_a, _ = world
    client.force_login(city_a.publisher)
    submit(client, city_a.plan, comment="初版の公開")
    page = decide(client, city_a.plan, decision="approve").content.decode()
    assert "自分で申請した変更は、他の公開責任者が承認します。" in page
    assert not Job.objects.filter(kind="approval").exists()
    settings.PUBLISHING_SELF_APPROVAL = True
    assert "第1版として公開しました。" in approve(client, city_a.plan)
    assert PlanVersion.objects.live().filter(plan=city_a.plan).exists()


def test_an_editor_cannot_approve_send_back_or_end_publication_by_a_crafted_post(client, world):
    city_a, _ = world
    publish(city_a.plan)
    client.force_login(city_a.editor)
    submit(client, city_a.plan)
    assert "承認できるのは、この自治体の公開責任者だけです。" in decide(client, city_a.plan, decision="approve").content.decode()
    assert not Job.objects.filter(kind="approval").exists()
    decide(client, city_a.plan, decision="send_back", reason="x")
    assert ApprovalRequest.objects.get().state == "pending"
    client.post(reverse("admin:plans_plan_end_publication", args=[city_a.plan.pk]))
    assert PlanVersion.objects.live().filter(plan=city_a.plan).count() == 1
    assert PlanVersion.objects.count() == 1


def test_staff_of_another_city_cannot_reach_the_flow(client, world):
    city_a, city_b = world
    client.force_login(city_a.publisher)
    for name in ("submit", "decide", "end_publication", "changes"):
        url = reverse(f"admin:plans_plan_{name}", args=[city_b.plan.pk])
        response = client.get(url) if name == "changes" else client.post(url, {"comment": "x", "decision": "approve"})
        assert response.status_code == 404, name
    assert not ApprovalRequest.objects.exists() and not PlanVersion.objects.exists()


def test_publication_is_scheduled_and_ended_at_set_times(client, world):
    city_a, _ = world
    start = timezone.make_aware(datetime.datetime(2027, 4, 1, 9, 0))
    with time_machine.travel(start - datetime.timedelta(days=3), tick=False) as clock:
        publish(city_a.plan)
        client.force_login(city_a.editor)
        edit_purpose(client, city_a.plan, "4月1日からの目的です。")
        submit(client, city_a.plan, comment="令和9年度からの改訂")
        client.force_login(city_a.publisher)
        page = decide(client, city_a.plan, decision="approve", live_from="2027-04-01T09:00").content.decode()
        assert "を承認しました。公開版を作成しています。2027年4月1日 09:00に公開します。" in page
        run_queued_tasks()
        client.force_login(city_a.publisher)
        job = Job.objects.get(kind="approval")
        page = client.get(reverse("admin:jobs_job_progress", args=[job.pk])).content.decode()
        assert "第2版として2027年4月1日 09:00に公開します（公開予約）。" in page
        assert "公開予約：第2版を" in panel(client, city_a.plan)
        assert not resident_sees(client, city_a.plan, "4月1日からの目的です。")
        clock.move_to(start)
        assert resident_sees(client, city_a.plan, "4月1日からの目的です。")
        client.force_login(city_a.publisher)
        page = client.post(reverse("admin:plans_plan_end_publication", args=[city_a.plan.pk]),
                           {"at": "2027-04-30T17:00"}, follow=True).content.decode()
        assert "2027年4月30日 17:00に公開を終了します。" in page
        clock.move_to(timezone.make_aware(datetime.datetime(2027, 4, 30, 17, 0)))
        client.logout()
        assert client.get(f"/plans/{city_a.plan.pk}/").status_code == 404


def test_a_bad_schedule_gets_a_japanese_error(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    submit(client, city_a.plan)
    client.force_login(city_a.publisher)
    page = decide(client, city_a.plan, decision="approve", live_from="来年の4月").content.decode()
    assert "日時「来年の4月」を読み取れません。" in page
    assert not Job.objects.filter(kind="approval").exists() and not PlanVersion.objects.exists()


def test_reverting_a_plan_in_its_history_never_changes_what_residents_read(client, world):
    city_a, _ = world
    client.force_login(city_a.publisher)
    edit_purpose(client, city_a.plan, "公開した目的です。")
    publish(city_a.plan)
    client.force_login(city_a.editor)
    edit_purpose(client, city_a.plan, "下書きの目的です。")
    first = city_a.plan.history.order_by("history_id").first()
    revert = reverse("admin:plans_plan_simple_history", args=[city_a.plan.pk, first.history_id])
    data = form_data(client, city_a.plan)
    client.post(revert, data)
    assert resident_sees(client, city_a.plan, "公開した目的です。")
    assert PlanVersion.objects.filter(plan=city_a.plan).count() == 1


def test_the_plan_change_list_offers_no_bulk_publication(client, world):
    city_a, _ = world
    client.force_login(city_a.publisher)
    changelist = client.get(reverse("admin:plans_plan_changelist")).content.decode()
    assert "publish" not in changelist.split('name="action"')[-1].split("</select>")[0]
    assert "未公開" in changelist


def test_ending_publication_now_hides_the_plan_at_once(client, world):
    city_a, _ = world
    publish(city_a.plan)
    client.force_login(city_a.publisher)
    page = client.post(reverse("admin:plans_plan_end_publication", args=[city_a.plan.pk]), follow=True).content.decode()
    assert "の公開を終了しました。" in page and "未公開" in page
    client.logout()
    assert client.get(f"/plans/{city_a.plan.pk}/").status_code == 404
    assert Plan.objects.filter(pk=city_a.plan.pk).exists()  # the working rows stay for the next version


def test_the_worker_records_and_announces_a_scheduled_go_live_once(client, world, run_jobs, settings):
    settings.SEND_REMINDERS = False  # the weekday's reminders are another story (test_staff_reminders)
    city_a, _ = world
    start = timezone.make_aware(datetime.datetime(2027, 4, 1, 9, 0))
    with time_machine.travel(start - datetime.timedelta(days=1), tick=False) as clock:
        client.force_login(city_a.editor)
        submit(client, city_a.plan, comment="令和9年度の計画")
        client.force_login(city_a.publisher)
        decide(client, city_a.plan, decision="approve", live_from="2027-04-01T09:00")
        assert "go_live" not in schedule.tick()
        run_jobs()  # the version, the mails of the request and the approval, and the PDF, a day before it goes live
        sent = len(mail.outbox)
        out = StringIO()
        call_command("publish_scheduled", stdout=out)
        assert "公開予約の時刻を過ぎた版はありません。" in out.getvalue()

        clock.move_to(start + datetime.timedelta(seconds=20))
        assert "go_live" in schedule.tick()
        assert "go_live" not in schedule.tick()  # a second worker, the same minute
        call_command("publish_scheduled", stdout=out)  # an operator asks as well: a second job
        run_jobs()
        assert PublicationEvent.objects.filter(plan=city_a.plan, action="went_live").count() == 1
        assert len(mail.outbox) == sent + 1 and mail.outbox[-1].to == ["editor-a@example.lg.jp"]
        assert "予約どおり2027年4月1日 09:00に公開しました" in mail.outbox[-1].body
        clock.shift(datetime.timedelta(minutes=1))
        assert "go_live" not in schedule.tick()  # nothing left to record: no job at all
        version = PlanVersion.objects.current(city_a.plan)
        assert version.files.get(key="summary.pdf").read() == b"%PDF-1.7 typeset"


def second_publisher(city):
    user = make_user("publisher-a2", first_name="花子", last_name="熊本")
    StaffMembership.objects.create(user=user, municipality=city.municipality, role=StaffMembership.Role.PUBLISHER)
    user.refresh_from_db()
    return user


def test_a_second_press_while_the_version_is_built_is_refused_for_every_publisher(client, world):
    city_a, _ = world
    publish(city_a.plan)
    client.force_login(city_a.editor)
    edit_purpose(client, city_a.plan, "改訂した目的です。")
    submit(client, city_a.plan)
    client.force_login(city_a.publisher)
    decide(client, city_a.plan, decision="approve")

    page = decide(client, city_a.plan, decision="approve").content.decode()
    assert "いま公開版を作成中です。終わるまでお待ちください。" in page
    colleague = second_publisher(city_a)
    client.force_login(colleague)
    publication = panel(client, city_a.plan)
    assert "公開版を作成中です" in publication and "approve-button" not in publication
    assert "進み具合を見る" not in publication  # the job's page is its publisher's own
    for data in ({"decision": "approve"}, {"decision": "send_back", "reason": "待ってください"}):
        page = decide(client, city_a.plan, **data).content.decode()
        assert f"この申請は{city_a.publisher.username}さんが承認し、いま公開版を作成中です。" in page, data
    assert Job.objects.filter(kind="approval").count() == 1

    run_queued_tasks()
    assert list(PlanVersion.objects.filter(plan=city_a.plan).values_list("number", flat=True)) == [2, 1]
    assert ApprovalRequest.objects.get().state == "approved"
    assert PublicationEvent.objects.filter(action="approved").count() == 1


def test_a_failed_build_leaves_the_request_pending_and_the_plan_as_it_was_and_says_why(client, world, monkeypatch):
    city_a, _ = world
    publish(city_a.plan)
    client.force_login(city_a.editor)
    edit_purpose(client, city_a.plan, "改訂した目的です。")
    submit(client, city_a.plan)
    client.force_login(city_a.publisher)

    def broken(*args, **kwargs):  # after the version's row and its data are written
        raise RuntimeError("the pages could not be rendered")

    monkeypatch.setattr(snapshot, "plan_pages", broken)
    page = approve(client, city_a.plan)
    assert "承認と公開版の作成" in page and "は失敗しました。公開版は作成しておらず、計画の公開内容は変わっていません。" in page
    assert "予期しないエラーのため処理できませんでした。" in page and "計画の画面に戻る" in page
    assert list(PlanVersion.objects.filter(plan=city_a.plan).values_list("number", flat=True)) == [1]
    assert ApprovalRequest.objects.get().state == "pending"
    assert not PublicationEvent.objects.filter(action="approved").exists()
    publication = panel(client, city_a.plan)
    assert "「承認して公開」は失敗しました。公開版は作成しておらず、申請は承認待ちのままです。" in publication
    assert "予期しないエラーのため処理できませんでした。" in publication and "approve-button" in publication
    assert not resident_sees(client, city_a.plan, "改訂した目的です。")

    monkeypatch.undo()
    client.force_login(city_a.publisher)
    assert "第2版として公開しました。" in approve(client, city_a.plan)
    assert "は失敗しました" not in panel(client, city_a.plan)
    assert resident_sees(client, city_a.plan, "改訂した目的です。")


def test_a_publisher_who_lost_the_role_before_the_worker_ran_publishes_nothing(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    submit(client, city_a.plan)
    client.force_login(city_a.publisher)
    decide(client, city_a.plan, decision="approve")
    StaffMembership.objects.filter(user=city_a.publisher).update(role=StaffMembership.Role.EDITOR)
    run_queued_tasks()
    job = Job.objects.get(kind="approval")
    assert job.message == "承認できるのは、この自治体の公開責任者だけです。公開版は作成していません。"
    assert not PlanVersion.objects.exists() and ApprovalRequest.objects.get().state == "pending"


def test_the_approval_request_answers_without_building_the_version(client, world, monkeypatch):
    """However large the plan, pressing 承認して公開 only checks and queues: the worker builds."""
    city_a, _ = world
    client.force_login(city_a.editor)
    submit(client, city_a.plan)
    client.force_login(city_a.publisher)
    built = []
    monkeypatch.setattr(workflow, "build_version", lambda *args, **kwargs: built.append(args))
    response = client.post(reverse("admin:plans_plan_decide", args=[city_a.plan.pk]), {"decision": "approve"})
    job = Job.objects.get(kind="approval")
    assert response.status_code == 302 and response["Location"] == reverse("admin:jobs_job_progress", args=[job.pk])
    assert built == [] and job.status == "queued" and job.owner == city_a.publisher


def test_a_build_cut_off_with_its_worker_leaves_the_request_to_be_approved_again(client, world, settings):
    city_a, _ = world
    client.force_login(city_a.editor)
    submit(client, city_a.plan)
    client.force_login(city_a.publisher)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        decide(client, city_a.plan, decision="approve")
        job = Job.objects.get(kind="approval")
        job.begin()  # a worker took it, and was killed in the middle of the build
        clock.shift(datetime.timedelta(seconds=settings.JOBS_STALE_SECONDS + 1))
        publication = panel(client, city_a.plan)
        assert "公開版の作成の途中で作業プロセスが止まりました。" in publication and "approve-button" in publication
        assert ApprovalRequest.objects.get().state == "pending"
        assert "第1版として公開しました。" in approve(client, city_a.plan)
        assert PlanVersion.objects.live().filter(plan=city_a.plan).count() == 1


def test_a_mail_server_down_never_stops_an_approval_and_the_mail_follows_once(client, world, settings):
    city_a, _ = world
    client.force_login(city_a.editor)
    submit(client, city_a.plan)
    mail_sent()
    settings.EMAIL_BACKEND = "tests.test_approval_flow.RefusingBackend"
    client.force_login(city_a.publisher)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert "第1版として公開しました。" in approve(client, city_a.plan)  # the worker also tried the mail
        job = Job.objects.filter(kind="mail", owner=city_a.publisher).get()
        page = client.get(reverse("admin:jobs_job_progress", args=[job.pk])).content.decode()
        assert "メール1通を送信できませんでした" in page and "自動でもう一度送ります" in page
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        clock.shift(datetime.timedelta(minutes=6))
        schedule.tick()
        schedule.tick()
        run_queued_tasks()
    approved = [message for message in mail.outbox if "承認されました" in message.subject]
    assert [message.to for message in approved] == [["editor-a@example.lg.jp"]]


def test_a_mail_whose_job_runs_twice_is_sent_once(client, world):
    city_a, _ = world
    client.force_login(city_a.editor)
    submit(client, city_a.plan)
    ids = list(Mail.objects.values_list("pk", flat=True))
    start_job(send_mail, ids, kind="mail", title="再送")  # e.g. the retry queued while the first job waited
    assert [message.to for message in mail_sent()] == [["publisher-a@example.lg.jp"]]


class RefusingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")
