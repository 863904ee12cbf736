from django.apps import AppConfig


class ConsultationConfig(AppConfig):
    """パブリックコメント: a draft plan (案) open to residents' opinions, and the published 「意見の概要と市の考え方」.

    Its staff permissions are granted to the role groups by plans.roles after every migrate. The published
    results go into the plan's pages when a version is approved (consultation.signals).
    """

    name = "reoffense_portal.composition.consultation"
    label = "consultation"
    verbose_name = "パブリックコメント"

    def ready(self):
        from . import signals  # noqa: F401  (connect the handlers)
