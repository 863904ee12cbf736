"""The login lockout (django-axes' AXES_HANDLER), in the database every server process shares.

Two locks, both on the client's real address (`addresses.client_address`, AXES_CLIENT_IP_CALLABLE):

- AXES_FAILURE_LIMIT failures for one user name from one address lock that pair
  (AXES_LOCKOUT_PARAMETERS). A stranger who guesses a publisher's name locks out only
  themselves: the publisher logs in from their own address as usual.
- LOGIN_ADDRESS_FAILURE_LIMIT failures from one address, whatever the user names, lock that
  address: trying one password on many accounts (password spraying) stops there.

Both lift after the cool-off (AXES_COOLOFF_MINUTES).
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum


def address_failures(request) -> int:
    """Failed logins from the request's address within the cool-off, whatever the user name."""
    attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address or None)
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def address_is_locked(request) -> bool:
    return bool(getattr(request, "axes_ip_address", None)) and (
        address_failures(request) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT
    )


class LoginLockoutHandler(AxesDatabaseHandler):
    def is_locked(self, request, credentials=None) -> bool:
        return super().is_locked(request, credentials) or address_is_locked(request)

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is not None and not request.axes_locked_out and address_is_locked(request):
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes", request=request, username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
            )
