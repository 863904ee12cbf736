"""The one door for staff code: querysets limited to a user's municipalities.

Every model that staff edit belongs to exactly one municipality, reached
through `municipality_path`. `for_user(user)` keeps only the rows of the
municipalities the user is a member of (all of them for a superuser).
"""

from django.db import models


class MunicipalityScopedQuerySet(models.QuerySet):
    municipality_path = "municipality"

    def for_user(self, user):
        if not user.is_active or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        # The Municipality model itself is its own municipality (path "pk").
        prefix = "" if self.municipality_path == "pk" else f"{self.municipality_path}__"
        return self.filter(**{f"{prefix}memberships__user": user}).distinct()


def municipality_path(model) -> str | None:
    """The lookup path from `model` to its municipality ("pk" for Municipality); None for unscoped (national) models."""
    queryset_class = getattr(getattr(model, "_default_manager", None), "_queryset_class", None)
    if queryset_class and issubclass(queryset_class, MunicipalityScopedQuerySet):
        return queryset_class.municipality_path
    return None
