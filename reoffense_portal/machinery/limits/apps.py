from django.apps import AppConfig


class LimitsConfig(AppConfig):
    """送信回数の制限: the counters every server process shares (reoffense_portal.machinery.limits.counters)."""

    name = "reoffense_portal.machinery.limits"
    label = "limits"
    verbose_name = "送信回数の制限"
