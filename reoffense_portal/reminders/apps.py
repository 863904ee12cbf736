from django.apps import AppConfig


class RemindersConfig(AppConfig):
    """お知らせメール: cron mails each municipality's staff what the dashboard lists as due."""

    name = "reoffense_portal.reminders"
    label = "reminders"
    verbose_name = "お知らせメール"
