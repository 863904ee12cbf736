"""django-axes' login records under a Japanese name on the admin index.

Its models, fields and admin labels are translated in locale/ja/LC_MESSAGES/django.po
(axes ships no Japanese catalogue); the app's name is this AppConfig's.
"""

from axes.apps import AppConfig


class LoginRecordsConfig(AppConfig):
    verbose_name = "ログインの記録"
