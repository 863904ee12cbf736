from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MeasuresConfig(AppConfig):
    name = "measures"
    verbose_name = "重点施策・取組"

    def ready(self):
        from .support_kinds import write_ministry_kinds

        post_migrate.connect(write_ministry_kinds, sender=self)
