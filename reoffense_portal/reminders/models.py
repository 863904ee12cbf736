"""What reminder mail was sent to whom, so the same item reaches a member of staff at most once a week."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from plans.models import Municipality


class SentReminder(models.Model):
    """One due item (reoffense_portal.dashboard.DueItem.key) in one mail to one member of staff."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="職員", on_delete=models.CASCADE,
                             related_name="+")
    municipality = models.ForeignKey(Municipality, verbose_name="自治体", on_delete=models.CASCADE,
                                     related_name="+")
    item = models.CharField("項目", max_length=100)
    text = models.CharField("お知らせした内容", max_length=300)
    sent_at = models.DateTimeField("送信日時", default=timezone.now)

    class Meta:
        verbose_name = "送信したお知らせ"
        verbose_name_plural = "送信したお知らせ"
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["user", "item", "sent_at"], name="sent_reminder_lookup_idx")]

    def __str__(self):
        return f"{self.user}：{self.text}"
