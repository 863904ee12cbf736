from django.db import models


class Counter(models.Model):
    """How often one client was counted by one rate limit in its current window.

    Written only by `counters.DatabaseStore`, in one statement, so that every server process
    counts on the same row; a row whose window has ended is deleted when a new window starts.
    """

    key = models.CharField(primary_key=True, max_length=255)
    hits = models.PositiveIntegerField()
    ends_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "送信回数"
        verbose_name_plural = "送信回数"

    def __str__(self):
        return f"{self.key}: {self.hits}"
