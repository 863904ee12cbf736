from django.apps import AppConfig


class PublishingConfig(AppConfig):
    """承認と公開: staff submit a plan, a publisher approves it, and the approved version is what residents read."""

    name = "reoffense_portal.publishing"
    label = "publishing"
    verbose_name = "承認・公開"

    def ready(self):
        from . import checks  # noqa: F401  (registers the deploy checks)
