from django.apps import AppConfig


class RemindersConfig(AppConfig):
    """お知らせメール: mail to staff (approvals, what the dashboard lists as due), sent by the job worker."""

    name = "reoffense_portal.composition.reminders"
    label = "reminders"
    verbose_name = "お知らせメール"

    def ready(self):
        from . import mail, outbox  # noqa: F401 — their periodic jobs (jobs/schedule.py)
