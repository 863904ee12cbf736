"""Mail to staff, sent by the job worker, never by a web request, and never twice.

    queue_mail([(user.email, subject, body)], title="承認のお知らせメール", owner=request.user)

writes each mail (reminders.models.Mail) in the caller's transaction and queues a job that sends them:
the approval and its mail are both saved or neither, and a slow or unreachable mail server holds no
request. Each mail is claimed by a conditional update before it is sent, so it goes out at most once
whatever runs twice. A mail the server refuses is tried again by the worker every few minutes, up to
Mail.MAX_ATTEMPTS times (`retry_unsent`, periodic).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import F, Q
from django.utils import timezone

from reoffense_portal.machinery.jobs.models import Job
from reoffense_portal.machinery.jobs.queue import JobError, job_task, start_job
from reoffense_portal.machinery.jobs.schedule import every_minute, periodic

from .models import Mail

logger = logging.getLogger("portal.mail")

KIND = "mail"
SUBJECT_PREFIX = "[再犯防止推進計画ポータル]"
# A mail the server refused is tried again after this long; one never tried, after its own job had time.
RETRY_AFTER = timedelta(minutes=5)
FIRST_TRY_WITHIN = timedelta(minutes=2)


def queue_mail(messages: list[tuple[str, str, str]], *, title: str, owner=None) -> Job | None:
    """Write (address, subject, body) mails and queue their sending, in the caller's transaction."""
    mails = Mail.objects.bulk_create(
        Mail(to=address, subject=f"{SUBJECT_PREFIX} {subject}", body=body) for address, subject, body in messages
    )
    if not mails:
        return None
    return start_job(send_mail, [mail.pk for mail in mails], kind=KIND, title=title, owner=owner, total=len(mails))


def send_one(pk: int) -> bool | None:
    """Send one mail if no one has claimed it yet: True sent, False refused (to be tried again), None not ours."""
    now = timezone.now()
    claimed = Mail.objects.filter(
        pk=pk, sent_at__isnull=True, claimed_at__isnull=True, attempts__lt=Mail.MAX_ATTEMPTS
    ).update(claimed_at=now, tried_at=now)
    if not claimed:
        return None
    mail = Mail.objects.get(pk=pk)
    try:
        EmailMessage(mail.subject, mail.body, settings.DEFAULT_FROM_EMAIL, [mail.to]).send(fail_silently=False)
    except Exception as error:  # noqa: BLE001 — one refused address must not stop the others' mail; the log says why
        logger.exception("Could not send mail %s", pk)
        Mail.objects.filter(pk=pk).update(claimed_at=None, attempts=F("attempts") + 1, error=str(error)[:300])
        return False
    Mail.objects.filter(pk=pk).update(sent_at=timezone.now(), error="")
    return True


def send_all(job, ids: list[int]) -> dict:
    """Send the mails with the job's bar moving; JobError when the server refused some."""
    sent = refused = 0
    job.report(0, len(ids), "送信")
    for number, pk in enumerate(ids, start=1):
        outcome = send_one(pk)
        sent += outcome is True
        refused += outcome is False
        job.report(number)
    if refused:
        raise JobError(
            f"メール{refused}通を送信できませんでした（メールサーバーが受け付けませんでした）。"
            f"{sent}通は送信しました。送れなかったメールは、数分おきに自動でもう一度送ります。"
        )
    return {"sent": sent}


@job_task
def send_mail(job, ids: list[int]):
    return send_all(job, ids)


@periodic("mail_retry", every_minute)
def retry_unsent() -> Job | None:
    """Mail the server refused (after RETRY_AFTER), or whose job was lost with a killed worker."""
    now = timezone.now()
    due = list(
        Mail.objects.filter(sent_at__isnull=True, claimed_at__isnull=True, attempts__lt=Mail.MAX_ATTEMPTS)
        .filter(Q(tried_at__isnull=True, created_at__lt=now - FIRST_TRY_WITHIN) | Q(tried_at__lt=now - RETRY_AFTER))
        .values_list("pk", flat=True)[:500]
    )
    if not due:
        return None
    return start_job(send_mail, due, kind=KIND, title="送れなかったメールの再送", total=len(due))
