"""The staff log: one line for every staff action, with who did it and for which municipality.

    2026-12-01T10:15:00+09:00 INFO portal.staff user=kumamoto-editor municipality=431001 action=change object=plans.plan:3 label=熊本市再犯防止推進計画 detail="タイトル を変更しました。"

Fields are `key=value`; a value holding anything but letters, digits and
``.:,_/@+-`` is quoted as a JSON string, so staff-typed text (titles with
spaces, quotes or line breaks, a typed user name) can neither break the line
nor forge a field. A failed login names the account only if one has that
name (never the typed text, which may be a password). `municipality` is the code of the row acted on, or the
user's municipalities (comma-separated) for an action on no single row
(logins, imports, exports); "-" when there is none.

Written from: the admin's add, change and delete of every staff admin
(reoffense_portal.machinery.scoping.staff_log.StaffLogMixin, beside the admin's own LogEntry),
publishing (PlanAdmin), the yearly progress screen, spreadsheet imports and
exports (reoffense_portal.machinery.spreadsheets.admin), and the receivers below for logins,
logouts, failed logins and lockouts (django-axes). With LOG_FORMAT=json the
same fields are keys of a JSON object (reoffense_portal.machinery.logformat).
"""

import json
import logging
import re

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

logger = logging.getLogger("portal.staff")

BARE_VALUE = re.compile(r"[\w.:,/@+-]+")


def field(key: str, value) -> str:
    text = str(value)
    return f"{key}={text}" if BARE_VALUE.fullmatch(text) else f"{key}={json.dumps(text, ensure_ascii=False)}"


def users_municipalities(user) -> str:
    if user.pk is None:  # AnonymousUser
        return "-"
    return ",".join(user.memberships.order_by("municipality_id").values_list("municipality_id", flat=True)) or "-"


def log_staff_action(user, action: str, obj=None, *, municipality=None, level=logging.INFO, **details) -> None:
    """One line: `user` (a user, or an account's name at a failed login) did `action` to `obj`.

    `municipality`: the code of the row's municipality when the caller knows it;
    otherwise the user's municipalities. `details` follow as further fields.
    """
    typed = isinstance(user, str)
    fields = {
        "user": (user if typed else user.get_username()) or "-",
        "municipality": municipality or ("-" if typed else users_municipalities(user)),
        "action": action,
    }
    if obj is not None:
        fields["object"] = f"{obj._meta.label_lower}:{obj.pk}"
        fields["label"] = str(obj)
    fields.update((key, value) for key, value in details.items() if value not in (None, ""))
    logger.log(level, " ".join(field(key, value) for key, value in fields.items()), extra={"staff": fields})


def client_ip(request) -> str | None:
    """The address django-axes read for this request (it honours the proxy settings)."""
    return getattr(request, "axes_ip_address", None)


@receiver(user_logged_in, dispatch_uid="plans_audit_login")
def log_login(sender, request, user, **kwargs):
    log_staff_action(user, "login", ip=client_ip(request))


@receiver(user_logged_out, dispatch_uid="plans_audit_logout")
def log_logout(sender, request, user, **kwargs):
    if user is not None:
        log_staff_action(user, "logout", ip=client_ip(request))


def account_name(typed: str | None) -> str:
    """The name typed at a failed login if it is an account's, else "-".

    Not the typed text itself: a password typed into the user name field would be written to the log.
    """
    exists = typed and get_user_model()._default_manager.filter(**{get_user_model().USERNAME_FIELD: typed}).exists()
    return typed if exists else "-"


@receiver(user_login_failed, dispatch_uid="plans_audit_login_failed")
def log_login_failure(sender, credentials, request=None, **kwargs):
    log_staff_action(
        account_name(credentials.get("username")), "login_failed", level=logging.WARNING, ip=client_ip(request)
    )


@receiver(user_locked_out, dispatch_uid="plans_audit_lockout")
def log_lockout(sender, request, username, ip_address, **kwargs):
    log_staff_action(account_name(username), "lockout", level=logging.WARNING, ip=ip_address)
