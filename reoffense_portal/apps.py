from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The project itself as an app: it composes plans, measures and councils for residents."""

    name = "reoffense_portal"
    verbose_name = "公開ページ"

    def ready(self):
        from . import pagecache

        pagecache.connect_signals()
