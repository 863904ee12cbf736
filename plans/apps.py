from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = "計画"

    def ready(self):
        from . import signals  # noqa: F401  (connects the handlers)
