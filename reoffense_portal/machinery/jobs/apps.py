from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "reoffense_portal.machinery.jobs"
    label = "jobs"
    verbose_name = "処理の状況"
    default_auto_field = "django.db.models.BigAutoField"
