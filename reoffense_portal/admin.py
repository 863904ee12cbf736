"""What the project itself adds to the admin site: the plan's admin, composed of what every app adds to its
page (registered by reoffense_portal.composition.plan_admin), and django-axes' login attempts, with its one
unlabelled column and its action in Japanese."""

from axes.admin import AccessAttemptAdmin
from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin

from reoffense_portal.composition import plan_admin  # noqa: F401  (registers the plan's admin)


class LoginAttemptAdmin(AccessAttemptAdmin):
    @admin.display(description="状態")
    def status(self, attempt):
        remaining = settings.AXES_FAILURE_LIMIT - attempt.failures_since_start
        return f"あと{remaining}回" if remaining > 0 else "ロック中"

    @admin.action(description="期限切れのログイン試行を削除する")
    def cleanup_expired_attempts(self, request, queryset):
        """django-axes' own action reads the time axes stamps on a login request, which an admin page has
        not: it answered a server error, and its message was English."""
        AxesProxyHandler.update_request(request)
        count = self.handler.clean_expired_user_attempts(request=request)
        self.message_user(request, f"期限切れのログイン試行を{count}件削除しました。")


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, LoginAttemptAdmin)
