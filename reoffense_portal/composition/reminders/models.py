"""Mail to staff, kept until it is sent (Mail), and what reminder mail told whom (SentReminder), so the
same item reaches a member of staff at most once a week."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from plans.models import Municipality


class MailQuerySet(models.QuerySet):
    def given_up(self) -> "MailQuerySet":
        return self.filter(sent_at__isnull=True, attempts__gte=Mail.MAX_ATTEMPTS)


class Mail(models.Model):
    """One e-mail to one address, written in the transaction of what it tells (an approval, a reminder) and
    sent by a job (reminders/outbox.py).

    A job claims a mail before sending it and never sends a claimed one again, so a job run twice, or
    retried after its worker was killed, never mails anyone twice. A mail the server refused is released
    and tried again later, MAX_ATTEMPTS times in all.
    """

    MAX_ATTEMPTS = 5

    to = models.EmailField("宛先")
    subject = models.CharField("件名", max_length=300)
    body = models.TextField("本文")
    created_at = models.DateTimeField("作成日時", default=timezone.now, db_index=True)
    claimed_at = models.DateTimeField("送信を始めた日時", null=True, blank=True)
    tried_at = models.DateTimeField("最後に試した日時", null=True, blank=True)
    sent_at = models.DateTimeField("送信日時", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("送れなかった回数", default=0)
    error = models.CharField("送れなかった理由", max_length=300, blank=True)

    objects = MailQuerySet.as_manager()

    class Meta:
        verbose_name = "メール"
        verbose_name_plural = "メール"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.to}：{self.subject}"


class SentReminder(models.Model):
    """One due item (reoffense_portal.composition.dashboard.DueItem.key) in one mail to one member of staff."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="職員", on_delete=models.CASCADE,
                             related_name="+")
    municipality = models.ForeignKey(Municipality, verbose_name="自治体", on_delete=models.CASCADE,
                                     related_name="+")
    item = models.CharField("項目", max_length=100)
    text = models.CharField("お知らせした内容", max_length=300)
    sent_at = models.DateTimeField("送信日時", default=timezone.now)
    mail = models.ForeignKey(Mail, verbose_name="メール", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="reminders")

    class Meta:
        verbose_name = "送信したお知らせ"
        verbose_name_plural = "送信したお知らせ"
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["user", "item", "sent_at"], name="sent_reminder_lookup_idx")]

    def __str__(self):
        return f"{self.user}：{self.text}"
