"""The Japanese answer to a locked-out login (django-axes: AXES_LOCKOUT_CALLABLE)."""

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.conf import settings
from django.contrib import admin
from django.shortcuts import render

from reoffense_portal.machinery.limits.logins import address_is_locked


def lockout_response(request, original_response=None, credentials=None):
    """429 with a page that says what is locked (the user name from this address, or the address) and how long
    to wait; the lock lifts by itself after the cool-off."""
    cool_off = get_cool_off(request)
    context = {
        **admin.site.each_context(request),
        "failure_limit": get_failure_limit(request, credentials),
        "address_locked": address_is_locked(request),
        "username": get_client_username(request, credentials) or "",
        "cooloff_minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
    }
    return render(
        request, "admin/login_locked.html", context, status=settings.AXES_HTTP_RESPONSE_CODE
    )
