from django.apps import AppConfig


class PublishingConfig(AppConfig):
    """承認と公開: staff submit a plan, a publisher approves it, and the approved version is what residents read."""

    name = "reoffense_portal.composition.publishing"
    label = "publishing"
    verbose_name = "承認・公開"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import workflow  # noqa: F401 — its periodic job, the scheduled go-live follow-up (jobs/schedule.py)

        post_migrate.connect(publish_legacy_plans, sender=self, dispatch_uid="publishing_legacy_plans")


def publish_legacy_plans(sender, using="default", **kwargs):
    """After an upgrade's migrations: plans published before versions existed go live as their first version."""
    from django.utils import timezone

    from .models import LegacyPublication
    from .snapshot import build_version

    for legacy in LegacyPublication.objects.using(using).select_related("plan"):
        build_version(legacy.plan, approved_by=None, summary="公開（承認の仕組みの導入前から公開）",
                      live_from=legacy.published_at or timezone.now())
        legacy.delete()
