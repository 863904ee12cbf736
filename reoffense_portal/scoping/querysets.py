"""The one door for staff code: querysets limited to a user's municipalities.

Every model that staff edit belongs to exactly one municipality, reached
through `municipality_path`. `for_user(user)` keeps only the rows of the
municipalities the user is a member of (all of them for a superuser): what
the user may write. `readable_by(user)` adds, for the staff of a prefecture
(a membership of a municipality of kind 都道府県), the rows of every
municipality of that prefecture: what the user may read, never write, so a
prefecture follows up its municipalities' plans without touching them.
"""

from django.apps import apps
from django.db import models
from django.db.models import Q


class MunicipalityScopedQuerySet(models.QuerySet):
    municipality_path = "municipality"

    def _prefix(self) -> str:
        # The Municipality model itself is its own municipality (path "pk").
        return "" if self.municipality_path == "pk" else f"{self.municipality_path}__"

    def for_user(self, user):
        """The rows the user may write."""
        if not user.is_active or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(**{f"{self._prefix()}memberships__user": user}).distinct()

    def readable_by(self, user):
        """The rows the user may read: for_user(), and for a prefecture's staff its municipalities' rows."""
        if not user.is_active or not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(**{f"{self._prefix() or 'pk__'}in": readable_codes(user)})


def municipality_path(model) -> str | None:
    """The lookup path from `model` to its municipality ("pk" for Municipality); None for unscoped (national) models."""
    queryset_class = getattr(getattr(model, "_default_manager", None), "_queryset_class", None)
    if queryset_class and issubclass(queryset_class, MunicipalityScopedQuerySet):
        return queryset_class.municipality_path
    return None


def readable_codes(user) -> list[str]:
    """The codes of the municipalities the user reads (their own, and a prefecture's municipalities).

    A list rather than a subquery: PostgreSQL then knows how few rows a
    prefecture's staff read (60 municipalities of 1,788) and plans for them;
    with the subquery it read the whole nation's rows for their searches.
    Asked once per user object, that is once per request (each request loads
    its user afresh), since a change list asks it for every filter and field.
    """
    codes = getattr(user, "_readable_codes", None)
    if codes is None:
        Municipality = apps.get_model("plans", "Municipality")
        codes = user._readable_codes = list(Municipality.objects.filter(
            Q(memberships__user=user) | Q(prefecture__memberships__user=user)
        ).values_list("pk", flat=True).distinct())
    return codes
