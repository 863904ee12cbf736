"""The admin of django-axes' login attempts, with its one unlabelled column in Japanese."""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin


class LoginAttemptAdmin(AccessAttemptAdmin):
    @admin.display(description="状態")
    def status(self, attempt):
        remaining = settings.AXES_FAILURE_LIMIT - attempt.failures_since_start
        return f"あと{remaining}回" if remaining > 0 else "ロック中"


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, LoginAttemptAdmin)
