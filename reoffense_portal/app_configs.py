"""Two libraries' apps as the portal installs them, and the project's own (INSTALLED_APPS names these classes).

Kept apart from the code they point to: app configs are imported before any model is.
"""

from axes.apps import AppConfig as AxesConfig
from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    """Django's admin on the portal's site (reoffense_portal.admin_site: labelled autocomplete)."""

    default_site = "reoffense_portal.admin_site.PortalAdminSite"


class LoginRecordsConfig(AxesConfig):
    """django-axes' login records under a Japanese name on the admin index.

    Its models, fields and admin labels are translated in locale/ja/LC_MESSAGES/django.po
    (axes ships no Japanese catalogue).
    """

    verbose_name = "ログインの記録"


class PortalConfig(AppConfig):
    """The project itself: its site-wide commands (backup, restore) and the deploy check of the backup key."""

    name = "reoffense_portal"
    verbose_name = "ポータル"

    def ready(self):
        from . import backups  # noqa: F401  (registers the check of the backup signing key)
