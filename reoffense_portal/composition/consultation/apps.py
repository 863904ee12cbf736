from django.apps import AppConfig


class ConsultationConfig(AppConfig):
    """パブリックコメント: a draft plan (案) open to residents' opinions, and the published 「意見の概要と市の考え方」.

    Its staff permissions are granted to the role groups by plans.roles after every migrate. The published
    results go into the plan's pages when a version is approved (publishing.snapshot.PLAN_LOADERS).
    """

    name = "reoffense_portal.composition.consultation"
    label = "consultation"
    verbose_name = "パブリックコメント"

    def ready(self):
        from reoffense_portal.composition.publishing import snapshot

        from .models import load_comment_results

        if load_comment_results not in snapshot.PLAN_LOADERS:
            snapshot.PLAN_LOADERS.append(load_comment_results)
