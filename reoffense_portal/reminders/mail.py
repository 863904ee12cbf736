"""The weekly reminder: each municipality's staff get by e-mail what their dashboard lists as due.

Run by cron (`manage.py send_reminders`). The items are the staff dashboard's
(`PlanDashboard.due_items`), each with a link to the admin screen that deals
with it. An item mailed to someone is not mailed to them again for a week
(`SentReminder`), however often cron runs; someone with nothing new gets no mail.
"""

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from plans.models import Municipality, Plan, StaffMembership
from reoffense_portal import eras
from reoffense_portal.dashboard import DueItem, dashboards_of

from .models import SentReminder

logger = logging.getLogger("portal.reminders")

RESEND_AFTER = datetime.timedelta(days=7)
SUBJECT_PREFIX = "[再犯防止推進計画ポータル]"


@dataclass
class Reminder:
    """One mail: a member of staff, their municipality, and its plans' items not mailed to them this week."""

    user: object
    municipality: Municipality
    items: list[tuple[Plan, DueItem]]

    @property
    def subject(self) -> str:
        return f"{SUBJECT_PREFIX} {self.municipality.name}：今年度の未入力・予定（{len(self.items)}件）"

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
    recent = set(SentReminder.objects.filter(sent_at__gte=_week_start(now)).values_list("user", "item"))
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


def send_reminders(now: datetime.datetime | None = None) -> tuple[list[Reminder], list[Reminder]]:
    """Send the due reminders, each on its own (no one sees another's address); (sent, failed).

    Only a mail the server accepted is recorded, so a failed one is tried again on the next run.
    """
    now = now or timezone.now()
    sent, failed = [], []
    for reminder in due_reminders(now):
        message = EmailMessage(reminder.subject, reminder.body(timezone.localdate(now)),
                               settings.DEFAULT_FROM_EMAIL, [reminder.user.email])
        try:
            message.send(fail_silently=False)
        except Exception:  # noqa: BLE001 — one refused address must not stop the others' mail; the log says why
            logger.exception("Could not send the reminder to user %s", reminder.user.pk)
            failed.append(reminder)
            continue
        SentReminder.objects.bulk_create(
            SentReminder(user=reminder.user, municipality=reminder.municipality, item=item.key,
                         text=item.text[:300], sent_at=now)
            for _, item in reminder.items
        )
        sent.append(reminder)
    return sent, failed
