"""The weekly reminder: each municipality's staff get by e-mail what their dashboard lists as due.

A job of the worker, queued by it each weekday at REMINDER_HOUR (jobs/schedule.py), or at once by
`manage.py send_reminders`. The items are the staff dashboard's (`PlanDashboard.due_items`), each with
a link to the admin screen that deals with it. An item mailed to someone is not mailed to them again
for a week (`SentReminder`), however often it runs; someone with nothing new gets no mail. Each mail and
the items it tells are written together, then sent through the outbox (reminders/outbox.py), which
never sends a mail twice and tries a refused one again; items of a mail it gave up on are due again.
"""

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from plans.models import Municipality, Plan, StaffMembership
from reoffense_portal.composition.dashboard import DueItem, dashboards_of
from reoffense_portal.machinery import eras
from reoffense_portal.machinery.jobs.models import Job
from reoffense_portal.machinery.jobs.queue import job_task, start_job
from reoffense_portal.machinery.jobs.schedule import exclusive, periodic, weekdays_at

from .models import Mail, SentReminder
from .outbox import SUBJECT_PREFIX, send_all

logger = logging.getLogger("portal.reminders")

RESEND_AFTER = datetime.timedelta(days=7)
KIND = "reminders"
TITLE = "お知らせメールの送信"


@dataclass
class Reminder:
    """One mail: a member of staff, their municipality, and its plans' items not mailed to them this week."""

    user: object
    municipality: Municipality
    items: list[tuple[Plan, DueItem]]

    @property
    def subject(self) -> str:
        return f"{self.municipality.name}：今年度の未入力・予定（{len(self.items)}件）"

    def body(self, today: datetime.date) -> str:
        plans = defaultdict(list)
        for plan, item in self.items:
            plans[plan].append({"text": item.text, "url": settings.SITE_URL + item.path})
        return render_to_string("reminders/due_items.txt", {
            "name": self.user.get_full_name() or self.user.get_username(),
            "municipality": self.municipality,
            "today": eras.japanese_date(today),
            "plans": list(plans.items()),
            "dashboard_url": settings.SITE_URL + reverse("admin:index"),
            "resend_days": RESEND_AFTER.days,
        })


def due_reminders(now: datetime.datetime | None = None) -> list[Reminder]:
    """The mails to send now: per member of staff (active, with an e-mail) and municipality, the items due
    in its plans that were not mailed to them in the last week."""
    now = now or timezone.now()
    due = defaultdict(list)
    for board in dashboards_of(Plan.objects.all(), timezone.localdate(now)):
        due[board.plan.municipality_id].extend((board.plan, item) for item in board.due_items)
    memberships = (
        StaffMembership.objects.filter(municipality__in=[code for code, items in due.items() if items],
                                       user__is_active=True)
        .exclude(user__email="").select_related("user", "municipality").order_by("municipality", "user")
    )
    recent = set(
        SentReminder.objects.filter(sent_at__gte=_week_start(now))
        .exclude(mail__in=Mail.objects.given_up()).values_list("user", "item")
    )
    reminders = []
    for membership in memberships:
        items = [(plan, item) for plan, item in due[membership.municipality_id]
                 if (membership.user_id, item.key) not in recent]
        if items:
            reminders.append(Reminder(membership.user, membership.municipality, items))
    return reminders


def _week_start(now: datetime.datetime) -> datetime.datetime:
    """The start of the day six days ago, in Japan: what was mailed since is not mailed again.

    By days rather than to the second, so a daily cron that runs a little earlier than last week's
    still mails on the same weekday.
    """
    day = timezone.localdate(now) - RESEND_AFTER + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def write_reminders(now: datetime.datetime | None = None) -> list[int]:
    """Write the due reminders as mail, each with the items it tells, in one transaction; returns the mails' ids.

    One run at a time (schedule.exclusive): two at once would both find the same items new.
    """
    now = now or timezone.now()
    ids = []
    with exclusive(KIND):
        for reminder in due_reminders(now):
            [mail] = Mail.objects.bulk_create([Mail(
                to=reminder.user.email, subject=f"{SUBJECT_PREFIX} {reminder.subject}",
                body=reminder.body(timezone.localdate(now)),
            )])
            SentReminder.objects.bulk_create(
                SentReminder(user=reminder.user, municipality=reminder.municipality, item=item.key,
                             text=item.text[:300], sent_at=now, mail=mail)
                for _, item in reminder.items
            )
            ids.append(mail.pk)
    return ids


@job_task
def send_reminders(job):
    """The job: write the due reminders, then send them (and only them) with the bar moving."""
    job.report(0, None, "お知らせする項目の確認")
    ids = write_reminders()
    return send_all(job, ids)


def start_reminders(owner=None) -> Job:
    return start_job(send_reminders, kind=KIND, title=TITLE, owner=owner)


@periodic(KIND, weekdays_at(settings.REMINDER_HOUR))
def scheduled_reminders() -> Job | None:
    return start_reminders() if settings.SEND_REMINDERS else None
