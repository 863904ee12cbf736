"""承認フロー: submit (承認申請), approve (承認 → live now or at a set time), send back (差戻し), end publication.

A publisher's 承認して公開 in the admin only starts the approval (`start_approval`); the job worker
builds the version (`build_approved_version` runs `approve`), so no request freezes a large plan.

Each step checks who may take it, records a PublicationEvent and tells the
people concerned by e-mail: the municipality's publishers when a request
awaits them, the submitter when it is decided. The mail is written in the
step's transaction and sent by the job worker (reminders/outbox.py): a slow
mail server holds no request, and no one gets a mail twice. Publication changes only
here, so no other path (history revert, import, bulk actions, a crafted
form) can publish or unpublish a plan.
"""

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from plans.models import Plan, StaffMembership
from reoffense_portal.composition.reminders.outbox import queue_mail
from reoffense_portal.machinery.audit import log_staff_action
from reoffense_portal.machinery.jobs.models import Job
from reoffense_portal.machinery.jobs.queue import JobError, job_task, start_job
from reoffense_portal.machinery.jobs.schedule import every_minute, exclusive, periodic
from reoffense_portal.machinery.text import plain_text

from .models import ApprovalRequest, PlanVersion, PublicationEvent
from .pdf import PDF_KEYS, requeue_if_lost
from .snapshot import build_version

logger = logging.getLogger("portal.publishing")


class WorkflowError(Exception):
    """A step that cannot be taken; the message is for the user, in Japanese."""


def when_label(moment) -> str:
    """2027年4月1日 09:00, in Japan's time."""
    return timezone.localtime(moment).strftime("%Y年%-m月%-d日 %H:%M")


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else "（不明）"


def publishers_of(plan: Plan):
    return [
        membership.user for membership in
        StaffMembership.objects.filter(municipality=plan.municipality_id, role=StaffMembership.Role.PUBLISHER,
                                       user__is_active=True).select_related("user")
    ]


def _notify(recipients, subject: str, body: str, *, by=None) -> None:
    """Mail each recipient with an address, sent by the worker once the step's transaction commits.

    The job is the acting user's: they see in 処理の状況 that the mail went out.
    """
    addresses = sorted({user.email for user in recipients if user and user.email})
    queue_mail([(address, subject, body) for address in addresses], title=f"お知らせメール：{subject}"[:200], owner=by)


def _admin_url(plan: Plan) -> str:
    return settings.SITE_URL + reverse("admin:plans_plan_change", args=[plan.pk])


def _record(plan: Plan, action: str, user, *, version=None, comment: str = "") -> None:
    """The step in the plan's publication record and, as one line, in the staff log."""
    PublicationEvent.objects.create(plan=plan, action=action, user=user, version=version, comment=comment)
    log_staff_action(user or "scheduler", action, plan, municipality=plan.municipality_id,
                     **({"version": version.number} if version else {}))


def may_approve(request_obj: ApprovalRequest, user) -> bool:
    """A publisher of the municipality; their own request only where PUBLISHING_SELF_APPROVAL allows it."""
    if not request_obj.plan.may_be_published_by(user):
        return False
    return settings.PUBLISHING_SELF_APPROVAL or user.is_superuser or request_obj.submitted_by_id != user.pk


@transaction.atomic
def submit(plan: Plan, user, comment: str) -> ApprovalRequest:
    comment = plain_text(comment)  # the version's summary in residents' 改訂履歴
    if not Plan.objects.for_user(user).filter(pk=plan.pk).exists() or not user.has_perm("plans.change_plan"):
        raise WorkflowError("この計画の承認申請はできません。")
    if not comment.strip():
        raise WorkflowError("申請の内容（改訂の概要）を入力してください。住民向けの改訂履歴にも表示します。")
    if ApprovalRequest.objects.filter(plan=plan).pending().exists():
        raise WorkflowError("この計画はすでに承認待ちです。")
    request_obj = ApprovalRequest.objects.create(plan=plan, submitted_by=user, comment=comment.strip())
    _record(plan, PublicationEvent.Action.SUBMITTED, user, comment=request_obj.comment)
    _notify(
        [publisher for publisher in publishers_of(plan) if publisher.pk != user.pk],
        f"承認待ち：{plan}",
        f"{_name(user)}さんから「{plan}」の承認申請がありました。\n\n申請の内容：\n{request_obj.comment}\n\n"
        f"内容を確認し、承認または差戻しをしてください。\n{_admin_url(plan)}\n",
        by=user,
    )
    return request_obj


def _check_approvable(request_obj: ApprovalRequest, user) -> None:
    if request_obj.state != ApprovalRequest.State.PENDING:
        raise WorkflowError("この申請はすでに処理されています。")
    if not may_approve(request_obj, user):
        if request_obj.plan.may_be_published_by(user):
            raise WorkflowError("自分で申請した変更は、他の公開責任者が承認します。")
        raise WorkflowError("承認できるのは、この自治体の公開責任者だけです。")


def _refuse_while_building(request_obj: ApprovalRequest) -> None:
    job = request_obj.approval_under_way()
    if job is not None:
        raise WorkflowError(
            f"この申請は{_name(job.owner)}さんが承認し、いま公開版を作成中です。終わるまでお待ちください。"
        )


@transaction.atomic
def approve(request_obj: ApprovalRequest, user, *, live_from=None, comment: str = "", report=None) -> PlanVersion:
    """Freeze the plan's working rows as its new version, live now or at `live_from` (公開予約).

    Synchronous: the admin runs it on the job worker (start_approval); commands and tests call it directly.
    `report(done, total, stage)` is told the build's steps.
    """
    comment = plain_text(comment)
    request_obj = ApprovalRequest.objects.select_for_update().select_related("plan__municipality").get(
        pk=request_obj.pk
    )
    _check_approvable(request_obj, user)
    now = timezone.now()
    if live_from is not None and live_from <= now:
        live_from = None
    plan = request_obj.plan
    version = build_version(plan, approved_by=user, submitted_by=request_obj.submitted_by,
                            summary=request_obj.comment, live_from=live_from,
                            **({"report": report} if report else {}))
    request_obj.state = ApprovalRequest.State.APPROVED
    request_obj.decided_by, request_obj.decided_at, request_obj.reason = user, now, comment.strip()
    request_obj.version = version
    request_obj.save()
    action = PublicationEvent.Action.SCHEDULED if live_from else PublicationEvent.Action.APPROVED
    _record(plan, action, user, version=version, comment=comment.strip() or request_obj.comment)
    when = f"{when_label(live_from)}に公開します" if live_from else "公開しました"
    _notify(
        [request_obj.submitted_by], f"承認されました：{plan}",
        f"「{plan}」の承認申請が{_name(user)}さんに承認され、第{version.number}版として{when}。\n"
        + (f"\nコメント：\n{comment.strip()}\n" if comment.strip() else "") + f"\n{_admin_url(plan)}\n",
        by=user,
    )
    return version


APPROVAL = "approval"


def start_approval(request_obj: ApprovalRequest, user, *, live_from=None, comment: str = "") -> Job:
    """承認して公開 in the admin: checked at once, the version built by the job worker (`build_approved_version`).

    The request stays pending until the job's `approve` commits; meanwhile it names its job, so a second
    press (by anyone) and a sending back are refused. The checks run first without a lock: the worker's
    `approve` holds the request's row (and on SQLite the database's one writer) while it builds, and a
    second press must be told so at once, not wait for the build.
    """
    _check_approvable(request_obj, user)
    _refuse_while_building(request_obj)
    with transaction.atomic():
        request_obj = ApprovalRequest.objects.select_for_update().select_related("plan").get(pk=request_obj.pk)
        _check_approvable(request_obj, user)
        _refuse_while_building(request_obj)
        plan = request_obj.plan
        job = start_job(
            build_approved_version, request_obj.pk, user.pk, live_from.isoformat() if live_from else None, comment,
            kind=APPROVAL, title=f"承認と公開版の作成：{plan}"[:200], owner=user,
        )
        request_obj.approval_job = job
        request_obj.save(update_fields=["approval_job"])
    return job


@job_task
def build_approved_version(job, request_id: int, user_id: int, live_from: str | None, comment: str):
    """The job of 承認して公開: `approve` as its publisher, the job done in the same transaction as the version."""
    request_obj = ApprovalRequest.objects.filter(pk=request_id).select_related("plan").first()
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if request_obj is None or user is None:
        raise JobError("承認申請か承認した職員が見つからないため、公開版を作成できませんでした。計画の公開内容は変わっていません。")
    moment = datetime.datetime.fromisoformat(live_from) if live_from else None
    try:
        with transaction.atomic():
            version = approve(request_obj, user, live_from=moment, comment=comment, report=job.report)
            plan = request_obj.plan
            job.succeed({
                "version": version.number,
                "scheduled_label": when_label(version.live_from) if version.live_from > timezone.now() else "",
                "back": reverse("admin:plans_plan_change", args=[plan.pk]),
                "public": plan.get_absolute_url(),
            })
    except WorkflowError as error:
        raise JobError(f"{error}公開版は作成していません。") from None
    return None


@transaction.atomic
def send_back(request_obj: ApprovalRequest, user, reason: str) -> None:
    reason = plain_text(reason)
    request_obj = ApprovalRequest.objects.select_for_update().select_related("plan").get(pk=request_obj.pk)
    if request_obj.state != ApprovalRequest.State.PENDING:
        raise WorkflowError("この申請はすでに処理されています。")
    _refuse_while_building(request_obj)
    if not request_obj.plan.may_be_published_by(user):
        raise WorkflowError("差戻しができるのは、この自治体の公開責任者だけです。")
    if not reason.strip():
        raise WorkflowError("差戻しの理由を入力してください。")
    request_obj.state = ApprovalRequest.State.RETURNED
    request_obj.decided_by, request_obj.decided_at, request_obj.reason = user, timezone.now(), reason.strip()
    request_obj.save()
    plan = request_obj.plan
    _record(plan, PublicationEvent.Action.RETURNED, user, comment=request_obj.reason)
    _notify(
        [request_obj.submitted_by], f"差戻し：{plan}",
        f"「{plan}」の承認申請は{_name(user)}さんから差し戻されました。\n\n理由：\n{request_obj.reason}\n\n"
        f"修正してから、もう一度承認申請をしてください。\n{_admin_url(plan)}\n",
        by=user,
    )


@transaction.atomic
def end_publication(plan: Plan, user, *, at=None) -> None:
    """公開終了 now, or 公開終了予約 at `at`: residents stop reading the plan then; scheduled versions are cancelled."""
    if not plan.may_be_published_by(user):
        raise WorkflowError("公開終了ができるのは、この自治体の公開責任者だけです。")
    now = timezone.now()
    end = at if at is not None and at > now else now
    versions = PlanVersion.objects.select_for_update().filter(plan=plan)
    if not versions.live(now).exists() and not versions.scheduled(now).exists():
        raise WorkflowError("この計画は公開されていません。")
    versions.filter(live_from__gte=end).update(live_until=F("live_from"))
    versions.filter(live_from__lt=end).exclude(live_until__lte=end).update(live_until=end)
    scheduled = end > now
    _record(plan, PublicationEvent.Action.END_SCHEDULED if scheduled else PublicationEvent.Action.ENDED, user,
            comment=f"{when_label(end)}に公開を終了します。" if scheduled else "")


GO_LIVE = "go_live"


def due_go_lives(now=None):
    """Versions scheduled earlier that are live by now and not yet recorded as gone live."""
    return (
        PlanVersion.objects.live(now or timezone.now()).filter(events__action=PublicationEvent.Action.SCHEDULED)
        .exclude(events__action=PublicationEvent.Action.WENT_LIVE)
    )


def record_scheduled_go_lives(now=None, report=None) -> list[PlanVersion]:
    """Versions scheduled earlier that are live by now: recorded once, their submitter told.

    Each version's record and mail are written together, under a lock that keeps two workers from both
    recording it. Their PDFs were queued at approval; one whose job was lost is queued again here.
    """
    now = now or timezone.now()
    done = []
    due = list(due_go_lives(now).values_list("pk", flat=True).distinct())
    for number, pk in enumerate(due, start=1):
        with exclusive(GO_LIVE):
            version = due_go_lives(now).filter(pk=pk).select_related("plan", "submitted_by").first()
            if version is None:
                continue  # recorded by another run meanwhile
            _record(version.plan, PublicationEvent.Action.WENT_LIVE, None, version=version,
                    comment=f"第{version.number}版を予約どおり{when_label(version.live_from)}に公開しました。")
            _notify([version.submitted_by], f"公開されました：{version.plan}",
                    f"「{version.plan}」の第{version.number}版を、予約どおり{when_label(version.live_from)}に公開しました。\n"
                    f"{_admin_url(version.plan)}\n")
            for file in version.files.filter(key__in=PDF_KEYS).untypeset().only("pk"):
                requeue_if_lost(file)
        done.append(version)
        if report:
            report(number, len(due))
    return done


@job_task
def follow_up_go_lives(job):
    """The job: the paperwork of every scheduled go-live that is due (record, mail, PDF)."""
    job.report(0, None, "公開予約の確認")
    versions = record_scheduled_go_lives(report=lambda done, total: job.report(done, total, "記録と通知"))
    return {"versions": [str(version) for version in versions]}


@periodic(GO_LIVE, every_minute)
def scheduled_go_live_follow_up():
    """Every minute, a job only when a scheduled version has gone live and is not yet recorded."""
    if not due_go_lives().exists():
        return None
    return start_job(follow_up_go_lives, kind=GO_LIVE, title="予約した版の公開の記録と通知")
