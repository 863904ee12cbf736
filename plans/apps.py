from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = "計画"

    def ready(self):
        from django.db.models.signals import post_migrate

        from reoffense_portal.machinery import audit  # noqa: F401  (connect the staff log's login handlers)

        from . import signals  # noqa: F401  (connect the handlers)
        from .roles import ensure_staff_groups_after_migrate

        # After the permissions of each app exist (Django creates them on post_migrate, too).
        post_migrate.connect(ensure_staff_groups_after_migrate, dispatch_uid="plans_ensure_staff_groups")
