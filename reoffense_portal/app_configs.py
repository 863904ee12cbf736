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
    """The project itself: its site-wide commands (backup, restore), the deploy check of the backup key,
    and the `<bigint:…>` URL converter every app's URLs use for ids."""

    name = "reoffense_portal"
    verbose_name = "ポータル"

    def ready(self):
        # Imported for what they register: the check of the backup signing key, and <bigint:…> before any
        # URL pattern is read.
        from reoffense_portal import backups  # noqa: F401
        from reoffense_portal.machinery import converters  # noqa: F401
